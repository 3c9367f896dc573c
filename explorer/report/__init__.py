"""Views of results: the JSON records, text tables, spec documents, explanations and plots."""

"""chip-explorer: AI chips against US export-control rules, as data and exact checks."""

"""The CLI prints what the library builds: the same documents from Python as from the command line."""

from __future__ import annotations

import json

from click.testing import CliRunner

from explorer import api
from explorer.cli import main
from explorer.report import payloads
from explorer.report.results import path_dict, result_dict

TIMING = {"solve_seconds"}


def untimed(x):
    """The document without its timings, which differ from run to run."""
    if isinstance(x, dict):
        return {k: untimed(v) for k, v in x.items() if k not in TIMING}
    if isinstance(x, list):
        return [untimed(v) for v in x]
    return x


def cli_json(*args: str) -> dict:
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_main_jobs_json_is_the_librarys_search_payload(data) -> None:
    where, on, rules = api.rules_for("china", "2024-06-01", data)
    r = api.search("gh100", "china", on, data=data)
    built = payloads.search_payload(
        where, on, "perf", "llm-serving", "not-controlled", 0.0, [result_dict(r, data)], rules, data.scenarios
    )
    printed = cli_json("--target", "china", "--as-of", "2024-06-01", "--base", "gh100")
    assert untimed(printed) == untimed(json.loads(json.dumps(built)))


def test_compare_and_screen_print_the_librarys_documents(data) -> None:
    from explorer.model.outcomes import Outcome

    on = api.parse_date("2024-06-01")
    rows = [
        path_dict(api.search("gh100", "china", on, allow=Outcome(p), exact=True, explain=False, data=data), p)
        for p in ("not-controlled", "notification", "license-case-by-case")
    ]
    built = payloads.compare_payload("china", on, "perf", rows, data.scenarios)
    printed = cli_json("compare", "--target", "china", "--as-of", "2024-06-01", "--base", "gh100")
    assert untimed(printed) == untimed(json.loads(json.dumps(built)))
    where, on, rules = api.rules_for("china", "2024-06-01", data)
    chips = api.classify_catalog("china", on, data)
    screened = payloads.screen_payload(where, on, rules, chips, data.scenarios)
    printed = cli_json("screen", "--target", "china", "--as-of", "2024-06-01")
    assert printed == json.loads(json.dumps(screened))

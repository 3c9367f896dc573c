"""explore portfolio from the command line: the table, JSON, CSV, spec documents and bad input."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from explorer.cli import main


def run(*args: str):
    return CliRunner().invoke(main, ["-q", "portfolio", *args])


def test_the_table_names_the_die_each_markets_sku_and_the_price_of_sharing() -> None:
    result = run("hopper-2024")
    assert result.exit_code == 0, result.output
    assert "build gh100" in result.output and "Price of sharing one die" in result.output
    assert "us (US, rules of 2024-01-01" in result.output and "china (CN" in result.output


def test_json_and_csv_carry_the_same_line(tmp_path) -> None:
    doc = json.loads(run("blackwell-2026", "--format", "json").stdout)
    rows = list(csv.DictReader(io.StringIO(run("blackwell-2026", "--format", "csv").stdout)))
    assert doc["die"] == rows[0]["die"] and [m["market"] for m in doc["markets"]] == [
        r["market"] for r in rows
    ]
    assert {c["die"] for c in doc["candidates"]} == {"gb100", "gb100-1die", "gb110", "gb110-1die"}
    served = [m["yearly_margin_usd"] for m in doc["markets"] if m["served"]]
    # each figure is the exact one rounded to the dollar on its own: the parts' sum may miss by half a
    # dollar a part, never by a market
    assert abs(doc["yearly_margin_usd"] - sum(served)) <= 0.5 * len(served)


@pytest.mark.slow
def test_lifting_the_blackwell_exclusion_never_lowers_what_the_line_earns() -> None:
    """The scenario only lets more designs through, so the line and each candidate earn at least as much."""
    today = json.loads(run("blackwell-2026", "--format", "json").stdout)
    lifted = json.loads(run("blackwell-2026", "--format", "json", "--scenario", "blackwell-allowed").stdout)
    assert lifted["yearly_margin_usd"] >= today["yearly_margin_usd"]
    before = {c["die"]: c["yearly_margin_usd"] for c in today["candidates"]}
    assert all(c["yearly_margin_usd"] >= before[c["die"]] for c in lifted["candidates"])
    assert lifted["markets"][1]["sku"]["outcome"] == "license-case-by-case"  # the January 2026 review


def test_out_writes_each_markets_spec_documents(tmp_path) -> None:
    result = run("hopper-2024", "--out", str(tmp_path / "docs"))
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "docs").iterdir())
    assert names == [
        f"hopper-2024-{m}-gh100{suffix}" for m in ("china", "us") for suffix in (".html", ".json", ".md")
    ]
    doc = json.loads((tmp_path / "docs" / "hopper-2024-china-gh100.json").read_text())
    assert doc["target"] == "CN" and doc["objective"] == "gross-margin"


def test_a_bad_portfolio_is_one_line_naming_the_file_and_field(tmp_path) -> None:
    unknown = run("no-such-line")
    assert unknown.exit_code == 2 and "portfolio" in unknown.output and "hopper-2024" in unknown.output
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'id = "x"\ntitle = "x"\nbases = ["gh100"]\n[[markets]]\nname = "us"\ntarget = "us"\n'
        'volume = { value = 0, unit = "count", source = "s" }\n'
        'price_usd = { value = 1, unit = "USD", source = "s" }\n'
        '[sources.s]\ntitle = "s"\nstatus = "hypothetical"\n'
    )
    result = run(str(bad))
    assert result.exit_code == 2, result.output
    assert (
        "bad.toml" in result.output
        and "markets[0].volume" in result.output
        and "Traceback" not in result.output
    )


@pytest.mark.slow
def test_across_worlds_the_table_shows_what_the_line_earns_in_each() -> None:
    result = run("blackwell-2026", "--world", "blackwell-allowed", "--objective", "expected")
    assert result.exit_code == 0, result.output
    assert "Across worlds (expected" in result.output and "blackwell-allowed, weight 0.5" in result.output
    bad = run("blackwell-2026", "--world", "blackwell-allowed", "--weights", "nowhere=1")
    assert bad.exit_code == 2 and "--weights" in bad.output

"""The `explore` command end to end: JSON contract, exit codes, and a fast --help."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from explorer.cli import main

OUTCOMES = {
    "not-controlled",
    "license-exception",
    "notification",
    "license-presumed-approval",
    "license-case-by-case",
    "license-presumed-denial",
}
METRIC_KEYS = {
    "tpp",
    "performance_density",
    "memory_bandwidth_gbps",
    "memory_gb",
    "memory_type",
    "io_bidirectional_gbps",
    "die_area_mm2",
    "datacenter",
    "power_w",
}


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_classify_json_contract() -> None:
    result = run("classify", "H20", "--target", "china", "--as-of", "2024-06-01", "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert {"chip", "target", "as_of", "metrics", "outcome", "fired", "margins"} <= set(out)
    assert out["chip"] == "h20" and out["target"] == "CN" and out["as_of"] == "2024-06-01"
    assert set(out["metrics"]) >= METRIC_KEYS
    assert out["outcome"] == "not-controlled" and out["fired"] == []
    assert 0 < out["value"] < 1  # H20 on the default value model, relative to the H100 SXM
    b2 = [
        g
        for g in out["margins"]
        if g["paragraph"] == "3A090.b.2" and g["metric"] == "performance_density" and g["op"] == ">="
    ]
    assert b2 and b2[0]["margin"] > 0 and not b2[0]["holds"]


def test_classify_json_names_fired_paragraphs() -> None:
    out = json.loads(run("classify", "l4", "--as-of", "2024-01-01", "--format", "json").stdout)
    assert out["outcome"] in OUTCOMES
    assert {"rule": "us-bis-2023-10-acs", "paragraph": "3A090.a.2"}.items() <= out["fired"][0].items()


def test_screen_lists_rules_and_classifies_the_catalog() -> None:
    result = run("screen", "--target", "china", "--as-of", "2024-06-01")
    assert result.exit_code == 0, result.output
    assert "us-bis-2023-10-acs" in result.output and "rtx-4090d" in result.output
    assert "not legal advice" in result.output


def test_main_job_json_contract() -> None:
    result = run("--target", "china", "--base", "h100-sxm", "--as-of", "2024-01-01", "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert {"target", "as_of", "objective", "results"} <= set(out)
    (r,) = out["results"]
    assert {
        "base",
        "status",
        "value",
        "design",
        "metrics",
        "outcome",
        "fired",
        "margins",
        "binding",
        "solve_seconds",
    } <= set(r)
    assert r["base"] == "h100-sxm" and r["status"] == "OPTIMAL" and r["outcome"] == "not-controlled"
    assert set(r["metrics"]) >= METRIC_KEYS and r["design"]["units"] > 0
    assert {"paragraph": "3A090.b.1"}.items() <= r["binding"][0].items()


def test_main_job_table_ranks_every_die() -> None:
    result = run("--target", "china", "--as-of", "2024-06-01")
    assert result.exit_code == 0, result.output
    assert all(die in result.output for die in ("gh100", "gb202", "ad102", "aqua-vanjaram"))
    assert "OPTIMAL" in result.output and "not legal advice" in result.output


def test_out_writes_one_markdown_and_one_json_document_per_result(tmp_path) -> None:
    result = run("--target", "china", "--base", "gh100", "--base", "gb202", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"{d}.{x}" for d in ("gb202", "gh100") for x in ("html", "json", "md")]
    doc = json.loads((tmp_path / "gh100.json").read_text())
    assert doc["sources"]["rules"] and doc["sources"]["die"] and doc["compliance"] and doc["sensitivity"]
    assert "Compliance matrix" in (tmp_path / "gh100.md").read_text()
    html = (tmp_path / "gh100.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "Compliance matrix" in html


def test_a_users_template_renders_the_same_document(tmp_path) -> None:
    template = tmp_path / "company.txt.j2"
    template.write_text("{{ doc.die }} | {{ doc.summary.outcome }} | TPP {{ doc.datasheet.tpp }}\n")
    out = tmp_path / "out"
    result = run("--target", "china", "--base", "gh100", "--out", str(out), "--template", str(template))
    assert result.exit_code == 0, result.output
    assert (out / "gh100.txt").read_text().startswith("gh100 | not-controlled | TPP ")
    bad = tmp_path / "bad.j2"
    bad.write_text("{% if %}")
    result = run("--target", "china", "--base", "gh100", "--template", str(bad))
    assert (
        result.exit_code == 2 and "bad.j2" in result.output and len(result.output.strip().splitlines()) == 1
    )


def test_an_infeasible_search_exits_1_naming_the_rule(data_copy) -> None:
    tmp_path = data_copy
    (tmp_path / "constraints" / "zz-ban.toml").write_text(
        'id = "test-total-ban"\ntitle = "everything"\nstatus = "official"\nsource_url = "test"\n'
        'effective_from = 2020-01-01\n[citation]\nother = "test"\n[destinations]\ninclude = ["CN"]\n'
        '[[controls]]\nparagraph = "ban"\ntitle = "any chip"\n'
        "clauses = []\n"
        'outcome = { CN = "license-presumed-denial" }\n'
    )
    result = run("--data", str(tmp_path), "--target", "china", "--base", "gh100", "--format", "json")
    assert result.exit_code == 1
    assert "test-total-ban" in result.output


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_catalog_formats(fmt: str) -> None:
    result = run("catalog", "--format", fmt)
    assert result.exit_code == 0 and "rtx-pro-6000d" in result.output


def test_rules_shows_citations_and_status() -> None:
    result = run("rules", "--target", "china", "--as-of", "2025-06-01")
    assert "88 FR 73458" in result.output and "reported" in result.output


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (["classify", "h20", "--as-of", "2024-13-01"], "--as-of"),
        (["classify", "h20", "--as-of", "yesterday"], "YYYY-MM-DD"),
        (["classify", "no-such-chip"], "no-such-chip"),
        (["classify", "h20", "--target", "atlantis"], "atlantis"),
        (["rules", "--target", "narnia"], "narnia"),
        (["--target", "china", "--as-of", "2024-02-30"], "--as-of"),
        (["--target", "china", "--base", "gz999"], "gz999"),
        (["--target", "china", "--objective", "nope"], "nope"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], mentions: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and mentions in lines[0] and "Traceback" not in result.output


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from explorer.cli import main; "
        "CliRunner().invoke(main, ['--help']); "
        "print(sorted(m for m in ('pandas', 'ortools', 'matplotlib', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_compare_shows_each_compliance_path_with_its_fee() -> None:
    """A new GH100 design has no licence path in September 2025 (the August licences named products);
    launched in the US first, it gets the January 2026 path with the 25% share."""
    result = run("compare", "--base", "gh100", "--as-of", "2025-09-01", "--format", "json")
    assert result.exit_code == 0, result.output
    paths = {p["path"]: p for p in json.loads(result.stdout)["paths"]}
    assert set(paths) == {"not-controlled", "notification", "license-case-by-case"}
    assert paths["license-case-by-case"]["outcome"] is None
    assert paths["license-case-by-case"]["status"] == "INFEASIBLE"
    assert paths["not-controlled"]["economics"]["fee_percent"] == 0
    launched = run(
        "compare",
        "--base",
        "gh100",
        "--as-of",
        "2026-02-01",
        "--assume-us-launch",
        "2025-06-01",
        "--format",
        "json",
    )
    assert launched.exit_code == 0, launched.output
    licensed = {p["path"]: p for p in json.loads(launched.stdout)["paths"]}["license-case-by-case"]
    assert licensed["outcome"] == "license-case-by-case" and licensed["economics"]["fee_percent"] == 25
    assert any("third-party testing" in c for c in licensed["conditions"]["path"])


def test_frontier_csv_and_plot(tmp_path) -> None:
    png = tmp_path / "frontier.png"
    result = run(
        "frontier", "--base", "gh100", "--as-of", "2024-06-01", "--format", "csv", "--plot", str(png)
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("unit_cost_usd,value") and len(lines) >= 3
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_objective_goals_and_price() -> None:
    result = run(
        "--target",
        "china",
        "--base",
        "gh100",
        "--objective",
        "gross-margin",
        "--price",
        "12000",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    r = json.loads(result.stdout)["results"][0]
    assert r["economics"]["price_usd"] == 12000 and r["economics"]["gross_margin_usd"] > 0


def test_colour_only_on_a_terminal() -> None:
    plain = CliRunner().invoke(main, ["-q", "--target", "china", "--base", "gh100"])
    coloured = CliRunner().invoke(main, ["-q", "--target", "china", "--base", "gh100"], color=True)
    assert "\x1b[" not in plain.stdout and "\x1b[" in coloured.stdout
    assert max(len(line) for line in plain.stdout.splitlines()) <= 80


def test_a_licensed_search_says_which_facts_close_each_path() -> None:
    result = run("--target", "china", "--base", "gh100", "--allow", "license-case-by-case", "-q")
    assert result.exit_code == 0, result.output
    assert "Licence paths closed by product or buyer facts:" in result.output
    assert "us-bis-2026-01-cn-case-by-case" in result.output and "--assume-us-launch" in result.output
    data = run("--target", "china", "--base", "gh100", "--allow", "license-case-by-case", "--format", "json")
    facts = json.loads(data.stdout)["results"][0]["conditions"]["facts"]
    closing = [f for f in facts if f["rule"] == "us-bis-2026-01-cn-case-by-case"]
    assert closing and not closing[0]["holds"] and closing[0]["actual"] == "never sold in the US"


def test_classify_reports_an_uncertain_verdict_with_its_flip_point() -> None:
    result = run(
        "classify", "rtx-pro-6000d", "--target", "china", "--as-of", "2025-09-01", "--format", "json"
    )
    out = json.loads(result.stdout)
    assert out["outcome"] == "not-controlled" and out["worst_outcome"] == "license-presumed-denial"
    (u,) = out["uncertain"]
    assert u["figure"] == "rtx-pro-6000d memory.pin_rate_gbps" and abs(u["flips_at"] - 25) < 1e-6


@pytest.mark.parametrize(
    "args, option",
    [
        (["classify", "h100", "--target", "singapore", "--end-user-hq", "narnia"], "--end-user-hq"),
        (["--target", "china", "--base", "gh100", "--assume-us-launch", "2025-13-01"], "--assume-us-launch"),
    ],
)
def test_a_bad_fact_option_is_one_line_and_exit_2(args, option) -> None:
    result = run(*args)
    assert result.exit_code == 2 and option in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    "args, names",
    [
        (["--bogus"], "--bogus"),
        (["no-such-command"], "no-such-command"),
        (["classify"], "CHIP"),
        (["classify", "h100", "--format", "xml"], "--format"),
        (["--target", "china", "--width", "3"], "--width"),
        (["classify", "h100", "--bogus\x1b[2J"], "--bogus\\x1b"),
    ],
)
def test_a_usage_error_is_one_line_naming_the_option_and_exit_2(args, names) -> None:
    """Click's own usage errors are three lines (usage, hint, error); here they are the one line all bad
    input gets, with the command whose --help lists what it takes, and a control character escaped."""
    result = run(*args)
    (line,) = result.output.strip().splitlines()
    assert result.exit_code == 2 and line.startswith("explore: error: ") and names in line, result.output
    assert "--help" in line and "\x1b[" not in line


@pytest.mark.parametrize(
    "args",
    [
        ["--target", "de", "classify", "h20"],
        ["--as-of", "2024-01-01", "screen"],
        ["--allow", "notification", "rules"],
    ],
)
def test_a_search_option_before_a_subcommand_is_refused_not_ignored(args) -> None:
    result = run(*args)
    assert result.exit_code == 2 and "after the subcommand" in result.output, result.output


def test_data_works_before_or_after_the_subcommand(data_copy) -> None:
    tmp_path = data_copy
    h20 = tmp_path / "specs" / "skus" / "h20.toml"
    h20.write_text(h20.read_text().replace('name = "NVIDIA H20 96GB"', 'name = "NVIDIA H20 (our copy)"'))
    for args in (["--data", str(tmp_path), "classify", "h20"], ["classify", "h20", "--data", str(tmp_path)]):
        result = run(*args)
        assert result.exit_code == 0 and "our copy" in result.output, args


def test_version_and_short_help() -> None:
    assert run("--version").output.startswith("explore, version")
    assert run("classify", "-h").output.startswith("Usage: ") and "CHIP" in run("classify", "-h").output


def test_no_color_turns_colour_off(monkeypatch) -> None:
    from explorer.report.render import paint

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[" in paint("license-presumed-denial")
    monkeypatch.setenv("NO_COLOR", "1")
    assert paint("license-presumed-denial") == "license-presumed-denial"


def test_calibrate_never_writes_into_the_installed_package(monkeypatch) -> None:
    from explorer import api
    from explorer.load import loader

    root = api.load().root
    monkeypatch.setattr(loader, "packaged_data_dir", lambda: root)  # as if this were the wheel's copy
    before = (root / "specs" / "calibration" / "efficiency.toml").read_text()
    result = run("calibrate", "--write")
    assert result.exit_code == 2 and "--data" in result.output
    assert (root / "specs" / "calibration" / "efficiency.toml").read_text() == before


@pytest.mark.parametrize(
    "args",
    [
        ["classify", "h20"],
        ["screen"],
        ["rules"],
        ["calibrate"],
        ["catalog"],
        ["compare", "--base", "gh100"],
        ["robust", "--base", "gh100", "--scenario", "safe-chips-act"],
        ["verify", "--base", "gh100", "--samples", "2", "--designs", "5", "--workers", "1"],
        ["--target", "china", "--base", "gh100"],
    ],
)
@pytest.mark.slow
def test_every_tabular_command_writes_csv(args) -> None:
    import csv
    import io

    result = run(*args, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and all(len(r) == len(rows[0]) for r in rows)


def test_the_readme_template_example_and_markdown_alone() -> None:
    from explorer import api

    template = api.load().root / "examples" / "company.txt.j2"
    result = run("--target", "china", "--base", "gh100", "--template", str(template))
    assert result.exit_code == 0 and result.stdout.startswith("NVIDIA GH100: best not-controlled design")
    assert "proof" not in result.stdout  # the template's output is the payload, no table after it
    md = run("--target", "china", "--base", "gh100", "--format", "markdown")
    assert md.stdout.startswith("# NVIDIA GH100") and "<html" not in md.stdout


def test_the_main_table_names_the_nearest_line_and_warns_near_a_reported_one() -> None:
    out = run("--target", "china", "-q").output
    assert "gh100: nearest line 3A090.b.1 tpp >= 2400" in out
    data = json.loads(run("--target", "china", "--format", "json").stdout)
    near = {r["base"]: r["nearest_line"] for r in data["results"]}
    reported = [b for b, n in near.items() if n and n["status"] == "reported" and n["distance_pct"] < 1]
    assert all(f"{b}: nearest line" in out for b in near if near[b])
    assert all(
        "warning: within 1%" in out.split(f"{b}: nearest line", 1)[1].split("\n\n")[0] for b in reported
    )


def test_a_licence_path_design_names_the_line_that_decides_its_licence() -> None:
    # gb110 under blackwell-allowed is case-by-case through the 742.6(b)(10) review: its TPP 20,992 sits
    # 0.036% under that review's 21,000 line (the density line 121% off decides nothing)
    args = ["--target", "china", "--base", "gb110", "--allow", "license-case-by-case"]
    args += ["--assume-us-launch", "2025-06-01", "--scenario", "blackwell-allowed", "--as-of", "2026-06-01"]
    out = " ".join(run(*args, "-q").output.split())  # however the table wraps
    assert "gb110: nearest line 742.6(b)(10) review policy (2026) tpp < 21000 (relief, official)" in out
    assert "0.036% below it" in out
    [r] = json.loads(run(*args, "--format", "json").stdout)["results"]
    near = r["nearest_line"]
    assert r["outcome"] == "license-case-by-case"
    assert (near["rule"], near["role"], near["metric"], near["side"]) == (
        "us-bis-2026-01-cn-case-by-case",
        "relief",
        "tpp",
        "below",
    )
    assert near["value"] < 21000 and abs(near["distance_pct"] - (21000 - near["value"]) / 210) < 1e-4
    assert near["outcome_if_crossed"] == "license-presumed-denial"
    assert near["distance_pct"] <= min(abs(g["margin_pct"]) for g in r["margins"] if g["role"] == "relief")


@pytest.mark.slow
def test_gross_margin_prices_every_base_without_a_price_option() -> None:
    # every base die has an anchor in its own market (sourced, or estimated with its reasoning):
    # the objective runs over all of them, none without a price
    from explorer import api
    from explorer.load.loader import load_prices

    data = json.loads(run("--target", "china", "--objective", "gross-margin", "--format", "json").stdout)
    bases = {r["base"] for r in data["results"]}
    assert bases == set(api.load().catalog.design_bases()) and len(bases) >= 17
    for r in data["results"]:
        e = r["economics"]
        assert r["design"] is None or (e["price_usd"] > 0 and e["gross_margin_usd"] is not None), r["base"]
    prices = load_prices(api.load().root)
    for a in prices.anchors:
        status = a.price_usd.status or prices.sources[a.price_usd.source].status
        assert a.price_usd.source in prices.sources
        assert not a.borrowed or (status.value == "estimated" and a.price_usd.note), a.die


def test_the_table_details_each_design_with_its_figures_lines_and_floor_margin() -> None:
    args = ["--target", "china", "--base", "gh100", "--as-of", "2024-06-01", "--at-least", "h20"]
    out = " ".join(run(*args, "-q").output.split())
    [r] = json.loads(run(*args, "--format", "json").stdout)["results"]
    m, floor = r["metrics"], r["floor"]
    assert f"TPP {m['tpp']:,.6g}, density {m['performance_density']:,.4g}" in out
    assert f"memory {m['memory_bandwidth_gbps']:,.6g} GB/s, I/O {m['io_bidirectional_gbps']:,.6g} GB/s" in out
    first = r["deciding_lines"][0]
    assert first == r["nearest_line"] and first["paragraph"] == "3A090.b.1"
    assert "lines: 3A090.b.1 tpp >= 2400 0.0064% below; 3A090.b.2 performance_density >= 3.2" in out
    assert floor["margin_pct"] > 0 and f"+{floor['margin_pct']:.1f}% over the --at-least floor" in out


def test_an_economics_objective_shows_the_money_it_optimised() -> None:
    out = run("--target", "china", "--base", "gh100", "--objective", "gross-margin", "-q").output
    assert "Objective gross-margin, in dollars" in out and "gross margin" in out and "$" in out


def test_frontier_refuses_options_it_does_not_use_and_explains_a_single_point() -> None:
    assert run("frontier", "--base", "gh100", "--objective", "gross-margin").exit_code == 2
    assert run("frontier", "--base", "gh100", "--price", "1000").exit_code == 2
    several = run("frontier", "--base", "gb202", "--x", "cost", "--format", "json")
    assert len(json.loads(several.stdout)["points"]) > 1  # the README's example has a real frontier


def test_the_map_colours_every_chip_by_its_own_verdict(tmp_path) -> None:
    from explorer import api
    from explorer.report import plots

    data = api.load()
    on = "2025-09-01"
    points = plots.chip_points(api.classify_catalog("china", on, data))
    for p in points:  # the colour drawn is the colour of the checker's outcome for that chip, nothing else
        assert (
            plots.point_colour(p)
            == plots.OUTCOME_COLOURS_ALL[api.classify(p.label, "china", on, data).verdict.outcome.value]
        )
    assert {p.outcome for p in points} >= {
        "not-controlled",
        "license-presumed-denial",
        "license-case-by-case",
    }
    svg = tmp_path / "map.svg"
    assert run("plot", "map", "--target", "china", "--as-of", on, "--out", str(svg)).exit_code == 0
    text = svg.read_text().lower()
    assert all(plots.point_colour(p).lower() in text for p in points)


def test_the_main_table_ranks_dies_on_one_absolute_scale() -> None:
    """Value is tokens/s per chip against one reference SKU, so dies rank on it directly."""
    data = json.loads(run("--target", "china", "--format", "json").stdout)
    value = {r["base"]: r["value"] for r in data["results"]}
    for r in data["results"]:
        t = r["throughput"]
        if t and r["value"]:  # value = tokens/s over the reference's, after fees (none on these designs)
            assert t["relative_to"] == "h100-sxm"
            assert abs(r["value"] - t["tokens_per_s_per_chip"] / t["tokens_per_s_reference"]) < 0.01
    table = run("--target", "china", "-q").output.splitlines()
    order = [line.split()[0] for line in table if line.split() and line.split()[0] in value]
    order = list(dict.fromkeys(order))
    assert [value[b] for b in order] == sorted(value.values(), reverse=True)


def test_classify_csv_carries_the_outcome_on_every_row() -> None:
    out = run("classify", "h20", "--as-of", "2024-06-01", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    outcome = json.loads(run("classify", "h20", "--as-of", "2024-06-01", "--format", "json").stdout)[
        "outcome"
    ]
    assert rows and {r["outcome"] for r in rows} == {outcome} and {r["target"] for r in rows} == {"CN"}


def test_small_margins_keep_their_significant_digits() -> None:
    from explorer.report.render import pct

    assert [pct(x, signed=True) for x in (0.006, -0.0358, 1.54, 337.34, 0)] == [
        "+0.006%",
        "-0.036%",
        "+1.54%",
        "+337.3%",
        "0%",
    ]


@pytest.mark.slow
def test_frontier_values_print_with_enough_digits_to_tell_rows_apart() -> None:
    args = ["frontier", "--target", "china", "--base", "gb202", "--x", "margin", "--points", "12"]
    values = [r["value"] for r in json.loads(run(*args, "--format", "json").stdout)["points"]]
    lines = run(*args).stdout.splitlines()
    printed = [line.split()[1] for line in lines if " OPTIMAL " in line or " FEASIBLE " in line]
    assert len(printed) == len(values)
    assert len(set(printed)) == len({round(v, 6) for v in values})  # distinct values print distinctly
    assert all(len(p.split(".")[1]) == len(printed[0].split(".")[1]) >= 3 for p in printed)  # one width


def test_value_labels_the_reference_chips_throughput_apart_from_the_chips_own() -> None:
    out = run("value", "h20").stdout
    rec = json.loads(run("value", "h20", "--format", "json").stdout)
    s = rec["serving"]
    assert f"of h100-sxm's {s['tokens_per_s_reference']:,} tokens/s per chip" in out
    assert f"h20: {s['tokens_per_s_per_chip']:,})" in out

"""The loader: a round trip through TOML is lossless, and bad files fail in one clear line."""

from __future__ import annotations

import copy
import dataclasses
import shutil
import tempfile
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
import tomli_w
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.cli import main
from explorer.load.loader import default_data_dir, parse
from explorer.load.serialize import to_data
from explorer.model import chips as c
from explorer.model.rules import RuleSet

ROOT = default_data_dir()
KINDS = {"specs/dies": c.Die, "specs/skus": c.Sku, "constraints": RuleSet}
FILES = [
    (p.relative_to(ROOT), cls)
    for folder, cls in KINDS.items()
    for p in sorted((ROOT / folder).glob("*.toml"))
    if p.name != "destinations.toml"
]


def read(path: Path) -> dict:
    return tomllib.loads(path.read_text(), parse_float=Decimal)


@pytest.mark.parametrize(("rel", "cls"), FILES, ids=[str(f) for f, _ in FILES])
def test_round_trip_through_toml_is_lossless(rel: Path, cls: type) -> None:
    first = parse(cls, read(ROOT / rel), str(rel))
    text = tomli_w.dumps(to_data(first))
    assert parse(cls, tomllib.loads(text, parse_float=Decimal), "again") == first


def _quantities(node, path=()):
    """Paths to every {value, unit, ...} table in a data file."""
    if isinstance(node, dict):
        if "unit" in node and "value" in node:
            yield path
        for k, v in node.items():
            yield from _quantities(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _quantities(v, (*path, i))


def _at(node, path):
    for k in path:
        node = node[k]
    return node


def _required(cls: type) -> list[str]:
    return [
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]


MUTATIONS = [
    "drop-required",
    "unknown-key",
    "bad-unit",
    "wrong-type",
    "bad-date",
    "not-toml",
    "sparse",
]


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(target=st.sampled_from(FILES), mutation=st.sampled_from(MUTATIONS), pick=st.integers(0, 10**6))
def test_a_malformed_data_file_gives_one_line_and_exit_2(target, mutation, pick):
    rel, cls = target
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for folder in ("constraints", "specs"):
            shutil.copytree(ROOT / folder, root / folder)
        path = root / rel
        raw = read(path)
        bad = copy.deepcopy(raw)
        if mutation == "drop-required":
            keys = _required(cls)
            del bad[keys[pick % len(keys)]]
        elif mutation == "unknown-key":
            bad["colour"] = "red"
        elif mutation == "bad-unit":
            paths = list(_quantities(bad))
            if not paths:  # a file with no quantity gets an unknown key instead
                bad["colour"] = "red"
            else:
                _at(bad, paths[pick % len(paths)])["unit"] = "furlongs"
        elif mutation == "wrong-type":
            bad["id"] = 42
        elif mutation == "bad-date":
            bad["effective_from" if cls is RuleSet else "launched"] = dt_string_or_bad(cls)
        elif mutation == "sparse":
            if cls is c.Die:
                bad["throughput"][pick % len(bad["throughput"])]["sparsity"] = "sparse"
            else:
                bad["id"] = ["not", "a", "string"]
        text = "id = [unclosed\n" if mutation == "not-toml" else tomli_w.dumps(bad)
        path.write_text(text)
        result = CliRunner().invoke(main, ["--data", str(root), "classify", "h20"])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert str(rel) in lines[0] and "expected" in lines[0]
    assert "Traceback" not in result.output


def dt_string_or_bad(cls: type) -> object:
    """A value the loader must refuse where a date (rules) or a string (SKUs) belongs."""
    return "2023-13-45" if cls is RuleSet else 2024


def _edit(rel: str, change) -> tuple[Path, object]:
    """Copy the data, apply `change` to one file's TOML, and run classify on the copy."""
    tmp = Path(tempfile.mkdtemp())
    for folder in ("constraints", "specs"):
        shutil.copytree(ROOT / folder, tmp / folder)
    path = tmp / rel
    raw = read(path)
    change(raw)
    path.write_text(tomli_w.dumps(raw))
    result = CliRunner().invoke(main, ["--data", str(tmp), "classify", "h20"])
    shutil.rmtree(tmp)
    return path, result


def _drop_range(raw):
    del raw["logic_dies"][0]["area_mm2"]["low"]


def _misspell_product(raw):
    raw["reliefs"][0]["facts"][0]["any_of"] = ["h-20"]


def _bad_withdrawal(raw):
    raw["withdrawals"][0]["reliefs_of"] = ["no-such-rule"]


def _date_and_list(raw):
    raw["reliefs"][0]["facts"][0]["any_of"] = ["x"]


def _bad_hq_scope(raw):
    raw["controls"][0]["facts"][0]["any_of"] = ["D:9"]


def _full_count(raw):
    raw["package"]["counts"] = [2]  # the full package is not a variant of itself


def _sites_that_do_not_add_up(raw):
    raw["package"]["hbm_sites_per_die"]["value"] = 3


def _derived_field_in_a_file(raw):
    raw["variant_of"] = "gh100"


@pytest.mark.parametrize(
    ("rel", "change", "field"),
    [
        ("specs/dies/gb100.toml", _drop_range, "logic_dies[0].area_mm2"),
        ("constraints/usg-2025-08-h20-licences.toml", _misspell_product, "reliefs[0].facts[0]"),
        ("constraints/usg-2025-12-h200-announcement.toml", _bad_withdrawal, "withdrawals[0].reliefs_of"),
        ("constraints/us-bis-2026-01-cn-case-by-case.toml", _date_and_list, "reliefs[0].facts[0]"),
        ("constraints/us-bis-2024-04-hq.toml", _bad_hq_scope, "controls[0].facts[0]"),
        ("specs/dies/gb100.toml", _full_count, "package.counts"),
        ("specs/dies/gb100.toml", _sites_that_do_not_add_up, "package.hbm_sites_per_die"),
        ("specs/dies/gb100.toml", _derived_field_in_a_file, "variant_of"),
    ],
    ids=[
        "estimate-without-range",
        "unknown-product",
        "withdrawal-of-nothing",
        "date-fact-with-list",
        "bad-hq",
        "package-count",
        "package-sites",
        "package-derived-field",
    ],
)
def test_facts_and_ranges_are_checked_at_load(rel, change, field) -> None:
    """A misspelt product or an estimate without its range would silently change verdicts."""
    _, result = _edit(rel, change)
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert len(line.splitlines()) == 1 and rel in line and field in line, line


# Where the primary text lives: the Federal Register, govinfo (FR, CFR, bills), the eCFR, BIS
# itself, GAO decisions and congress.gov bills; a company's own notice lives on EDGAR.
PRIMARY = {
    "www.federalregister.gov",
    "www.govinfo.gov",
    "www.ecfr.gov",
    "www.gpo.gov",
    "www.bis.gov",
    "www.gao.gov",
    "www.congress.gov",
}
FILINGS = {"www.sec.gov"}


def _host(url: str | None) -> str | None:
    """The URL's host, or None where it is no https URL (a host is read, never matched as text)."""
    from urllib.parse import urlparse

    parsed = urlparse(url or "")
    return parsed.hostname if parsed.scheme == "https" else None


def _every_rule_set():
    """The rule sets in constraints/ and those every scenario adds, with the file each came from."""
    from explorer import api

    data = api.load()
    out = [(f"constraints/{r.id}.toml", r) for r in data.rules]
    for name in api.scenario_names(data.root):
        sc = api.with_scenarios(data, [name]).scenarios[-1]
        out += [(f"constraints/scenarios/{name}.toml", r) for r in sc.add]
    return data, out


def test_official_rule_sets_cite_the_primary_text_first() -> None:
    """An official rule set's source_url and its first source are the primary text (Federal Register,
    govinfo, eCFR, bis.gov), a company notice's the company's own filing on EDGAR; reproductions may
    stay among the sources, marked reported."""
    _, rules = _every_rule_set()
    checked = 0
    for file, rule in rules:
        hosts = {"official": PRIMARY, "company-notice": FILINGS}.get(rule.status.value)
        if hosts is None:
            continue
        first = next(iter(rule.sources.values()), None)
        assert first is not None, (file, "no [sources]")
        assert _host(rule.source_url) in hosts, (file, rule.source_url)
        assert _host(first.url) in hosts, (file, "first source", first.url)
        checked += 1
    assert checked >= 20  # every official and company-notice rule set, not a sample


def test_every_source_marked_official_is_the_primary_text() -> None:
    """A copy of an official text (a blog, a law firm, a third-party parse) is marked reported: status
    official means the Federal Register, govinfo, eCFR, BIS, GAO or congress.gov itself, and
    company-notice the company's filing; in rule sets, scenarios and destinations.toml alike."""
    from explorer import api

    data, rules = _every_rule_set()
    tables = [(file, r.sources) for file, r in rules]
    tables += [
        (f"constraints/scenarios/{n}.toml", api.with_scenarios(data, [n]).scenarios[-1].sources)
        for n in api.scenario_names(data.root)
    ]
    tables.append(("constraints/destinations.toml", data.destinations.sources))
    for file, sources in tables:
        for key, source in sources.items():
            if source.status.value == "official":
                assert _host(source.url) in PRIMARY, (file, key, source.url)
            if source.status.value == "company-notice":
                assert _host(source.url) in FILINGS, (file, key, source.url)


def test_a_host_is_read_from_the_url_not_matched_as_text() -> None:
    assert _host("https://www.federalregister.gov/d/2020-28101") == "www.federalregister.gov"
    assert _host("https://www.federalregister.gov.example.com/x") not in PRIMARY
    assert _host("https://www.federalregister.gov@example.com/x") == "example.com"
    assert _host("http://www.ecfr.gov/current") is None


@pytest.mark.parametrize(
    ("table", "change", "field", "expected"),
    [
        ("point", {"scenario": "Offline"}, "point[0].scenario", "one of offline, server, interactive"),
        ("point", {"scenario": "concurrency", "max_batch": None}, "point[0].scenario", "a closed-loop point"),
        ("point", {"scenario": "concurrency", "max_batch": 8, "tpot_ms": 40}, "point[0].scenario", "no tpot"),
        ("point", {"engine": "trt-llm"}, "point[0].engine", "an engine of setup.engines"),
        ("point", {"kv_memory_fraction": 1.5}, "point[0].kv_memory_fraction", "a fraction in (0, 1]"),
        ("engine", {"kv_memory_of": "weights"}, "setup.engines.vllm.kv_memory_of", "total or free"),
        ("point", {"source": "mlperf-v99"}, "point[0].source", "a key of [sources]"),
        ("setup", {"superseded": ["dstack-2025"]}, "setup.superseded[0]", "a key of [sources]"),
        (
            "point",
            {"engine": "sglang", "kv_memory_fraction": None},
            "point[0].kv_memory_fraction",
            "no default",
        ),
        (
            "point",
            {"scenario": "server", "tpot_ms": 100, "ttft_ms": 2000, "pipeline_parallel": 2},
            "point[0].pipeline_parallel",
            "1 for a TTFT-limited tensorrt-llm run",
        ),
    ],
    ids=[
        "unknown-scenario",
        "closed-loop-without-concurrency",
        "closed-loop-with-a-limit",
        "unknown-engine",
        "memory-share-over-one",
        "unknown-memory-base",
        "unknown-source",
        "unknown-superseded-source",
        "no-memory-share-and-no-default",
        "ttft-limited-pipeline-with-per-stage-limits",
    ],
)
def test_a_measured_points_setup_is_checked_at_load(tmp_path, table, change, field, expected) -> None:
    """A misspelt scenario, engine or source, or a closed-loop point without its concurrency, would be
    fitted as another setup or counted as another source: the loader names the field instead."""
    from explorer.load.loader import load_measured
    from explorer.model.errors import InputError

    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    path = tmp_path / "specs" / "calibration" / "measured.toml"
    raw = read(path)
    target = {"point": raw["point"][0], "setup": raw["setup"]}.get(table) or raw["setup"]["engines"]["vllm"]
    for key, value in change.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    path.write_text(tomli_w.dumps(raw))
    with pytest.raises(InputError) as error:
        load_measured(tmp_path)
    assert field in str(error.value) and expected in str(error.value)

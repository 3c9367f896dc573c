"""Printing and writing: tables, JSON, CSV, wrapped notes, spec documents, files written atomically."""

from __future__ import annotations

import json

import click

from explorer.cli.options import Options
from explorer.model.errors import InputError


def counted(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def wrapped(text: str) -> str:
    """Long lines wrapped at 80 columns, continuation lines indented under their own line."""
    import textwrap

    def fill(line: str) -> str:
        if len(line) <= 80:
            return line
        lead = len(line) - len(line.lstrip())
        indent = " " * (lead + 4 if lead else 0)  # prose wraps flush, indented items hang
        return textwrap.fill(line, 80, subsequent_indent=indent, break_on_hyphens=False)

    return "\n".join(fill(line) for line in text.split("\n"))


def say(ctx: click.Context, text: str) -> None:
    """The human summary: on stderr, so stdout carries only the payload; silent with --quiet."""
    if not ctx.find_root().obj.get("quiet"):
        click.echo(text, err=True)


def print_json(obj: object) -> None:
    click.echo(json.dumps(obj, indent=2))


def print_csv(rows: list[dict]) -> None:
    """One row per record; lists are joined with '; ', nested tables left to the JSON."""
    from explorer.report.render import csv_text

    flat = [
        {
            k: "; ".join(map(str, v)) if isinstance(v, list) else v
            for k, v in r.items()
            if not isinstance(v, dict)
        }
        for r in rows
    ]
    click.echo(csv_text(flat), nl=False)


def write_robust_documents(data, out: str, results, allow: str) -> None:
    """Per base: the robust design judged in the first world, with a robustness section."""
    from explorer.report import document
    from explorer.report import results as report

    rendered = {}
    for r in results:
        if r.design is None or r.problem is None:
            continue
        first = r.first_world_result()
        doc = document.build(first, first.problem.data, {"allowed": allow, "objective": "perf"})
        doc["robustness"] = report.robust_dict(r)
        rendered[r.base] = {
            ".json": json.dumps(doc, indent=2) + "\n",
            ".md": document.render(doc, "markdown"),
            ".html": document.render(doc, "html"),
        }
    write_documents(out, rendered)


def read_json(path: str):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError("--replay", "", path, f"a verify report in JSON ({e})") from None


def spec_documents(
    data, opts: Options, r, template: str | None, only: str | None = None, chips: dict | None = None
) -> dict[str, str]:
    """Every rendering of one result's spec document, by file suffix (`only`: just that one).

    `chips` holds the catalog's map points by (target, date), shared across a run's documents.
    """
    from pathlib import Path

    from explorer.report import document, plots

    p = r.problem
    doc = document.build(r, data, {"allowed": opts.allowed.value, "objective": opts.goal})
    if only == ".md":
        return {".md": document.render(doc, "markdown")}
    if only == "custom" and template is not None:
        return {"custom": document.render_with(doc, Path(template))}
    figure = None
    from explorer import api

    if isinstance(r, api.Found):
        me = [plots.design_point(f"{r.die.id} design", r.metrics, r.verdict.outcome.value)]
        chips = {} if chips is None else chips
        key = (p.target.code, p.as_of)
        if key not in chips:
            chips[key] = plots.chip_points(api.classify_catalog(p.target.code, p.as_of, data))
        figure = plots.compliance_map(
            data.rules, p.target, p.as_of, chips[key], me, scenarios=data.scenarios, facts=p.facts
        )
    files = {
        ".json": json.dumps(doc, indent=2) + "\n",
        ".md": document.render(doc, "markdown"),
        ".html": document.render(doc, "html", figure),
    }
    if template:
        files["custom"] = document.render_with(doc, Path(template))
    return files


def write_documents(out: str, rendered: dict[str, dict[str, str]], template: str | None = None) -> list:
    """The whole set is written as one unit: rendered first, written into a temporary folder beside the
    target, then moved into place; on any failure nothing new remains. Returns the paths written."""
    import os
    import shutil
    import tempfile
    from pathlib import Path

    from explorer.search import interrupts

    folder = Path(out)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    except OSError as e:
        raise InputError("--out", "", out, f"a folder that can be written ({e.strerror})") from None
    interrupts.temporary(staging)
    written = []
    try:
        for name, files in rendered.items():
            for suffix, text in files.items():
                if suffix == "custom":
                    suffix = template_suffix(template)
                (staging / f"{name}{suffix}").write_text(text)
                written.append(folder / f"{name}{suffix}")
        folder.mkdir(exist_ok=True)
        for path in written:
            os.replace(staging / path.name, path)
    except OSError as e:
        raise InputError("--out", "", out, f"a folder that can be written ({e.strerror})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        interrupts.done(staging)
    return written


def write_file(path: str, write, option: str = "--out") -> None:
    """Write through a temporary file beside `path`, then move it; one line and exit 2 if it cannot be."""
    import os

    from explorer.search import interrupts

    tmp = f"{path}.tmp-{os.getpid()}"
    interrupts.temporary(tmp)
    interrupts.temporary(tmp + ".png")
    interrupts.temporary(tmp + ".svg")
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as e:
        raise InputError(option, "", path, f"a file that can be written ({e.strerror})") from None
    finally:
        for x in (tmp, tmp + ".png", tmp + ".svg"):
            if os.path.exists(x):
                os.remove(x)
            interrupts.done(x)


def template_suffix(template: str | None) -> str:
    """`company.txt.j2` writes `NAME.txt`; a template without a second suffix writes `NAME.out`."""
    from pathlib import Path

    suffixes = Path(template or "x.out").suffixes
    return suffixes[-2] if len(suffixes) >= 2 and suffixes[-1] == ".j2" else ".out"

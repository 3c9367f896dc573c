"""Printing and writing: tables, JSON, CSV, wrapped notes, spec documents, files written atomically."""

from __future__ import annotations

import io
import json
import os
import sys

import click

from explorer.cli.options import Options
from explorer.model.errors import InputError
from explorer.model.names import is_file_name, printable


class OutputError(InputError):
    """Standard output could not take the output (a full disk, a file size limit): exit 2, not 0 or 3."""


class _WholeWrites(io.RawIOBase):
    """fd 1, written whole or not at all: Python's buffered writer can drop the rest of a short write (a
    file size limit), so every write loops until done and a failure raises (EPIPE stays BrokenPipeError)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def isatty(self) -> bool:
        return os.isatty(self.fd)

    def write(self, b) -> int:
        view = memoryview(b).cast("B")
        done = 0
        while done < len(view):
            try:
                done += os.write(self.fd, view[done:])
            except BrokenPipeError:
                raise
            except OSError as e:
                raise OutputError(
                    "stdout", "", e.strerror, "a standard output that takes the whole output"
                ) from None
        return done


def checked_stdout() -> None:
    """Route sys.stdout through `_WholeWrites` when it is a real file (not a test's capture)."""
    out = sys.stdout
    try:
        fd = out.fileno()
    except (AttributeError, OSError, ValueError):
        return
    if isinstance(getattr(getattr(out, "buffer", None), "raw", None), _WholeWrites):
        return
    out.flush()
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(_WholeWrites(fd)),
        encoding=out.encoding,
        errors=out.errors,
        line_buffering=bool(out.line_buffering),
    )


def silence_stdout() -> None:
    """After stdout failed or its reader left: what it still buffers goes to /dev/null, quietly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):
        pass


def counted(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def wrapped(text: str) -> str:
    """Long prose lines wrapped at `layout.prose_width()` (the terminal's, --width, COLUMNS or 80),
    continuation lines indented under their own line. A table's lines (from its header, over its rule of
    dashes, to the next blank line) are left as `render.table` laid them out."""
    import re
    import textwrap

    from explorer.report.layout import prose_width

    width = prose_width()
    lines = text.split("\n")
    rule = re.compile(r"-+(  -+)*")
    in_table = [False] * len(lines)
    for i, line in enumerate(lines):
        if i and rule.fullmatch(line):
            k = i - 1
            while k < len(lines) and lines[k].strip():
                in_table[k] = True
                k += 1

    def fill(line: str) -> str:
        if len(line) <= width:
            return line
        lead = len(line) - len(line.lstrip())
        indent = " " * (lead + 4 if lead else 0)  # prose wraps flush, indented items hang
        return textwrap.fill(line, width, subsequent_indent=indent, break_on_hyphens=False)

    return "\n".join(line if keep else fill(line) for line, keep in zip(lines, in_table, strict=True))


def say(ctx: click.Context, text: str, always: bool = False) -> None:
    """The human summary: on stderr, so stdout carries only the payload; silent with --quiet (unless
    `always`). One line, whatever names and paths it holds (control characters escaped)."""
    if always or not ctx.find_root().obj.get("quiet"):
        click.echo(printable(text), err=True)


class Progress:
    """Steps of a long command on stderr, so a user or a log sees it move: a bar on a terminal (where the
    total is known), elsewhere one line per step (at most one every `every_s` seconds, and always the
    last), never a carriage return; nothing with -q. Call it with the steps done; close it when finished."""

    def __init__(self, ctx: click.Context, label: str, total: int | None = None, every_s: float = 0.5):
        import time

        self.ctx, self.label, self.total, self.every_s = ctx, label, total, every_s
        self.done, self.last = 0, -float("inf")
        self.quiet = bool(ctx.find_root().obj.get("quiet"))
        self.bar = None
        if not self.quiet and total and sys.stderr.isatty():
            self.bar = click.progressbar(length=total, label=label, file=sys.stderr)
            self.bar.__enter__()
        self.clock = time.monotonic

    def __call__(self, n: int = 1, what: str = "") -> None:
        self.done += n
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.update(n)
            return
        now = self.clock()
        if now - self.last >= self.every_s or self.done == self.total:
            self.last = now
            of = f"/{self.total}" if self.total else ""
            say(self.ctx, f"[{self.done}{of}] {self.label}{f': {what}' if what else ''}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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
        rendered[first.die.id] = {  # named by the die's id, as the search's documents are
            ".json": json.dumps(doc, indent=2) + "\n",
            ".md": document.render(doc, "markdown"),
            ".html": document.render(doc, "html"),
        }
    write_documents(out, rendered)


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
    """A set of documents written as one unit, so no failure, signal or second writer leaves a mix:

    rendered first, written into a fresh staging folder beside the target, then swapped in under a lock on
    the target folder (a second writer waits for it), each file it replaces set aside until the last new
    one is in place; a failure or a signal puts the old files back and removes the new ones (and any folder
    made for them). File names are ids (checked at load) and suffixes, refused if they are not plain names.
    Returns the paths written."""
    import shutil
    import tempfile
    from pathlib import Path

    from explorer.search import interrupts

    folder = Path(out)
    files: dict[str, str] = {}
    for name, texts in rendered.items():
        for suffix, text in texts.items():
            file = f"{name}{template_suffix(template) if suffix == 'custom' else suffix}"
            if not is_file_name(file):  # never a path: no separator, no "..", no control character
                raise InputError("--out", "", file, "a plain file name (letters, digits, '.', '-', '_')")
            files[file] = text

    def cannot(e: OSError):
        return InputError("--out", "", out, f"a folder that can be written ({e.strerror})")

    try:
        made = _make_parents(folder)
    except OSError as e:
        raise cannot(e) from None
    staging: Path | None = None
    lock: int | None = None
    # (target, where the file it replaces is set aside, the new file's staged path), noted before either moves
    swapped: list[tuple[Path, Path | None, Path]] = []

    def roll_back() -> None:
        for target, old, staged in reversed(swapped):
            if old is not None:
                if os.path.lexists(old):  # set aside: back it goes, over the new file if that was placed
                    os.replace(old, target)
            elif not os.path.lexists(staged) and os.path.lexists(target):  # placed where nothing was
                os.remove(target)
        swapped.clear()
        for d in reversed(made):
            with _suppress(OSError):
                d.rmdir()  # only if empty: another writer's files stay

    interrupts.undo(roll_back)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
        interrupts.temporary(staging)
        for file, text in files.items():
            (staging / file).write_text(text, encoding="utf-8")
        try:
            folder.mkdir()
            made.append(folder)
        except FileExistsError:
            pass
        lock = _lock(folder)
        (staging / ".replaced").mkdir()
        for file in files:
            target = folder / file
            old = None
            if os.path.lexists(target):
                if target.is_dir() and not target.is_symlink():
                    raise InputError("--out", "", str(target), "a path for a file, not a folder")
                old = staging / ".replaced" / file
            swapped.append((target, old, staging / file))
            if old is not None:
                os.replace(target, old)
            os.replace(staging / file, target)
        swapped.clear()  # done: nothing to put back
        made.clear()
    except OSError as e:
        roll_back()
        raise cannot(e) from None
    except BaseException:
        roll_back()
        raise
    finally:
        interrupts.undone(roll_back)
        if lock is not None:
            os.close(lock)  # releases the lock
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
            interrupts.done(staging)
    return [folder / file for file in files]


def _make_parents(folder) -> list:
    """The missing folders above `folder`, made, outermost first (to be removed if the write fails)."""
    missing = [p for p in reversed(folder.absolute().parents) if not p.exists()]
    for p in missing:
        p.mkdir()
    return missing


def _lock(folder) -> int:
    """An exclusive lock on the folder itself (released when the descriptor closes, or the process ends)."""
    import fcntl

    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _suppress(*errors):
    import contextlib

    return contextlib.suppress(*errors)


def write_file(path: str, write, option: str = "--out") -> None:
    """Write through a temporary file beside `path`, then move it; one line and exit 2 if it cannot be."""
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


PICTURES = (".png", ".svg")


def check_picture(path: str | None, option: str) -> None:
    """A picture's path must end in .png or .svg (matplotlib picks the format from it): checked before the
    work that draws it."""
    if path is not None and not path.endswith(PICTURES):
        raise InputError(option, "", path, "a file ending in .png or .svg")


def write_picture(path: str, draw, option: str = "--plot") -> None:
    """`draw(file)` saves a matplotlib figure to `file`; written through `write_file`, so a path that cannot
    be written is one line and exit 2."""
    check_picture(path, option)
    suffix = os.path.splitext(path)[1]

    def write(tmp: str) -> None:  # matplotlib picks the format from the suffix, so the temporary keeps it
        draw(tmp + suffix)
        os.replace(tmp + suffix, tmp)

    write_file(path, write, option)


def template_suffix(template: str | None) -> str:
    """`company.txt.j2` writes `NAME.txt`; a template without a second suffix writes `NAME.out`."""
    from pathlib import Path

    suffixes = Path(template or "x.out").suffixes
    return suffixes[-2] if len(suffixes) >= 2 and suffixes[-1] == ".j2" else ".out"

"""Hostile input, round 2 (issue 25): what the tool writes and how its processes end, as a corpus.

By the issue's numbered items: CSV cells no spreadsheet runs and terminal lines no escape sequence
rewrites (4), templates bounded in memory (5), one catch-all for every fault (6), a thread that cannot start
(7), output sets written as one unit, SIGHUP and workers that die with their parent (8), exit codes when
stdout fails (9), and the cases round 1 left failing (10). Every case asserts its exit code, one line, no
traceback and a clean folder. `test_hostile_data.py` holds the files users hand the tool.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from explorer.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def one_line(result, *culprits: str, code: int = 2) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output, result.output
    errors = [x for x in result.output.splitlines() if x.startswith("explore: ")]
    assert len(errors) == 1, result.output
    assert all(c in errors[0] for c in culprits), (culprits, errors[0])
    return errors[0]


def explore(*args: str, cwd: Path, **kw) -> subprocess.CompletedProcess:
    """`python -m explorer ARGS` in its own process (this checkout's code), as a user runs it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    return subprocess.run(
        [sys.executable, "-m", "explorer", *args], cwd=cwd, env=env, text=True, timeout=120, **kw
    )


@pytest.fixture
def copy(tmp_path, data):
    root = tmp_path / "data"
    for folder in ("constraints", "specs"):
        shutil.copytree(data.root / folder, root / folder)
    return root


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


# ---- 4. CSV cells no spreadsheet runs; terminal lines no escape sequence rewrites -----------------------

FORMULAS = ['=HYPERLINK("http://x","y")', "+cmd", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)", "\tx", "\rx"]


@pytest.mark.parametrize("text", FORMULAS, ids=repr)
def test_a_formula_cell_is_neutralised(text) -> None:
    from explorer.report.render import csv_cell, csv_text

    assert csv_cell(text) == "'" + text
    assert csv_text([{"name": text}]).splitlines()[1].lstrip('"').startswith("'")


@pytest.mark.parametrize("value", ["-12.5", "+3", "1/3", "-1e-3", -7, 2.5, None, "plain text", "a=b"])
def test_numbers_and_plain_text_are_kept(value) -> None:
    from explorer.report.render import csv_cell

    assert csv_cell(value) == value


def test_screen_csv_names_are_neutralised(tmp_path) -> None:
    """Names from a user's CSV come back in `screen --format csv`: as text, never as formulas."""
    names = [t for t in FORMULAS if not t[0].isspace()]
    rows = ["id,tpp,die_area_mm2,memory_bandwidth_gbps,io_bidirectional_gbps,datacenter"]
    rows += [f'"{n.replace(chr(34), chr(34) * 2)}",4800,800,3000,900,yes' for n in names]
    path = tmp_path / "chips.csv"
    path.write_text("\n".join(rows) + "\n")
    result = run("screen", "--from", str(path), "--as-of", "2024-06-01", "--format", "csv")
    assert result.exit_code == 0, result.output
    import csv
    import io

    chips = [r["chip"] for r in csv.DictReader(io.StringIO(result.stdout))]
    assert chips == ["'" + n for n in names]


def test_paragraphs_and_titles_from_data_are_neutralised(copy) -> None:
    rule = copy / "constraints" / "us-bis-2023-10-acs.toml"
    replace_in(rule, 'paragraph = "3A090.a.1"', 'paragraph = "=cmd|3A090.a.1"')
    replace_in(rule, 'title = "Implementation', 'title = "@Implementation')
    margins = run("--data", str(copy), "classify", "h100-sxm", "--as-of", "2024-06-01", "--format", "csv")
    assert margins.exit_code == 0, margins.output
    assert "'=cmd|3A090.a.1" in margins.stdout and ",=cmd" not in margins.stdout
    listed = run("--data", str(copy), "rules", "--as-of", "2024-06-01", "--format", "csv")
    assert listed.exit_code == 0 and "'@Implementation" in listed.stdout


def test_a_sweep_csv_is_neutralised() -> None:
    import pandas as pd

    from explorer.report.render import frame_csv

    text = frame_csv(pd.DataFrame({"base": ["gh100"], "binding": ["=cmd"], "value": [-0.5]}))
    assert text.splitlines()[1] == "gh100,'=cmd,-0.5"


@pytest.mark.parametrize(
    ("rel", "old", "new"),
    [
        ("specs/skus/h20.toml", 'name = "NVIDIA H20 96GB"', 'name = "H20\\u001b]0;owned\\u0007"'),
        ("specs/skus/h20.toml", 'name = "NVIDIA H20 96GB"', 'name = "H20\\nInjected line"'),
        ("specs/dies/gh100.toml", 'id = "gh100"', 'id = "gh100\\u001b[2J"'),
    ],
    ids=["OSC in a name", "newline in a name", "CSI in an id"],
)
def test_a_name_with_control_characters_is_refused_and_shown_escaped(copy, rel, old, new) -> None:
    replace_in(copy / rel, old, new)
    line = one_line(run("--data", str(copy), "classify", "h20"), rel.split("/")[-1])
    assert not any(c in line for c in "\x1b\x07\r")


@pytest.mark.parametrize(
    "name", ["x\x1b]0;owned\x07.csv", "x\n\rexplore: done.csv", "x\x08\x08\x08.csv"], ids=repr
)
def test_a_path_is_shown_on_one_line_with_its_controls_escaped(tmp_path, monkeypatch, name) -> None:
    monkeypatch.chdir(tmp_path)  # a short path: the line shows a value's first 80 characters
    result = run("screen", "--from", name)
    line = one_line(result, "--from")
    assert len(result.output.strip().splitlines()) == 1
    assert not any(c in result.output for c in "\x1b\x07\x08\r")
    assert "\\x1b" in line or "\\n" in line or "\\x08" in line


def test_table_cells_are_escaped_and_painted_outcomes_kept() -> None:
    from explorer.report.render import paint, table

    text = table([["a\nb\x1b[2J", paint("license-presumed-denial")]], ["chip", "outcome"], width=120)
    assert len(text.splitlines()) == 3 and "a\\nb\\x1b[2J" in text
    assert paint("license-presumed-denial") in text  # our own colour, when colour is on


# ---- 5. templates bounded in memory, time and output --------------------------------------------------

TEMPLATES = {
    "center": "{{ 'x' | center(999999999) }}",
    "format": "{{ '%999999999d' | format(1) }}",
    "tojson indent": "{{ doc | tojson(indent=99999999) }}",
    "indent": "{{ doc.title | indent(999999999, true) }}",
    "ljust": "{{ 'a'.ljust(1000000000) }}",
    "zfill": "{{ 'a'.zfill(1000000000) }}",
    "str.format width": "{{ '{:>999999999}'.format(1) }}",
    "doubling": "{% set a = 'x' * 4000000 %}"
    + "".join(f"{{% set {b} = {a} ~ {a} %}}" for a, b in zip("abcdefgh", "bcdefghi", strict=True))
    + "{{ i | length }}",
    "unknown codec": "{{ 'x'.encode('no-such-codec') }}",
    "nested too deeply": "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}",
    "bad format string": "{{ '%d' | format('x') }}",
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_a_hostile_template_is_bounded_and_one_line(tmp_path, monkeypatch, name) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.txt.j2").write_text(TEMPLATES[name])
    start = time.monotonic()
    result = run("-q", "--target", "china", "--base", "gh100", "--as-of", "2024-06-01",
                 "--template", "t.txt.j2", "--out", "docs")  # fmt: skip
    assert time.monotonic() - start < 60
    one_line(result, "t.txt.j2")
    assert sorted(os.listdir(tmp_path)) == ["t.txt.j2"]


def test_the_memory_bound_holds_in_the_rendering_process(tmp_path) -> None:
    """Rendered in a forked process under RLIMIT_AS: a 1 GB string fails there; this process neither grows
    nor has its own limit changed."""
    from explorer.model.errors import InputError
    from explorer.report.document import RENDER_MEMORY_BYTES, render_with

    path = tmp_path / "big.txt.j2"
    path.write_text("{{ 'x' | center(1000000000) }}")
    limit = resource.getrlimit(resource.RLIMIT_AS)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(InputError, match=f"renders in {RENDER_MEMORY_BYTES >> 20} MB"):
        render_with({"title": "t"}, path)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # kB
    assert resource.getrlimit(resource.RLIMIT_AS) == limit


def test_a_good_template_still_renders(tmp_path) -> None:
    result = run("-q", "--target", "china", "--base", "gh100", "--as-of", "2024-06-01",
                 "--template", str(ROOT / "examples" / "company.txt.j2"))  # fmt: skip
    assert result.exit_code == 0 and "Outcome:  not-controlled" in result.output, result.output


# ---- 6. one catch-all: bad input exit 2, internal faults exit 3, one line each --------------------------


def test_an_internal_runtime_error_is_one_line_and_exit_3(monkeypatch) -> None:
    import explorer.api

    def boom(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(explorer.api, "classify", boom)
    assert (
        one_line(run("classify", "h20"), code=3)
        == "explore: internal error, please report: RuntimeError: boom"
    )


def test_a_recursion_error_inside_is_exit_3(monkeypatch) -> None:
    import explorer.api

    def deep(*a, **k):
        return deep()

    monkeypatch.setattr(explorer.api, "classify", deep)
    one_line(run("classify", "h20"), "RecursionError", code=3)


def test_a_broken_process_pool_is_one_line_and_exit_3(monkeypatch) -> None:
    from concurrent.futures.process import BrokenProcessPool

    import explorer.search.parallel

    def broken(*a, **k):
        raise BrokenProcessPool("A process in the process pool was terminated abruptly")

    monkeypatch.setattr(explorer.search.parallel, "map_jobs", broken)
    line = one_line(run("sweep", "--base", "gh100", "--vary", "date", "--as-of", "2024-06-01"), code=3)
    assert "a worker process died" in line


def test_bad_input_raised_in_a_worker_process_stays_bad_input() -> None:
    """InputError pickles whole, so a worker's one line reaches the parent (it broke the pool before)."""
    import pickle

    from explorer.model.errors import InputError

    e = InputError("f.toml", "x", 1, "y")
    again = pickle.loads(pickle.dumps(e))
    assert type(again) is InputError and str(again) == str(e)


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


# one process pool for the whole run, its workers busy for minutes
VERIFY = ["verify", "--samples", "100000", "--designs", "0", "--workers", "2"]


def _start_pool(tmp_path: Path) -> tuple[subprocess.Popen, list[int]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "explorer", *VERIFY], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        workers = _children(proc.pid)
        if len(workers) >= 2:
            return proc, workers
        time.sleep(0.2)
    proc.kill()
    pytest.fail("verify started no workers")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_killed_worker_is_one_line_and_exit_3(tmp_path) -> None:
    proc, workers = _start_pool(tmp_path)
    time.sleep(1.0)
    os.kill(workers[0], signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("explore: internal error")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_die_with_their_parent(tmp_path) -> None:
    """A parent killed outright (SIGKILL, the OOM killer) takes its workers with it."""
    proc, workers = _start_pool(tmp_path)
    proc.kill()
    proc.communicate(timeout=60)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() for w in workers):
        time.sleep(0.2)
    alive = []
    for w in workers:
        try:
            state = Path(f"/proc/{w}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":  # a zombie has ended; only its parent's parent reaps it
            alive.append(w)
    assert not alive


ORPHAN = """
import os, sys
from explorer.search.parallel import die_with_parent
die_with_parent(int(sys.argv[1]))
print("still running")
"""


@pytest.mark.parametrize("gone", [True, False])
def test_a_worker_whose_parent_ended_before_it_started_ends(gone) -> None:
    """A worker forked just as a signal ends its parent: by the time it sets up, another process is its
    parent. Told the id its parent read before the fork, it ends at once instead of waiting on its queue
    for ever with the parent's stdout open (a signal test hung on that); with its real parent it runs on."""
    parent = os.getpid() + 1 if gone else os.getpid()  # the child's parent is this process
    proc = subprocess.run(
        [sys.executable, "-c", ORPHAN, str(parent)], capture_output=True, text=True, timeout=60
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    if gone:
        assert proc.returncode == 1 and "still running" not in proc.stdout, proc.stderr
    else:
        assert proc.returncode == 0 and "still running" in proc.stdout, proc.stderr


# ---- 7. a thread that cannot start ends the run, it does not hang it -------------------------------------

FAIL_THREAD = """
import sys, threading
start, calls = threading.Thread.start, [0]
def failing(self):
    calls[0] += 1
    if calls[0] == {n}:
        raise RuntimeError("can't start new thread")
    return start(self)
threading.Thread.start = failing
sys.argv = ["explore", "-q", "sweep", "--target", "iran", "--base", "gh100", "--vary", "3A090.a.1:tpp",
            "--values", "1000:3000:1000", "--workers", "2"]
from explorer.__main__ import run
run()
"""


@pytest.mark.slow
# the pool's manager, its queue feeder (the hang), a CP-SAT solve's thread (Iran: no design complies, so
# CP-SAT confirms it and names the embargo; a plain search with a design starts no thread)
@pytest.mark.parametrize("n", [1, 2, 3])
def test_a_thread_that_cannot_start_is_exit_3_not_a_hang(tmp_path, n) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", FAIL_THREAD.format(n=n)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("explore: internal error")
    assert os.listdir(tmp_path) == []


# ---- 8. an output set is one unit ----------------------------------------------------------------------

TWO = [
    "-q",
    "--target",
    "china",
    "--base",
    "gh100",
    "--base",
    "gb202",
    "--as-of",
    "2024-06-01",
    "--out",
    "docs",
]


@pytest.mark.slow
def test_a_failing_second_document_leaves_the_old_set_whole(tmp_path, monkeypatch) -> None:
    """The second base's file cannot be written (a folder is in the way): the first base's new documents
    are taken back and the old ones restored, not left as a mix."""
    monkeypatch.chdir(tmp_path)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "gh100.json").write_text("old")
    (docs / "notes.txt").write_text("mine")
    (docs / "gb202.json").mkdir()
    before = {p.name: (p.read_text() if p.is_file() else "/") for p in docs.iterdir()}
    one_line(run(*TWO), "gb202.json", "not a folder")
    assert {p.name: (p.read_text() if p.is_file() else "/") for p in docs.iterdir()} == before
    assert sorted(os.listdir(tmp_path)) == ["docs"]  # no staging folder left


def test_a_failure_mid_swap_rolls_back(tmp_path, monkeypatch) -> None:
    from explorer.cli import output
    from explorer.model.errors import InputError

    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("a.json", "b.json", "c.json"):
        (docs / name).write_text("old")
    real, calls = os.replace, []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 4:  # a's old set aside and new in place, b's old set aside: then the disk fills
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(output.os, "replace", flaky)
    with pytest.raises(InputError, match="No space left"):
        output.write_documents(str(docs), {n: {".json": "new"} for n in ("a", "b", "c")})
    assert {p.name: p.read_text() for p in docs.iterdir()} == dict.fromkeys(
        ("a.json", "b.json", "c.json"), "old"
    )
    assert sorted(os.listdir(tmp_path)) == ["docs"]


def test_a_second_writer_waits_for_the_first(tmp_path) -> None:
    """Two writers of one folder: the second waits for the first's lock, so the folder ends as one set."""
    import fcntl

    from explorer.cli import output

    docs = tmp_path / "docs"
    docs.mkdir()
    lock = os.open(docs, os.O_RDONLY)
    fcntl.flock(lock, fcntl.LOCK_EX)  # a first writer, mid-swap
    second = threading.Thread(
        target=output.write_documents, args=(str(docs), {n: {".json": "second"} for n in ("a", "b")})
    )
    second.start()
    time.sleep(0.5)
    assert second.is_alive() and not (docs / "a.json").exists()
    (docs / "a.json").write_text("first")
    (docs / "b.json").write_text("first")
    os.close(lock)
    second.join(10)
    assert {p.name: p.read_text() for p in docs.iterdir()} == {"a.json": "second", "b.json": "second"}


def test_a_signal_mid_swap_rolls_back(tmp_path) -> None:
    """SIGTERM lands between two files of a set: the handler puts the old files back before it exits."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("a.json", "b.json"):
        (docs / name).write_text("old")
    script = f"""
import os, signal
from explorer.search import interrupts
from explorer.cli import output
interrupts.install()
real, calls = os.replace, []
def replace(src, dst):
    calls.append(dst)
    real(src, dst)
    if len(calls) == 3:  # a swapped, b set aside
        os.kill(os.getpid(), signal.SIGTERM)
output.os.replace = replace
output.write_documents({str(docs)!r}, {{n: {{".json": "new"}} for n in ("a", "b")}})
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 143, done.stderr
    assert {p.name: p.read_text() for p in docs.iterdir()} == {"a.json": "old", "b.json": "old"}
    assert sorted(os.listdir(tmp_path)) == ["docs"]


# ---- 9. exit codes when stdout fails --------------------------------------------------------------------


def test_a_closed_stdout_is_exit_2(tmp_path) -> None:
    done = explore("classify", "h20", cwd=tmp_path, stdout=None, preexec_fn=lambda: os.close(1))
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (
        "explore: error: stdout: got a closed standard output, expected one to print to "
        "(redirect it to /dev/null to discard)"
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_a_full_stdout_is_exit_2(tmp_path) -> None:
    with open("/dev/full", "w") as full:
        done = explore("catalog", "--format", "json", cwd=tmp_path, stdout=full)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "explore: error: stdout: got 'No space left on device', expected a standard output that takes the "
        "whole output"
    ]


def test_a_stdout_cut_by_a_file_size_limit_is_exit_2(tmp_path) -> None:
    """Python's buffered writer drops the rest of a short write: the output would be cut and the run say 0."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))

    with open(tmp_path / "out.json", "w") as out:
        done = explore("catalog", "--format", "json", cwd=tmp_path, stdout=out, preexec_fn=limit)
    assert done.returncode == 2, done.stderr
    assert "stdout: got 'File too large'" in done.stderr and "Traceback" not in done.stderr


def test_a_reader_that_leaves_ends_the_run_quietly(tmp_path) -> None:
    """`explore ... | head -1`: the reader's choice, not an error (README); no message, exit 0."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "explorer", "catalog", "--format", "json"], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    assert proc.stdout is not None
    proc.stdout.read(10)
    proc.stdout.close()
    assert proc.wait(60) == 0
    assert proc.stderr is not None and proc.stderr.read() == b""


# ---- 10. the cases round 1 left failing ----------------------------------------------------------------

PICTURE_CASES = [
    (["plot", "timeline", "--out", "t.txt"], "--out"),
    (["plot", "timeline", "--out", "no-such-folder/t.png"], "--out"),
    (["plot", "timeline", "--out", "/proc/t.png"], "--out"),
    (["frontier", "--base", "gb202", "--points", "2", "--plot", "f.txt"], "--plot"),
    (["frontier", "--base", "gb202", "--points", "2", "--plot", "no-such-folder/f.png"], "--plot"),
    (["frontier", "--base", "gb202", "--points", "2", "--plot", "/proc/f.png"], "--plot"),
    (["sweep", "--base", "gh100", "--vary", "date", "--plot", "s.txt"], "--plot"),
    (["sweep", "--base", "gh100", "--vary", "date", "--value-model", "no-such-model"], "--value-model"),
]


@pytest.mark.parametrize(("args", "culprit"), PICTURE_CASES, ids=[" ".join(a)[:50] for a, _ in PICTURE_CASES])
def test_round_one_leftovers_are_one_line_and_exit_2(tmp_path, monkeypatch, args, culprit) -> None:
    monkeypatch.chdir(tmp_path)
    one_line(run(*args, "--as-of", "2024-06-01"), culprit)
    assert os.listdir(tmp_path) == []

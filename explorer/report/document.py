"""The spec document: one result object, rendered to JSON (canonical), Markdown, HTML or a user template.

Everything a product spec needs about a found design: summary, datasheet,
changes against the base die, the compliance matrix with every clause's margin
and citation, sensitivity of each line, assumptions and sources.
"""

from __future__ import annotations

from pathlib import Path

from explorer.model.checker import Margin, outcome_for
from explorer.model.classification import screen_note
from explorer.model.data import Data
from explorer.report import explain
from explorer.report.render import (
    calibration_note_dict,
    charge_dict,
    conditions_dict,
    margin_dict,
    num,
    pct,
    rule_dict,
    scenario_dict,
)
from explorer.report.results import design_dict, economics_dict, shipped_alongside
from explorer.search.run import Found, NoDesign, Problem, SearchResult

TEMPLATES = Path(__file__).parents[1] / "templates"


def _datasheet(r: Found) -> dict:
    m, d, die = r.metrics, r.design, r.die
    return {
        "compute_units": f"{d.units} {die.unit_name}s of {int(die.units_full.value)}",
        "clock_mhz": d.clock_mhz,
        "tensor_rate_limit": num(d.rate_limit.tensor),
        "narrow_rate_limit": num(d.rate_limit.narrow),
        "dense_tflops": {p.value: num(t, 1) for p, t in sorted(m.dense_tflops.items(), key=lambda x: -x[1])},
        "tpp": num(m.tpp, 1),
        "performance_density": num(m.performance_density, 3),
        "die_area_mm2": num(m.die_area_mm2),
        "memory": f"{m.memory_type}, {num(m.memory_gb)} GB, {num(m.memory_bandwidth_gbps, 1)} GB/s "
        f"({d.memory.describe()})",
        "interconnect": (
            f"{d.links.count} links x {num(d.links.gbps_per_link)} GB/s = "
            f"{num(m.link_bidirectional_gbps)} GB/s bidirectional"
            if d.links.count
            else "none"
        ),
        "io_bidirectional_gbps": num(m.io_bidirectional_gbps),
        "pcie": f"Gen{die.pcie_generation} x{die.pcie_lanes}",
        "power_w_estimated": num(m.power_w, 0),
        "market": "designed and marketed for datacenters"
        if d.datacenter
        else "not designed or marketed for datacenters (consumer)",
    }


def _compliance(r: Found, p: Problem) -> list[dict]:
    """Every rule in force: each control's outcome for the target, whether it fired, every clause's margin."""
    verdict = r.verdict
    fired = {(f.rule, f.paragraph): f for f in verdict.fired}
    margins: dict[tuple[str, str, str], list[Margin]] = {}  # (rule, paragraph, role) -> its clauses' margins
    for g in verdict.margins:
        margins.setdefault((g.rule, g.paragraph, g.role), []).append(g)
    out = []
    for rule in p.data.rules:
        if rule.id not in verdict.rules_in_force or not rule.in_force(r.as_of):
            continue
        items = []
        for role, group in (("control", rule.controls), ("relief", rule.reliefs), ("charge", rule.charges)):
            for c in group:
                level = outcome_for(c.outcome, p.target) if hasattr(c, "outcome") else None
                f = fired.get((rule.id, c.paragraph)) if role == "control" else None
                items.append(
                    {
                        "role": role,
                        "paragraph": c.paragraph,
                        "title": c.title,
                        "outcome_if_it_applies": level.value if level else None,
                        "fired": bool(f),
                        "outcome": f.outcome.value if f else None,
                        "relieved_by": f.relieved_by if f else None,
                        "clauses": [margin_dict(g) for g in margins.get((rule.id, c.paragraph, role), [])],
                    }
                )
        out.append({**rule_dict(rule), "items": items})
    return out


def _sensitivity(r: Found) -> list[dict]:
    """How far each line could move before this design must change."""
    # the clause, not the whole paragraph: only lines that lie between the design and a better step
    binding = {(b.rule, b.paragraph, x.metric, x.op.value) for b in r.binding for x in b.clauses}
    rows = []
    for g in r.verdict.margins:
        if g.role == "charge" or g.margin_pct is None:
            continue
        lower = g.op in (">=", ">")
        if g.role == "control" and lower and not g.holds:
            room = (
                f"could tighten by {pct(g.margin_pct)} ({float(g.margin):,.4g}) before it catches the design"
            )
        elif g.role == "relief" and not lower and g.holds:
            room = (
                f"could tighten by {pct(-g.margin_pct)} ({-float(g.margin):,.4g}) before the design "
                "loses this relief"
            )
        else:
            continue
        loosen = (
            "binding: loosening it raises the value"
            if (g.rule, g.paragraph, g.metric, g.op) in binding
            else "not binding: loosening it alone does not raise the value"
        )
        rows.append(
            {
                "rule": g.rule,
                "paragraph": g.paragraph,
                "metric": g.metric,
                "line": f"{g.op} {num(g.threshold)}",
                "value": num(g.value),
                "tighten": room,
                "loosen": loosen,
            }
        )
    return rows


def _assumptions(r: Found, p: Problem) -> list[str]:
    in_force = r.verdict.rules_in_force
    reported = [
        x.id
        for x in p.data.rules
        if x.id in in_force and x.in_force(r.as_of) and x.status.value != "official"
    ]
    eff = p.objective.efficiency
    out = [
        screen_note(p.data.scenarios),
        f"Value model: {p.objective.title}; efficiencies for {p.die.architecture} (prefill compute "
        f"{float(eff.prefill_compute):g}, decode compute {float(eff.decode_compute):g}, memory "
        f"{float(eff.memory):g}, overlap {float(eff.overlap):g}, all-reduce fixed time "
        f"{float(eff.allreduce_latency_s) * 1e6:g} us, layer fixed time "
        f"{float(eff.layer_fixed_s) * 1e6:g} us; specs/calibration/efficiency.toml).",
        f"The value is output tokens/s per chip relative to the reference SKU {p.objective.reference_sku} "
        "(= 1), after fees.",
        "Unit cost and price are estimates from specs/economics/ (ranges in the data).",
        "Power is a simple estimate from the die's power range, not a measured figure.",
    ]
    if reported:
        out.append(
            f"Rule sets in force that are not official: {', '.join(reported)}; their lines are press "
            "accounts and are applied as reported."
        )
    return out


def _sources(p: Problem) -> dict:
    def table(sources: dict) -> dict:
        return {k: {"title": s.title, "status": s.status.value, "url": s.url} for k, s in sources.items()}

    return {
        "die": table(p.die.sources),
        "workload": table(p.objective.workload.sources),
        "rules": [rule_dict(x) for x in p.data.rules],
    }


def build(r: SearchResult, data: Data, context: dict) -> dict:
    """The canonical spec document for one search result (JSON-ready)."""
    p = r.problem
    assert p is not None, f"{r.base}: a search result carries the problem it solved (run.search sets it)"
    doc = {
        "title": f"{r.die.name}: best {context['allowed']} design for {p.target.name} on {p.as_of}",
        "note": screen_note(p.data.scenarios),
        "scenarios": [scenario_dict(sc) for sc in p.data.scenarios],
        "target": p.target.code,
        "target_name": p.target.name,
        "as_of": p.as_of.isoformat(),
        "objective": context["objective"],
        "value_model": p.objective.id,
        "allowed": context["allowed"],
        "base": r.base,
        "die": r.die.id,
        "status": r.status,
    }
    if not isinstance(r, Found):
        return {**doc, "conflicting_rules": r.conflicting_rules if isinstance(r, NoDesign) else []}
    design, metrics, verdict = r.design, r.metrics, r.verdict
    return {
        **doc,
        "summary": {
            "design": design.describe(),
            "outcome": verdict.outcome.value,
            "value": num(r.value, 6),
            "relative_to": p.objective.reference_sku,  # the SKU whose tokens/s per chip is 1
            "value_before_fees": num(r.value_before_fees, 6),
            "proof": r.status,
            "gap": r.gap,
            "solve_seconds": round(r.solve_seconds, 3),
            "designs_searched": r.space_size,
            "charges": [charge_dict(c) for c in verdict.charges],
            "conditions": conditions_dict(verdict),
            "economics": economics_dict(r),
            "calibration": calibration_note_dict(r.efficiency),
        },
        "design": design_dict(design),
        "datasheet": _datasheet(r),
        "changes": explain.changes(design, metrics, r.flagship, r.base_metrics),
        "binding": [
            {"rule": b.rule, "paragraph": b.paragraph, "value_if_lifted": round(b.value_if_lifted, 6)}
            for b in r.binding
        ],
        "compliance": _compliance(r, p),
        "sensitivity": _sensitivity(r),
        "shipped_same_die": shipped_alongside(r),
        "assumptions": _assumptions(r, p),
        "sources": _sources(p),
    }


def _env():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(TEMPLATES)]),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["pct"] = pct  # margins with the digits their size needs, as the tables print them
    return env


def render(doc: dict, fmt: str, figure: str | None = None) -> str:
    """Markdown, or a self-contained HTML page (with an inline SVG figure), from the built-in templates."""
    import jinja2

    if fmt == "html":
        env = _env()
        env.autoescape = jinja2.select_autoescape(default_for_string=True, default=True)
        return env.get_template("spec.html.j2").render(doc=doc, figure=figure)
    return _env().get_template("spec.md.j2").render(doc=doc)


TEMPLATE_MAX_BYTES = 256 * 1024  # a template larger than this is refused
OUTPUT_MAX_CHARS = 5_000_000  # a rendering larger than this is refused
RENDER_SECONDS = 10  # and one that takes longer


def _template_text(template: Path) -> str:
    """A user's template: a regular, small, UTF-8 text file, or one clear error."""
    import stat

    from explorer.model.errors import InputError

    try:
        mode = template.stat().st_mode
    except OSError as e:
        raise InputError(
            str(template), "", "(unreadable)", f"a readable template file ({e.strerror})"
        ) from None
    if not stat.S_ISREG(mode):
        raise InputError(
            str(template), "", "(not a regular file)", "a regular template file (not a FIFO or folder)"
        )
    if template.stat().st_size > TEMPLATE_MAX_BYTES:
        raise InputError(
            str(template), "", f"{template.stat().st_size} bytes", f"at most {TEMPLATE_MAX_BYTES} bytes"
        )
    raw = template.read_bytes()
    if b"\0" in raw:
        raise InputError(str(template), "", "(binary)", "a UTF-8 text template")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(str(template), "", "(not UTF-8)", "a UTF-8 text template") from None


def _sandbox():
    """User templates run sandboxed: no attribute access to Python internals, undefined names are errors,
    no file loading (include, import and extends are refused), and no huge repetitions or powers."""
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

    class Bounded(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context, operator, left, right):
            sizes = [len(x) for x in (left, right) if isinstance(x, str | list | tuple)]
            counts = [abs(x) for x in (left, right) if isinstance(x, int) and not isinstance(x, bool)]
            if operator == "*" and sizes and counts and sizes[0] * max(counts) > OUTPUT_MAX_CHARS:
                raise SecurityError("a repetition larger than the output bound")
            if operator == "**" and isinstance(right, int | float) and abs(right) > 64:
                raise SecurityError("a power above 64")
            return super().call_binop(context, operator, left, right)

    return Bounded(
        loader=jinja2.DictLoader({}),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def check_template(template: Path) -> None:
    """Parse a user's template up front, so a broken one fails before any search runs."""
    import jinja2

    from explorer.model.errors import InputError

    text = _template_text(template)
    try:
        _sandbox().parse(text)
    except jinja2.TemplateError as e:
        raise InputError(str(template), "", type(e).__name__, f"a valid Jinja2 template ({e})") from None
    except (RecursionError, MemoryError) as e:  # nested past what the parser can hold
        raise InputError(str(template), "", type(e).__name__, "a template nested less deeply") from None


RENDER_MEMORY_BYTES = 256 * 1024 * 1024  # address space a rendering may add to the process


def render_with(doc: dict, template: Path) -> str:
    """A user's own Jinja2 template, given the same `doc` object (see explorer/schemas/spec-document),
    rendered in a sandbox, bounded in output (OUTPUT_MAX_CHARS), time (RENDER_SECONDS) and memory.

    The memory bound is a limit on the address space of a process of its own (RLIMIT_AS, forked, so it
    starts with everything loaded): filters such as center, format, indent or tojson(indent=...), string
    methods and doubling loops take what they ask for without going through the sandbox's operators, so
    no bound on arguments can cover them all; a limit does. Where a process cannot be forked (Windows),
    it renders here, bounded in output and time only (the limit and the parent-death signal are Linux's).
    Measured here (2 cores, median of 20): examples/company.txt.j2 renders in 9 ms in this process and 31 ms
    forked, so the bound costs about 20 ms a document; the hostile cases of tests/cli/test_hostile_outputs.py
    peak at 80 to 290 MB for the whole run (GNU time's maximum RSS), against 0.2 to 7.9 GB unbounded."""
    import sys

    text = _template_text(template)
    if not sys.platform.startswith("linux"):
        return _render_here(text, doc, template)
    return _render_forked(text, doc, template)


def _render_forked(text: str, doc: dict, template: Path) -> str:
    import contextlib
    import json
    import os
    import select
    import signal
    import time

    from explorer.model.errors import InputError

    read, write = os.pipe()
    parent = os.getpid()  # read before the fork: see _die_with_parent
    pid = os.fork()
    if pid == 0:  # the child: render under the limit, send back the text or the error, and leave at once
        code = 0
        try:
            os.close(read)
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(sig, signal.SIG_DFL)  # the parent's handlers are not this process's
            _die_with_parent(parent)
            _limit_memory(RENDER_MEMORY_BYTES)
            try:
                answer = {"text": _render(text, doc, template)}
            except InputError as e:
                answer = {"value": str(e.value), "expected": e.expected}
            data = json.dumps(answer).encode()
            with os.fdopen(write, "wb") as out:
                out.write(data)
        except BaseException:  # noqa: BLE001 - nothing may escape a forked child
            code = 1
        finally:
            os._exit(code)
    os.close(write)
    chunks: list[bytes] = []
    deadline = time.monotonic() + RENDER_SECONDS
    try:
        with os.fdopen(read, "rb", buffering=0) as f:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([f], [], [], left)[0]:
                    raise InputError(
                        str(template),
                        "",
                        f"over {RENDER_SECONDS} s",
                        "a template that renders in bounded time",
                    )
                chunk = f.read(1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)  # done or not, it has nothing left to do
        _, status = os.waitpid(pid, 0)
    try:
        answer = json.loads(b"".join(chunks))
    except ValueError:  # it died before it answered (a signal, or a limit outside Python)
        how = f"signal {-os.waitstatus_to_exitcode(status)}" if os.WIFSIGNALED(status) else "no answer"
        raise InputError(
            str(template), "", f"the rendering ended ({how})", "a template that renders"
        ) from None
    if "text" not in answer:
        raise InputError(str(template), "", answer["value"], answer["expected"])
    return answer["text"]


def _die_with_parent(parent: int) -> None:
    """SIGKILL when `parent` ends, however it ends (a signal's handler exits without waiting for us).

    `parent` is its id as read before the fork: one that ended before this call has left this process
    another parent, which read here would pass for it."""
    import ctypes
    import os
    import signal

    ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def _limit_memory(extra: int) -> None:
    """Cap this process's address space at its current size plus `extra` bytes (a MemoryError past it)."""
    import os
    import resource

    with open("/proc/self/statm") as f:
        size = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = size + extra if hard == resource.RLIM_INFINITY else min(size + extra, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _render_here(text: str, doc: dict, template: Path) -> str:
    """In this process, bounded in output and time (SIGALRM, in the main thread), not in memory."""
    import signal
    import threading

    from explorer.model.errors import InputError

    class TooLong(Exception):
        pass

    def alarm(signum, frame):
        raise TooLong

    timed = threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGALRM")
    if timed:
        old = signal.signal(signal.SIGALRM, alarm)
        signal.alarm(RENDER_SECONDS)
    try:
        return _render(text, doc, template)
    except TooLong:
        raise InputError(
            str(template), "", f"over {RENDER_SECONDS} s", "a template that renders in bounded time"
        ) from None
    finally:
        if timed:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)


def _render(text: str, doc: dict, template: Path) -> str:
    """The sandboxed rendering itself; every way it can fail is the template's, one InputError."""
    import jinja2
    from jinja2.sandbox import SecurityError

    from explorer.model.errors import InputError

    def fail(value: str, expected: str):
        return InputError(str(template), "", value, expected)

    try:
        out, size = [], 0
        for chunk in _sandbox().from_string(text).generate(doc=doc):
            size += len(chunk)
            if size > OUTPUT_MAX_CHARS:
                raise fail(f"more than {OUTPUT_MAX_CHARS} characters", "a template whose output is bounded")
            out.append(chunk)
        return "".join(out)
    except InputError:
        raise
    except SecurityError as e:
        raise fail("unsafe access", f"a template that reads only `doc` ({e})") from None
    except jinja2.TemplateError as e:
        raise fail(type(e).__name__, f"a valid Jinja2 template ({e})") from None
    except MemoryError:
        raise fail(
            "more memory than allowed", f"a template that renders in {RENDER_MEMORY_BYTES >> 20} MB"
        ) from None
    except Exception as e:  # an unknown codec, a bad format string, a recursion: the template's doing
        raise fail(type(e).__name__, f"a template that renders ({e})") from None

"""Run CP-SAT on an encoded model: best net value first, then the lowest cost at that value.

Solver statuses map to the project's own enum here and nowhere else; runs are
deterministic (one worker, fixed seed).
"""

from __future__ import annotations

import time

from explorer.search.cpsat import cp_model
from explorer.search.encode import Encoded
from explorer.search.knobs import Knobs
from explorer.search.solution import Solution, SolveStatus

Stage = tuple[str, cp_model.LinearExprT]  # ("max" or "min", linear expression)

_STATUS = {
    cp_model.OPTIMAL: SolveStatus.OPTIMAL,
    cp_model.FEASIBLE: SolveStatus.FEASIBLE,
    cp_model.INFEASIBLE: SolveStatus.INFEASIBLE,
    cp_model.UNKNOWN: SolveStatus.UNKNOWN,
    cp_model.MODEL_INVALID: SolveStatus.MODEL_INVALID,
}


def _solver(time_limit: float) -> cp_model.CpSolver:
    s = cp_model.CpSolver()
    s.parameters.num_workers = 1
    s.parameters.random_seed = 0
    s.parameters.max_time_in_seconds = time_limit
    # presolve's probing (presolve is off, below): kept at its measured best for a CP-SAT that fixes it
    s.parameters.cp_model_probing_level = 0  # measured with presolve on: halves solve time here
    # measured: the LP relaxation of the value's tangent planes and table lookups costs more than it
    # prunes (nine base dies, 2023-2026 rules: 2.9 s in all at level 0, 7.5 s at 1, 5.0 s at 2)
    s.parameters.linearization_level = 0
    # no presolve: CP-SAT 9.15's presolve loses feasible designs on these models (google/or-tools#5274),
    # which made a feasible search INFEASIBLE and, from a hint, made a costlier design OPTIMAL (both
    # found by property tests and `explore verify`; tests/search/test_solve.py). Measured, each from
    # its start: 34 searches (17 bases, 2024 and today's rules) 4.7 s against 4.8 s with presolve,
    # today's alone 2.7 s against 1.9 s (aqua-vanjaram 0.6 s against 0.14 s); GH100's 6.3e11-design
    # space 0.7 s against 3.5 s; robust searches, which start cold, 1.5x slower. Correct first
    s.parameters.cp_model_presolve = False
    s.parameters.catch_sigint_signal = False  # interrupts are ours: see run()
    return s


class Interrupted(Exception):
    """A signal arrived during a solve; the search was stopped and nothing it found is reported."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


_stopping: list[int] = []  # the signal that asked every solve to stop
_running: list[cp_model.CpSolver] = []


def interrupt(signum: int) -> None:
    """Stop every running solve through CP-SAT's own mechanism (called from a signal handler)."""
    _stopping.append(signum)
    for s in list(_running):
        s.stop_search()


def _run(s: cp_model.CpSolver, model: cp_model.CpModel):
    """Solve in a worker thread so the main thread can take a signal and stop the search at once."""
    import threading

    if _stopping:
        raise Interrupted(_stopping[-1])
    box: dict = {}

    def work():
        try:
            box["status"] = s.solve(model)
        except BaseException as e:  # noqa: BLE001 - handed back to the main thread
            box["error"] = e

    _running.append(s)
    worker = threading.Thread(target=work, daemon=True)
    try:
        worker.start()
    except BaseException:  # no thread to be had (a memory limit): nothing runs, nothing to stop
        _running.remove(s)
        raise
    try:
        while worker.is_alive():
            worker.join(0.005)  # short, so a fast solve returns at once and a signal is still taken
    except BaseException:  # an interrupt in the main thread: stop the search before leaving
        s.stop_search()
        worker.join()
        raise
    finally:
        _running.remove(s)
    if "error" in box:
        raise box["error"]
    if _stopping:
        raise Interrupted(_stopping[-1])
    return box["status"]


def _hint_every_variable(model: cp_model.CpModel, s: cp_model.CpSolver, solved: cp_model.CpModel) -> None:
    """Hint each variable of `model` at its value in `s`'s solution of `solved` (the same variables, or a
    copy with more constraints): CP-SAT follows a complete hint, not one of the knobs alone."""
    model.clear_hints()
    for i in range(len(model.proto.variables)):
        model.add_hint(model.get_int_var_from_proto_index(i), s.value(solved.get_int_var_from_proto_index(i)))


def _hint_design(enc: Encoded, knobs: Knobs) -> None:
    """Hint the whole model at one design: every variable's value there, from a solve with the knobs fixed.

    The solve keeps the model's objective, so a variable the design leaves free (the
    robust model's worst case is only bounded by each world's value) is hinted at its
    best, not anywhere below it. A design the model does not allow (or a solve that
    does not finish) leaves no hint.
    """
    fixed = enc.model.clone()
    for name, var in enc.knobs.items():
        fixed.add(fixed.get_int_var_from_proto_index(var.index) == int(getattr(knobs, name)))
    s = _solver(1.0)
    if _STATUS[_run(s, fixed)] in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        _hint_every_variable(enc.model, s, fixed)


def solve(
    enc: Encoded, time_limit: float = 10.0, stages: list[Stage] | None = None, start: Knobs | None = None
) -> Solution:
    """Optimise lexicographically: each stage fixes its optimum before the next.

    Default: the highest net value, then the lowest cost, ties to the lowest knob indices (as the
    enumerator breaks them, `Encoded.cheapest`). `stages` is a list of
    ("max" or "min", linear expression). `start`: a design to begin from (a hint
    only: it changes how fast the optimum is proved, never which design it is).
    """
    stages = stages or [("max", enc.net), *enc.cheapest]
    start_time = time.perf_counter()
    if start is not None:
        sense, expr = stages[0]
        (enc.model.maximize if sense == "max" else enc.model.minimize)(expr)
        _hint_design(enc, start)
    status, bound = SolveStatus.OPTIMAL, 0
    solver: cp_model.CpSolver | None = None
    for i, (sense, expr) in enumerate(stages):
        (enc.model.maximize if sense == "max" else enc.model.minimize)(expr)
        s = _solver(max(0.1, time_limit - (time.perf_counter() - start_time)))
        got = _STATUS[_run(s, enc.model)]
        if got is SolveStatus.MODEL_INVALID:
            raise RuntimeError(f"CP-SAT rejected the model: {enc.model.validate()}")
        if got not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
            if i == 0:
                core = []
                if got is SolveStatus.INFEASIBLE:
                    names = {lit.index: rule for rule, lit in enc.rule_literals.items()}
                    core = sorted(
                        names[j] for j in s.sufficient_assumptions_for_infeasibility() if j in names
                    )
                return Solution(got, None, 0, 0, 0, time.perf_counter() - start_time, core)
            status = SolveStatus.FEASIBLE  # a later stage ran out of time: keep the earlier answer
            break
        if got is SolveStatus.FEASIBLE:
            status = SolveStatus.FEASIBLE
        solver = s
        # objectives exceed 2**53: read them exactly, not through the float objective_value
        reached = int(s.value(expr))
        if i == 0:
            proved = int(s.best_objective_bound)
            bound = max(reached, proved) if sense == "max" else min(reached, proved)
        # lock the stage with an inequality (an equality on these large objectives made presolve loop)
        enc.model.add(expr >= reached if sense == "max" else expr <= reached)
        _hint_every_variable(enc.model, s, enc.model)
    assert solver is not None, "the first stage either found a design or returned above"
    at = {k: int(solver.value(v)) for k, v in enc.knobs.items()}
    knobs = Knobs(
        at["units"], at["clock_mhz"], at["rate_idx"], at["memory_idx"], at["link_idx"], bool(at["datacenter"])
    )
    net, cost = int(solver.value(enc.net)), int(solver.value(enc.cost))
    # the gap is reported on the net value, so only when that is the first stage
    gap_bound = bound if stages[0][1] is enc.net else net
    return Solution(status, knobs, net, gap_bound, cost, time.perf_counter() - start_time, [])

"""Sweeps give the same rows whichever executor runs them, and move with the line they vary."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from explorer import api
from explorer import sweeps as sw
from explorer.model.destinations import resolve_target
from explorer.model.errors import InputError


def jobs(root, vary="3A090.b.1:tpp", params=("1600", "4000"), bases=("gh100", "ga100")):
    return [
        sw.Job(b, "china", "2024-06-01", vary, p, "llm-serving", "not-controlled", str(root))
        for b in bases
        for p in params
    ]


def test_processes_and_a_local_dask_cluster_give_identical_results(data):
    from dask.distributed import LocalCluster

    serial = sw.execute(jobs(data.root), executor="serial")
    processes = sw.execute(jobs(data.root), executor="process", workers=2)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        on_dask = sw.execute(jobs(data.root), scheduler=cluster.scheduler_address)
    pd.testing.assert_frame_equal(serial, processes)
    pd.testing.assert_frame_equal(serial, on_dask)
    assert list(serial.columns) == sw.COLUMNS and len(serial) == 4


def test_loosening_the_line_never_lowers_the_value(data):
    df = sw.execute(jobs(data.root, params=("1600", "2400", "3200", "4000")), executor="serial")
    for _, group in df.groupby("base"):
        values = group.sort_values("parameter")["value"].tolist()
        assert values == sorted(values)


def test_a_date_sweep_covers_every_rule_change(data):
    on = api.parse_date("2026-11-28")
    china = resolve_target(data.destinations, "china", on)
    days = sw.rule_change_dates(data.rules, on, china)
    assert days[0].isoformat() == "2022-08-26" and len(days) == len(set(days)) >= 8
    assert dt.date(2025, 1, 13) not in days  # AI Diffusion never bound
    assert dt.date(2022, 2, 24) not in days  # the Russia embargo does not reach China


@pytest.mark.parametrize("text", ["10:1:1", "a,b", "1:10:0"])
def test_bad_values_are_refused(text):
    with pytest.raises(InputError):
        sw.parse_values(text)


def test_an_unknown_line_is_refused(data):
    with pytest.raises(InputError, match="3A090.z"):
        sw.with_threshold(data.rules, "3A090.z:tpp", 1)


@pytest.mark.slow
def test_a_bisected_line_sweep_gives_the_rows_of_one_search_per_point(data):
    """Every point searched on its own, against the bisection that searches only where the answer changes."""
    params = [str(v) for v in range(2000, 6401, 200)]  # 23 points across the 4800 TPP line
    swept = jobs(data.root, vary="3A090.a.1:tpp", params=params, bases=("ad104", "gb202"))
    searched = []

    def run_all(batch, tick):
        searched.extend(batch)
        return [sw.run(j) for j in batch]

    bisected = sw.bisect(swept, run_all)
    assert bisected == [sw.run(j) for j in swept]
    assert len(searched) < len(swept)  # it saved searches
    assert len({(j.base, j.parameter) for j in searched}) == len(searched)  # and never repeated one

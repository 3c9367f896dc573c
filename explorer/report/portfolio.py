"""Views of a product-line search: the JSON document (canonical), a table, CSV rows."""

from __future__ import annotations

from explorer.model.classification import screen_note
from explorer.report.render import num, paint, scenario_dict, table
from explorer.report.results import result_dict
from explorer.search.portfolio import MarketSku, PortfolioResult


def _sku_dict(s: MarketSku) -> dict:
    m, r = s.market, s.result
    p = r.problem
    assert p is not None, "a search result carries the problem it solved"
    record = result_dict(r, p.data)
    economics = record.get("economics") or {}
    return {
        "market": m.name,
        "target": p.target.code,
        "as_of": p.as_of.isoformat(),
        "allowed": m.allow.value,
        "datacenter": m.datacenter,
        "optional": m.optional,
        "volume": num(m.volume.value, 0),
        "volume_source": m.volume.source,
        "price": {
            "anchor_sku": m.anchor_sku,
            "price_usd": num(m.price_usd.value, 2),
            "source": m.price_usd.source,
        },
        "scenarios": [scenario_dict(sc) for sc in p.data.scenarios],
        "served": s.served,
        "yearly_margin_usd": num(s.margin_usd, 0),
        "worlds": [
            {"world": name, "allowed": x is not None, "yearly_margin_usd": num(x, 0)} for name, x in s.worlds
        ],
        "unit": {
            "price_usd": economics.get("price_usd"),
            "fee_percent": economics.get("fee_percent"),
            "unit_cost_usd": economics.get("unit_cost_usd"),
            "gross_margin_usd": economics.get("gross_margin_usd"),
        },
        "sku": record,
    }


def portfolio_dict(r: PortfolioResult) -> dict:
    """The whole document: the die to build, each market's SKU and margin, and every candidate's line."""
    best = r.best
    scenarios = {
        sc.id: sc
        for d in r.dies
        for s in d.skus
        if s.result.problem
        for sc in s.result.problem.data.scenarios
    }
    return {
        "portfolio": r.line.id,
        "title": r.line.title,
        "status": r.status.value,
        "die": best.die if best else None,
        "yearly_margin_usd": num(best.total_usd, 0) if best else None,
        "sharing_cost_usd": num(r.sharing_cost_usd, 0) if r.sharing_cost_usd is not None else None,
        "markets": [_sku_dict(s) for s in best.skus] if best else [],
        "own_best": [
            {"market": o.market.name, "die": o.die, "yearly_margin_usd": num(o.margin_usd, 0)}
            for o in r.own_best
        ],
        "candidates": [
            {
                "die": d.die,
                "complete": d.complete,
                "proved": d.proved,
                "yearly_margin_usd": num(d.total_usd, 0),
                "markets": {s.market.name: num(s.margin_usd, 0) if s.served else None for s in d.skus},
            }
            for d in r.dies
        ],
        "across_worlds": {
            "mode": r.mode,
            "worlds": [
                {"world": name, "weight": num(w, 6), "line_yearly_margin_usd": num(r.line_in_world(i), 0)}
                for i, (name, w) in enumerate(zip(r.worlds, r.weights or [None] * len(r.worlds), strict=True))
            ],
        }
        if r.worlds
        else None,
        "search_seconds": round(r.seconds, 3),
        "note": screen_note(list(scenarios.values())),
    }


def _short(x: float | None, unit: str = "$") -> str:
    if x is None:
        return "-"
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= scale:
            return f"{unit}{x / scale:,.3g}{suffix}"
    return f"{unit}{x:,.0f}"


def portfolio_text(d: dict) -> str:
    """The die to build, a table of its SKUs by market, every candidate, and the price of sharing."""
    if d["die"] is None:
        return f"{d['title']}: no candidate die serves every market it must ({d['status']})."
    across = d["across_worlds"]
    how = ""
    if across:
        how = (
            " in the worst world, each market's worst summed"
            if across["mode"] == "worst-case"
            else " expected over the worlds"
        )
    out = [
        f"{d['title']}: build {d['die']}; {_short(d['yearly_margin_usd'])} a year of gross margin{how} "
        f"over {len(d['markets'])} markets ({d['status']})",
        "",
    ]
    rows = []
    for m in d["markets"]:
        sku, unit = m["sku"], m["unit"]
        rows.append(
            [
                m["market"],
                paint(sku["outcome"] or "-") if m["served"] else "left out",
                f"{sku['value']:.3f}" if sku["design"] else "-",
                _short(unit["price_usd"]),
                f"{unit['fee_percent'] or 0:g}%",
                _short(unit["unit_cost_usd"]),
                _short(m["volume"], ""),
                _short(m["yearly_margin_usd"]) if m["served"] else "-",
            ]
        )
    heads = ["market", "outcome", "value", "price", "fees", "cost", "volume", "margin/yr"]
    out += [table(rows, heads, keep=(0, 1)), ""]
    if across:
        first = across["worlds"][0]["world"]
        what = "the worst world's" if across["mode"] == "worst-case" else "expected over the worlds"
        out += [f"(outcome, value, price and fees in the first world, {first}; margin/yr {what})", ""]
    for m in d["markets"]:
        design = m["sku"]["design"]
        what = design["summary"] if design else "no complying design"
        out.append(f"{m['market']} ({m['target']}, rules of {m['as_of']}, up to {m['allowed']}): {what}")
    if across:
        out += ["", f"Across worlds ({across['mode']}; each SKU judged in every world):"]
        for i, w in enumerate(across["worlds"]):
            each = [(m["market"], m["worlds"][i]) for m in d["markets"]]
            per = ", ".join(
                f"{n} {_short(x['yearly_margin_usd']) if x['allowed'] else 'refused'}" for n, x in each
            )
            weight = f", weight {w['weight']:g}" if w["weight"] is not None else ""
            out.append(
                f"  {w['world']}{weight}: the line earns {_short(w['line_yearly_margin_usd'])} ({per})"
            )
    out += ["", "Candidate dies (tape-out choices):"]
    for c in d["candidates"]:
        by = ", ".join(f"{k} {_short(v)}" for k, v in c["markets"].items())
        mark = "" if c["complete"] else " (misses a market it must serve)"
        out.append(f"  {c['die']}: {_short(c['yearly_margin_usd'])} ({by}){mark}")
    own = ", ".join(f"{o['market']} on {o['die'] or '-'}" for o in d["own_best"])
    out.append(
        f"Price of sharing one die: {_short(d['sharing_cost_usd'])} a year against each market's own best "
        f"die ({own})."
    )
    out += ["", d["note"]]
    return "\n".join(out)


def portfolio_csv_rows(d: dict) -> list[dict]:
    """One row per market of the chosen die's line."""
    return [
        {
            "portfolio": d["portfolio"],
            "die": d["die"],
            "market": m["market"],
            "target": m["target"],
            "as_of": m["as_of"],
            "served": m["served"],
            "outcome": m["sku"]["outcome"],
            "value": m["sku"]["value"],
            "design": m["sku"]["design"]["summary"] if m["sku"]["design"] else None,
            "price_usd": m["unit"]["price_usd"],
            "fee_percent": m["unit"]["fee_percent"],
            "unit_cost_usd": m["unit"]["unit_cost_usd"],
            "volume": m["volume"],
            "yearly_margin_usd": m["yearly_margin_usd"],
        }
        for m in d["markets"]
    ]

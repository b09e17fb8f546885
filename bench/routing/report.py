"""Tables and PASS/FAIL lines of `make bench-routing` from the workers' results."""
from __future__ import annotations

from typing import Optional

from scenarios import Scenario, scenarios

NEW = "residency-aware"


def percentile(values: list, p: float) -> Optional[float]:
    """Nearest rank."""
    if not values:
        return None
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(-(-p * len(v) // 100)) - 1))
    return v[k]


def fmt_s(v: Optional[float]) -> str:
    return "-" if v is None else f"{v:.2f}"


def table(scn: Scenario, results: list) -> str:
    """One row per policy; results pooled over several seeds add each seed's own p50."""
    seeds = any("p50_per_seed" in r for r in results)
    rows = ["| policy | requests | completed | TTFC p50 s | p90 s | p99 s | cold loads (/min) | evictions | errors | cut | completed per instance |"
            + (" p50 per seed s |" if seeds else ""),
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|" + ("---|" if seeds else "")]
    for r in results:
        if "unavailable" in r:
            rows.append("| " + " | ".join([r["policy"], f"not available: {r['unavailable']}"] + [""] * (10 if seeds else 9)) + " |")
            continue
        served = ", ".join(f"{n} {c}" for n, c in r["served"].items())
        rows.append(f"| {r['policy']} | {r['requests']} | {r['completed']} | {fmt_s(r['p50'])} | {fmt_s(r['p90'])} | "
                    f"{fmt_s(r['p99'])} | {r['cold_loads']} ({r['loads_per_min']:.0f}) | {r['evictions']} | "
                    f"{r['errors']} | {r['cut']} | {served} |"
                    + (" " + ", ".join(fmt_s(x) for x in r.get("p50_per_seed", [])) + " |" if seeds else ""))
    return "\n".join(rows)


def at_most(a: float, b: float) -> bool:
    """``a <= b`` at the table's resolution (10 ms): two policies that route alike tie."""
    return round(a, 2) <= round(b, 2)


def verdicts(scn: Scenario, results: list) -> list:
    by = {r["policy"]: r for r in results if "unavailable" not in r}
    new = by.get(NEW)
    lines = []
    if new is None or not new.get("completed"):
        return [f"FAIL ({scn.key}) {NEW} not available: no comparison possible"]
    lc, st = by.get("least-connections"), by.get("static-map")

    def line(ok: bool, text: str):
        lines.append(f"{'PASS' if ok else 'FAIL'} ({scn.key}) {text}")

    if scn.key != "e":
        # The fastest possible first chunk: prompt evaluation plus one token on the fastest
        # instance, with the model resident and a slot free. A target below it is unreachable.
        floor = min(i.prompt_eval_s + i.s_per_token for i in scn.instances)
        if lc and lc["p50"] is not None and 0.5 * lc["p50"] < floor:
            lines.append(f"n/a  ({scn.key}) p50 target 0.5 x least-connections {lc['p50']:.2f} s is below the "
                         f"fastest possible first chunk ({floor:.3f} s); {NEW} p50 {new['p50']:.2f} s "
                         f"(ratio {new['p50'] / lc['p50']:.2f})")
        elif lc and lc["p50"] is not None:
            line(at_most(new["p50"], 0.5 * lc["p50"]),
                 f"p50 {new['p50']:.2f} s <= 0.5 x least-connections {lc['p50']:.2f} s "
                 f"(ratio {new['p50'] / lc['p50']:.2f})")
        if st and st["p50"] is not None:
            line(at_most(new["p50"], st["p50"]), f"p50 {new['p50']:.2f} s <= static map {st['p50']:.2f} s "
                 f"(ratio {new['p50'] / st['p50']:.2f})")
        if lc and lc["p99"] is not None:
            line(at_most(new["p99"], lc["p99"]), f"p99 {new['p99']:.2f} s <= least-connections {lc['p99']:.2f} s")
        if st:
            if not scn.cold_na:
                line(new["cold_loads"] < st["cold_loads"],
                     f"cold loads {new['cold_loads']} < static map {st['cold_loads']}")
            else:
                lines.append(f"n/a  ({scn.key}) cold loads {new['cold_loads']} vs static map {st['cold_loads']}: "
                             f"n/a because {scn.cold_na}")
    else:
        line(new["errors"] == 0, f"{new['errors']} failed requests with an instance dying and returning "
             f"({new['cut']} streams in flight on it were cut)")
    return lines


def markdown(report: dict) -> str:
    """The results of a run as docs/benchmarks.md shows them: `fleet_bench.py --markdown FILE`."""
    out = []
    all_scn = scenarios()
    for key, sc in report["scenarios"].items():
        out.append(f"**({key}) {sc['title']}**\n")
        out.append(table(all_scn[key], sc["results"]) + "\n")
        out.append("```\n" + "\n".join(verdicts(all_scn[key], sc["results"])) + "\n```\n")
    return "\n".join(out)

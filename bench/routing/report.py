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


def fmt_ms(v: Optional[float]) -> str:
    """A judged time, to the millisecond (the client measures to well under that)."""
    return "-" if v is None else f"{v:.3f}"


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
        rows.append(f"| {r['policy']} | {r['requests']} | {r['completed']} | {fmt_ms(r['p50'])} | {fmt_s(r['p90'])} | "
                    f"{fmt_ms(r['p99'])} | {r['cold_loads']} ({r['loads_per_min']:.0f}) | {r['evictions']} | "
                    f"{r['errors']} | {r['cut']} | {served} |"
                    + (" " + ", ".join(fmt_s(x) for x in r.get("p50_per_seed", [])) + " |" if seeds else ""))
    return "\n".join(rows)


def at_most(a: float, b: float) -> bool:
    """``a <= b`` at the printed resolution, one millisecond (docs/benchmarks.md "Measuring":
    at 10 ms, two tails 9 ms apart tied or differed by a tick depending on where they fell)."""
    return round(a, 3) <= round(b, 3)


def seed_noise(results_by: dict, stat) -> Optional[float]:
    """The standard error, over the seeds drawn, of a judged difference ``stat(pools)``: a
    delete-one-seed jackknife over the pooled runs (``ttfc_by_seed`` of each policy). The lab
    checks it against the spread over 120 seeds (docs/benchmarks.md "Measuring"). None with
    fewer than three seeds."""
    per = {p: r.get("ttfc_by_seed") for p, r in results_by.items()}
    n = min((len(v) for v in per.values() if v), default=0)
    if n < 3 or any(v is None for v in per.values()):
        return None
    thetas = []
    for j in range(n):
        pools = {p: [t for k, ts in enumerate(v) if k != j for t in ts] for p, v in per.items()}
        thetas.append(stat(pools))
    mean = sum(thetas) / n
    return ((n - 1) / n * sum((x - mean) ** 2 for x in thetas)) ** 0.5


def count_noise(new: dict, other: dict, key: str = "cold_loads_by_seed") -> Optional[float]:
    """The standard error, over the seeds drawn, of a difference of totals (cold loads summed
    over the seeds): √n × the standard deviation of the per-seed differences. None with fewer
    than three seeds."""
    a, b = new.get(key), other.get(key)
    if not a or not b or len(a) != len(b) or len(a) < 3:
        return None
    d = [x - y for x, y in zip(a, b)]
    mean = sum(d) / len(d)
    return (len(d) * sum((x - mean) ** 2 for x in d) / (len(d) - 1)) ** 0.5


def noise_note(margin: float, se: Optional[float], unit: str = "s") -> str:
    """How far a line passes or fails (margin > 0: passes by it) against its seed noise."""
    if se is None:
        return ""
    word = "decisive" if abs(margin) >= 2 * se else "within the seed noise"
    if unit == "s":
        return f"; margin {margin:+.3f} s, seed noise +-{se:.3f} s: {word}"
    return f"; margin {margin:+.0f} {unit}, seed noise +-{se:.0f}: {word}"


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
            lines.append(f"n/a  ({scn.key}) p50 target 0.5 x least-connections {lc['p50']:.3f} s is below the "
                         f"fastest possible first chunk ({floor:.3f} s); {NEW} p50 {new['p50']:.3f} s "
                         f"(ratio {new['p50'] / lc['p50']:.2f})")
        elif lc and lc["p50"] is not None:
            se = seed_noise({NEW: new, "lc": lc}, lambda v: percentile(v[NEW], 50) - 0.5 * percentile(v["lc"], 50))
            line(at_most(new["p50"], 0.5 * lc["p50"]),
                 f"p50 {new['p50']:.3f} s <= 0.5 x least-connections {lc['p50']:.3f} s "
                 f"(ratio {new['p50'] / lc['p50']:.2f}{noise_note(0.5 * lc['p50'] - new['p50'], se)})")
        if st and st["p50"] is not None:
            se = seed_noise({NEW: new, "st": st}, lambda v: percentile(v[NEW], 50) - percentile(v["st"], 50))
            line(at_most(new["p50"], st["p50"]), f"p50 {new['p50']:.3f} s <= static map {st['p50']:.3f} s "
                 f"(ratio {new['p50'] / st['p50']:.2f}{noise_note(st['p50'] - new['p50'], se)})")
        if lc and lc["p99"] is not None:
            se = seed_noise({NEW: new, "lc": lc}, lambda v: percentile(v[NEW], 99) - percentile(v["lc"], 99))
            note = noise_note(lc["p99"] - new["p99"], se)
            line(at_most(new["p99"], lc["p99"]), f"p99 {new['p99']:.3f} s <= least-connections {lc['p99']:.3f} s"
                 + (f" ({note[2:]})" if note else ""))
        if st:
            if not scn.cold_na:
                note = noise_note(st["cold_loads"] - new["cold_loads"], count_noise(new, st), "loads")
                line(new["cold_loads"] < st["cold_loads"],
                     f"cold loads {new['cold_loads']} < static map {st['cold_loads']}" + (f" ({note[2:]})" if note else ""))
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

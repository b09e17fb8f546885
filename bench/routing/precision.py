"""How many seeds `make bench-routing` needs: the spread of a pooled p50 and p99 over the seeds drawn.

A judged line of the bench compares pooled percentiles of two policies over the requests of n
seeds. One seed is one draw of every user's models, token counts and think times, so which
seeds are drawn moves those percentiles. This script measures by how much, in the policy lab
(lab.py, which reproduces the bench's numbers within a few per cent, without sockets): each
scenario over `--seeds` seeds (default 120), then, for n = 1 ... 12, the standard deviation
of the pooled p50 and p99 of each policy and of each judged difference over random draws of n
of those seeds, with the delete-one-seed jackknife (report.seed_noise, what the bench prints
beside each line) averaged over the same draws. docs/benchmarks.md "Measuring" quotes it.

    python3 bench/routing/precision.py                 # (a)-(d), 120 seeds, about a minute
    python3 bench/routing/precision.py b --seeds 60 --n 3,10

The lab has no stand-in for today's residency-aware on every scenario; the rows that take its
place: (a) and (d) the static map (where residency-aware's placement settles on (a)), (b) the
lab's batching policy (`hold T=3 N=2 hot=2 chain=1`, the rule Olla has), (c) least-connections
itself (residency-aware routes (c) as it does; what is left there is timing, not the draw).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lab import Lab, parse_policy  # noqa: E402
from report import percentile, seed_noise  # noqa: E402
from scenarios import scenarios  # noqa: E402

# Per scenario: least-connections, and the row that stands in for residency-aware.
STAND_IN = {"a": "static", "b": "hold T=3 N=2 hot=2 chain=1", "c": "lc", "d": "static"}


def runs(scn, policy: str, seeds) -> list:
    """Each seed's TTFCs of one policy (the lab's 3 ms hop for a proxy that holds requests)."""
    name, params = parse_policy(policy)
    hop = 0.0 if name in ("lc", "static") else 0.003
    return [Lab(scn, s, 60.0, name, params, hop).run()["ttfc"] for s in seeds]


# The judged differences, as report.verdicts states them (> 0: the stand-in is worse).
JUDGED = {"p50 - 0.5 x lc": lambda v: percentile(v["new"], 50) - 0.5 * percentile(v["lc"], 50),
          "p99 - lc p99": lambda v: percentile(v["new"], 99) - percentile(v["lc"], 99)}


def spread(by_seed: dict, n: int, draws: int, rng: random.Random) -> dict:
    """SD over `draws` random n-seed draws of each pooled percentile and judged difference,
    and the mean jackknife estimate of the latter."""
    count = len(next(iter(by_seed.values())))
    vals: dict = {}
    jack: dict = {}
    for i in range(draws):
        idx = rng.sample(range(count), n)
        pools = {k: [t for j in idx for t in v[j]] for k, v in by_seed.items()}
        for k in by_seed:
            for q in (50, 99):
                vals.setdefault(f"{k} p{q}", []).append(percentile(pools[k], q))
        for name, stat in JUDGED.items():
            vals.setdefault(name, []).append(stat(pools))
        if n >= 3 and i < draws // 10:
            results = {k: {"ttfc_by_seed": [v[j] for j in idx]} for k, v in by_seed.items()}
            for name, stat in JUDGED.items():
                jack.setdefault(name, []).append(seed_noise(results, stat))
    out = {k: statistics.pstdev(v) for k, v in vals.items()}
    out.update({f"{k} jackknife": statistics.mean(v) for k, v in jack.items()})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenarios", nargs="*", default=list(STAND_IN))
    ap.add_argument("--seeds", type=int, default=120)
    ap.add_argument("--n", default="1,2,3,5,6,8,10,12")
    ap.add_argument("--draws", type=int, default=600)
    a = ap.parse_args()
    for key in a.scenarios:
        scn = scenarios()[key]
        seeds = range(1, a.seeds + 1)
        by_seed = {"lc": runs(scn, "lc", seeds), "new": runs(scn, STAND_IN[key], seeds)}
        allp = {k: [t for ts in v for t in ts] for k, v in by_seed.items()}
        print(f"({key}) {a.seeds} seeds x 60 s; stand-in for residency-aware: {STAND_IN[key]}; over all seeds: "
              f"lc p50 {percentile(allp['lc'], 50):.3f} p99 {percentile(allp['lc'], 99):.3f} s, stand-in p50 "
              f"{percentile(allp['new'], 50):.3f} p99 {percentile(allp['new'], 99):.3f} s")
        print("    n | SD lc p50  p99 | SD stand-in p50  p99 | SD judged p50 - 0.5 x lc (jackknife) | p99 - lc p99 (jackknife)   [ms]")
        rng = random.Random(7)
        for n in (int(x) for x in a.n.split(",")):
            s = spread(by_seed, n, a.draws, rng)
            j = lambda k: f"({s[k + ' jackknife'] * 1000:4.0f})" if k + " jackknife" in s else "      "  # noqa: E731
            print(f"   {n:2d} | {s['lc p50'] * 1000:9.0f} {s['lc p99'] * 1000:4.0f} | {s['new p50'] * 1000:15.0f} "
                  f"{s['new p99'] * 1000:4.0f} | {s['p50 - 0.5 x lc'] * 1000:26.0f} {j('p50 - 0.5 x lc')} | "
                  f"{s['p99 - lc p99'] * 1000:12.0f} {j('p99 - lc p99')}")


if __name__ == "__main__":
    main()

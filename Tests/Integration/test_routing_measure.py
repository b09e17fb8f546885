"""Self-checks of how `make bench-routing` judges (bench/routing/report.py, fleet_bench.py's
seeds): no sockets, no daemon, a few seconds.

The bench's verdicts compare pooled percentiles of two policies; docs/benchmarks.md
"Measuring" says at which resolution, over how many seeds, and how the noise printed beside
each line is estimated. Each check below fails if the code drifts from what the docs say.
"""
from __future__ import annotations

import os
import random
import statistics
import sys
from pathlib import Path

ROUTING = Path(__file__).resolve().parent.parent.parent / "bench" / "routing"
sys.path.insert(0, str(ROUTING))

import fleet_bench  # noqa: E402
import lab  # noqa: E402
from report import at_most, count_noise, noise_note, percentile, seed_noise  # noqa: E402
from scenarios import scenarios  # noqa: E402


def test_times_are_judged_to_the_millisecond():
    """Two tails 0.2 ms apart tie; 3 ms apart they do not, whichever 10 ms tick they fall in."""
    assert at_most(1.4951, 1.4949)            # both 1.495 s
    assert not at_most(1.497, 1.494)
    assert at_most(1.494, 1.497)
    assert not at_most(1.501, 1.499)          # at 10 ms these tied (1.50 against 1.50)


def test_default_seeds_and_seed_lists(monkeypatch):
    """Ten seeds by default, one with BENCH_QUICK=1; BENCH_SEEDS takes ranges and lists."""
    for k in ("BENCH_SEEDS", "BENCH_SEED"):
        monkeypatch.delenv(k, raising=False)
    assert fleet_bench.bench_seeds(quick=False) == list(range(1, 11))
    assert fleet_bench.bench_seeds(quick=True) == [1]
    monkeypatch.setenv("BENCH_SEEDS", "1-3,7")
    assert fleet_bench.bench_seeds(quick=False) == [1, 2, 3, 7]
    monkeypatch.delenv("BENCH_SEEDS")
    monkeypatch.setenv("BENCH_SEED", "4")
    assert fleet_bench.bench_seeds(quick=False) == [4]


def test_seed_noise_matches_the_spread_over_draws():
    """The jackknife printed beside a line estimates how much the judged difference moves with
    the seeds drawn: over twelve disjoint ten-seed draws of the lab's (a) (least-connections
    against the static map), its mean lies within 35 % of the draws' actual spread, for the
    p50 and the p99 lines alike; with fewer than three seeds there is none."""
    scn = scenarios()["a"]
    by_seed = {p: [lab.Lab(scn, s, 60.0, p).run()["ttfc"] for s in range(1, 121)] for p in ("lc", "static")}
    stats = {"p50": lambda v: percentile(v["new"], 50) - 0.5 * percentile(v["lc"], 50),
             "p99": lambda v: percentile(v["new"], 99) - percentile(v["lc"], 99)}
    for name, stat in stats.items():
        values, estimates = [], []
        for g in range(12):
            idx = range(10 * g, 10 * g + 10)
            per = {"new": [by_seed["static"][i] for i in idx], "lc": [by_seed["lc"][i] for i in idx]}
            values.append(stat({k: [t for ts in v for t in ts] for k, v in per.items()}))
            estimates.append(seed_noise({k: {"ttfc_by_seed": v} for k, v in per.items()}, stat))
        actual, estimated = statistics.stdev(values), statistics.mean(estimates)
        assert 0.65 <= estimated / actual <= 1.35, (name, estimated, actual)
    two = {k: {"ttfc_by_seed": v[:2]} for k, v in {"new": by_seed["static"], "lc": by_seed["lc"]}.items()}
    assert seed_noise(two, stats["p50"]) is None


def test_noise_note_says_when_a_margin_is_decisive():
    assert noise_note(0.10, 0.04).endswith("decisive")          # 2.5 standard errors
    assert "within the seed noise" in noise_note(-0.02, 0.03)
    assert noise_note(0.5, None) == ""


def test_count_noise_of_summed_loads():
    """Loads are summed over the seeds: the noise of the difference of two totals is √n times
    the spread of the per-seed differences (here 3, 5, 7: SD 2, n 3, so 2√3)."""
    new, other = {"cold_loads_by_seed": [13, 15, 17]}, {"cold_loads_by_seed": [10, 10, 10]}
    assert abs(count_noise(new, other) - 2 * 3 ** 0.5) < 1e-9
    assert count_noise({"cold_loads_by_seed": [1, 2]}, {"cold_loads_by_seed": [1, 2]}) is None
    assert noise_note(7, 10.0, "loads") == "; margin +7 loads, seed noise +-10: within the seed noise"

"""Self-checks of the routing policy lab (bench/routing/lab.py): no sockets, no daemon.

The lab is only worth its numbers while it stays true to what it stands for: bound.py's
no-load closed loop, the bench's own fleet (Ollama's arrival-order admission on an instance),
and the bench's measured baselines (least-connections and the static map on (b), seeds 1-3
pooled, docs/benchmarks.md "Results"). Each check below fails if the lab drifts from one.
The whole file runs in about a second.
"""
from __future__ import annotations

import statistics
import sys
from pathlib import Path

ROUTING = Path(__file__).resolve().parent.parent.parent / "bench" / "routing"
sys.path.insert(0, str(ROUTING))

import bound  # noqa: E402
import lab  # noqa: E402
from scenarios import Instance, Scenario, scenarios  # noqa: E402


def test_no_load_policy_reproduces_the_bound():
    """(b) with nothing ever loading, first come first served: the lab's median over 20 seeds
    lies within the spread of bound.py's 20 runs, and the two pooled medians agree."""
    scn = scenarios()["b"]
    bound_medians = [statistics.median(bound.one_run(scn, 60.0, s)) for s in range(1, 21)]
    r = lab.judge(scn, "noload", range(1, 21))
    assert min(bound_medians) <= r["p50"] <= max(bound_medians), (r["p50"], bound_medians)
    assert abs(r["p50"] - statistics.median(bound_medians)) <= 0.05
    assert all(min(bound_medians) - 0.05 <= m <= max(bound_medians) + 0.05 for m in r["seed_p50"])


def test_baselines_land_near_the_bench():
    """(b), seeds 1-3 pooled as the bench judges: least-connections and the static map near
    what `make bench-routing` measured (2026-12-01 03:28 UTC: p50 1.52 / 3.75 s, p99 5.30 /
    5.62 s, 151 / 9 cold loads)."""
    scn = scenarios()["b"]
    lc = lab.judge(scn, "lc", [1, 2, 3])
    static = lab.judge(scn, "static", [1, 2, 3])
    assert 1.35 <= lc["p50"] <= 1.70, lc
    assert 4.6 <= lc["p99"] <= 5.8, lc
    assert 130 <= lc["loads3"] <= 170, lc
    assert 3.55 <= static["p50"] <= 3.95, static
    assert static["loads3"] == 9, static          # each model loads once where the map pins it
    assert static["p50"] > lc["p50"] > lab.judge(scn, "noload", [1, 2, 3])["p50"]


def test_instance_admits_in_arrival_order():
    """One instance, K=1, P=1, load 1 s: a request for `beta` behind a running `alpha` waits
    for it, evicts it and loads; an `alpha` request sent after `beta` waits behind beta's load
    and generation, then reloads `alpha` (fleet_ollama.py's and Ollama's head-of-line rule)."""
    spec = Instance("solo", ["alpha", "beta"], load_s=1.0, prompt_eval_s=0.05, s_per_token=0.01)
    sim = lab.Sim()
    done = []
    inst = lab.Instance(sim, spec, seed=0, on_done=lambda i, r: done.append(r))
    inst.rng.uniform = lambda a, b: 0.0            # no jitter: exact times below
    reqs = [lab.Req(0, "alpha", 10, 0.0), lab.Req(1, "beta", 10, 0.1), lab.Req(2, "alpha", 10, 0.2)]
    for r in reqs:
        sim.at(r.sent, inst.submit, r)
    sim.run()
    a1, b, a2 = reqs
    assert abs(a1.first - (1.0 + 0.06)) < 1e-9          # load, prompt, one token
    assert abs(b.first - (1.15 + 1.0 + 0.06)) < 1e-9     # after alpha's stream ends (1.15 s)
    assert abs(a2.first - (2.30 + 1.0 + 0.06)) < 1e-9    # after beta's (2.30 s), a reload
    assert inst.loads == 3 and inst.evictions == 2
    assert [r.user for r in done] == [0, 1, 2]


def test_users_draw_as_the_bench_does():
    """A user's requests follow the bench's seeded draws (fleet_bench.py's `user`): model,
    tokens, think, in that order, from random.Random(f"{seed}:{key}:{user}")."""
    import random
    scn = Scenario("z", "", [Instance("i", ["m1", "m2"])], ["m1", "m2"], [0.5, 0.5], {"m1": "i", "m2": "i"},
                   users=1, think_s=0.2, burst=True)
    run = lab.Lab(scn, 7, 5.0, "static")
    run.run()
    rng = random.Random("7:z:0")
    want = []
    for _ in range(3):
        want.append((rng.choices(scn.models, scn.weights)[0], rng.randint(*scn.tokens)))
        rng.expovariate(1.0 / scn.think_s)
    assert [(r.model, r.tokens) for r in run.out[:3]] == want

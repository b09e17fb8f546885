"""Self-checks of the routing policy lab (bench/routing/lab.py): no sockets, no daemon.

The lab is only worth its numbers while it stays true to what it stands for: bound.py's
no-load closed loop, the bench's own fleet (Ollama's arrival-order admission on an instance),
and the bench's measured baselines (least-connections and the static map on (b), seeds 1-3
pooled, docs/benchmarks.md "Results"); and the numbers of (b)'s bound ("How far (b)'s median
can go"). Each check below fails if the lab drifts from one.
The whole file runs in about ten seconds (the bound judges policies on 20 seeds).
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


def run_alpha_beta_alpha(spec):
    """One lab instance of `spec`, without jitter (exact times), given `alpha` at 0 s, `beta` at
    0.1 s and `alpha` again at 0.2 s, 10 tokens each, run to the end: the instance, the three
    requests in sending order and the requests in the order they finished."""
    sim = lab.Sim()
    done = []
    inst = lab.Instance(sim, spec, seed=0, on_done=lambda i, r: done.append(r))
    inst.rng.uniform = lambda a, b: 0.0
    reqs = [lab.Req(0, "alpha", 10, 0.0), lab.Req(1, "beta", 10, 0.1), lab.Req(2, "alpha", 10, 0.2)]
    for r in reqs:
        sim.at(r.sent, inst.submit, r)
    sim.run()
    return inst, reqs, done


def test_instance_admits_in_arrival_order():
    """One instance, K=1, P=1, load 1 s: a request for `beta` behind a running `alpha` waits
    for it, evicts it and loads; an `alpha` request sent after `beta` waits behind beta's load
    and generation, then reloads `alpha` (fleet_ollama.py's and Ollama's head-of-line rule)."""
    spec = Instance("solo", ["alpha", "beta"], load_s=1.0, prompt_eval_s=0.05, s_per_token=0.01)
    inst, (a1, b, a2), done = run_alpha_beta_alpha(spec)
    assert abs(a1.first - (1.0 + 0.06)) < 1e-9          # load, prompt, one token
    assert abs(b.first - (1.15 + 1.0 + 0.06)) < 1e-9     # after alpha's stream ends (1.15 s)
    assert abs(a2.first - (2.30 + 1.0 + 0.06)) < 1e-9    # after beta's (2.30 s), a reload
    assert inst.loads == 3 and inst.evictions == 2
    assert [r.user for r in done] == [0, 1, 2]


def test_instance_loads_one_model_at_a_time():
    """One instance, K=2, P=1, load 1 s: `beta` sent while `alpha` loads waits for that load
    to end before its own starts (Ollama loads one model at a time per instance, and so does
    fleet_ollama.py), holding the line meanwhile; a second `alpha` sent behind it starts once
    beta's load has started (1.0 s) and alpha's slot is free, without waiting for that load."""
    spec = Instance("duo", ["alpha", "beta", "gamma"], max_loaded=2, load_s=1.0, prompt_eval_s=0.05,
                    s_per_token=0.01)
    inst, (a1, b, a2), _ = run_alpha_beta_alpha(spec)
    assert abs(a1.first - (1.0 + 0.06)) < 1e-9          # load, prompt, one token
    assert abs(b.first - (2.0 + 0.06)) < 1e-9           # its load starts when alpha's ends (1.0 s)
    assert abs(a2.first - (1.15 + 0.06)) < 1e-9         # after alpha's first stream (1.15 s), beside beta's load
    assert inst.loads == 2 and inst.evictions == 0


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


def test_b_bound_numbers():
    """docs/benchmarks.md "How far (b)'s median can go": the numbers of the argument, seeds
    1-20. Half the requests must come within theta = 0.5 x least-connections' p50; a request
    that waits for a load cannot (its first chunk is at least the load's floor plus prompt and
    a token); a fleet that never loads serves too few within theta once the rare requests are
    slower; the frontier's best policy with p99 <= least-connections' misses theta by a few
    milliseconds, and the same policy with the hot model's way back free meets it easily."""
    scn = scenarios()["b"]
    b = lab.bound(scn, range(1, 21))
    theta, cap = b["theta"], b["cap"]
    assert 0.700 <= theta <= 0.712 and 5.40 <= cap <= 5.60, (theta, cap)
    assert b["load_first"] > 2 * theta
    assert abs(b["hot_share"] - 0.85) < 1e-9 and abs(b["q"] - 58.8) < 0.1
    assert theta < b["noload_q"] <= 0.73, b["noload_q"]
    best = b["best"]
    assert best["p99"] <= cap and theta < best["p50"] <= theta + 0.01, best
    assert best["rare_fast"] < 0.10, best
    # Even with every hot request served as in a fleet that never loads, and the rare requests
    # as fast as the best policy gets them, fewer than half come within theta.
    assert b["hot_share"] * b["noload_fast"] + (1 - b["hot_share"]) * best["rare_fast"] < 0.5, b
    assert b["freehot"]["p50"] < theta - 0.05, b["freehot"]


def test_b_frontier_brackets_the_target():
    """The other side of the frontier (seeds 1-20): holding the rare models until the hot
    queue runs dry meets 0.5 x least-connections' p50 but breaks its p99; with a 3 ms hop the
    frontier's best policy misses the median by more than the lab's noise."""
    scn = scenarios()["b"]
    lc = lab.judge(scn, "lc", range(1, 21))
    dry = lab.judge(scn, "wide lull=0 hot=2 chain=1", range(1, 21))
    assert dry["p50"] < lc["p50"] / 2 and dry["p99"] > lc["p99"] + 0.3, (dry, lc)
    lc_hop = lab.judge(scn, "lc", range(1, 21), hop=0.003)
    cap = lc_hop["p99"]
    hop = lab.judge(scn, f"wide B={cap - 0.2:.2f} lull=0 hot=2 hotB=2 back=2 chain=1", range(1, 21), hop=0.003)
    assert hop["p99"] <= cap and hop["p50"] > lc_hop["p50"] / 2 + 0.03, (hop, lc_hop)


def test_b_targets_by_the_draw():
    """A bench run judges one draw of seeds: on ten seeds drawn from 1-40, the frontier's best
    policy meets both of (b)'s time lines in some draws and misses in others (seeds 21-40 are
    kind to it), while `greedy` (today's scheduler's stand-in) never meets the median line."""
    scn = scenarios()["b"]
    best = lab.draws(scn, "wide B=5.4 lull=0 hot=2 hotB=2 back=2 chain=1", range(1, 41), 10, trials=200)
    assert 0.1 <= best["both"] <= 0.6 and 0.46 <= best["ratio"] <= 0.54, best
    greedy = lab.draws(scn, "greedy", range(1, 41), 10, trials=200)
    assert greedy["both"] == 0 and greedy["ratio"] > 0.58, greedy

"""Self-checks of bench/routing/relax.py (docs/benchmarks.md "Relaxations: is first come, first
served within each model what blocks 0.5 x?"): no sockets, no daemon, a few seconds.

The relaxations are worth their numbers only while `zero=1` is the lab's fleet that never
loads and each policy keeps first come, first served within every model."""
from __future__ import annotations

import sys
from pathlib import Path

ROUTING = Path(__file__).resolve().parent.parent.parent / "bench" / "routing"
sys.path.insert(0, str(ROUTING))

import lab  # noqa: E402
import relax  # noqa: E402
from scenarios import scenarios  # noqa: E402

SEEDS = [1, 2]


def test_fcfs_with_no_load_costs_is_the_labs_noload():
    scn = scenarios()["b"]
    noload = lab.judge(scn, "noload", SEEDS)
    _, (fcfs,) = relax.table("b", SEEDS, ["fcfs zero=1"])
    assert fcfs["n"] == noload["n"] and fcfs["p50"] == noload["p50"] and fcfs["p99"] == noload["p99"]
    assert relax.relaxed(scn, "fcfs")[0] is scn, "no relaxation asked: the scenario itself"


def test_each_policy_serves_every_model_in_arrival_order():
    # Within one model, first chunks come in arrival order on a fleet where every slot is alike.
    for text in ("fcfs zero=1", "hotfirst zero=1", "rarefirst zero=1"):
        scn, policy = relax.relaxed(scenarios()["b"], text)
        run = lab.Lab(scn, 1, 60.0, policy, {})
        run.run()
        for model in scn.models:
            starts = [(r.sent, r.first) for r in run.out if r.model == model]
            starts.sort()
            firsts = [f for _, f in starts]
            assert firsts == sorted(firsts), (text, model)


def test_the_order_between_models_is_what_the_policy_says():
    _, (hot, rare) = relax.table("b", SEEDS, ["hotfirst zero=1", "rarefirst zero=1"])
    assert hot["hot_p50"] < hot["rare_p50"] and rare["rare_p50"] < rare["hot_p50"]

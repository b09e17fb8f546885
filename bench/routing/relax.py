"""Relaxations of (b) for the question "can any first-come-first-served-per-model policy reach
0.5 x least-connections' median?" (docs/benchmarks.md "How far (b)'s median can go").

The lab's fleets, users and draws (bench/routing/lab.py: the bench's exact seeds), with three
more policies, each first come, first served within every model, held in a free proxy and
given to the first instance that frees (work-conserving):

* ``fcfs``: the oldest held request of any model (loading its model when it is not resident);
* ``hotfirst``: the oldest request of the hot model while there is one, else the oldest rare;
* ``rarefirst``: the oldest rare request while there is one, else the oldest hot;

and one more relaxation beside the lab's ``floor=1`` (every load at the jitter's floor) and
``freehot=1`` (the hot model loads in no time: resident everywhere from the start, its way
back after a rare visit free): ``zero=1``, no load costs anything (``fcfs zero=1`` is the lab's
``noload``).

    python3 bench/routing/relax.py                          # the table the docs quote, seeds 1-10
    python3 bench/routing/relax.py --seeds 1-20 "hotfirst zero=1" "fcfs freehot=1"
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lab  # noqa: E402
from scenarios import scenarios  # noqa: E402

DEFAULT = ["noload", "fcfs zero=1", "hotfirst zero=1", "rarefirst zero=1",
           "fcfs floor=1 freehot=1", "hotfirst floor=1 freehot=1",
           "wide B=5.38 lull=0 hot=2 hotB=2 back=2 chain=1 floor=1 freehot=1",
           "fcfs", "hotfirst", "wide B=5.38 lull=0 hot=2 hotB=2 back=2 chain=1"]


class FirstCome(lab.Held):
    """The oldest held request of any model (its model loaded when not resident)."""

    def choose(self, inst):
        return self.oldest(self.held, inst)


class HotFirst(lab.Held):
    """The oldest request of the hot model while one is held, else the oldest of the others."""

    def choose(self, inst):
        return self.oldest([self.lab.scn.models[0]], inst) or self.oldest(self.held, inst)


class RareFirst(lab.Held):
    """The oldest request of a rare model while one is held, else the oldest hot one."""

    def choose(self, inst):
        hot = self.lab.scn.models[0]
        return self.oldest([m for m in self.held if m != hot], inst) or self.oldest(self.held, inst)


lab.POLICIES.update(fcfs=FirstCome, hotfirst=HotFirst, rarefirst=RareFirst)


def relaxed(scn, text: str):
    """`scn` and the policy text with `zero=1` applied: the same fleet with every load free."""
    words = text.split()
    if "zero=1" not in words:
        return scn, text
    fleet = [dataclasses.replace(i, load_s=0.0) for i in scn.instances]
    return dataclasses.replace(scn, instances=fleet), " ".join(w for w in words if w != "zero=1")


def table(key: str, seeds: list, policies: list, seconds: float = 60.0) -> tuple:
    """least-connections' row and each policy's, with theta = 0.5 x its pooled p50."""
    scn = scenarios()[key]
    lc = lab.judge(scn, "lc", seeds, seconds)
    theta = lc["p50"] / 2
    rows = []
    for text in policies:
        fleet, policy = relaxed(scn, text)
        row = lab.judge(fleet, policy, seeds, seconds, theta=theta)
        row["policy"] = text
        rows.append(row)
    return lc, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("policies", nargs="*", default=DEFAULT)
    ap.add_argument("--scenario", default="b")
    ap.add_argument("--seeds", default="1-10")
    ap.add_argument("--seconds", type=float, default=60.0)
    a = ap.parse_args()
    lc, rows = table(a.scenario, lab.seeds_arg(a.seeds), a.policies, a.seconds)
    print(f"({a.scenario}) seeds {a.seeds}: least-connections p50 {lc['p50']:.3f} s, p99 {lc['p99']:.2f} s; "
          f"theta = {lc['p50'] / 2:.3f} s")
    for r in rows:
        verdict = "p99 <= lc" if r["p99"] <= lc["p99"] else "p99 > lc"
        print(f"{r['policy']:<66} p50 {r['p50']:.3f} ({r['p50'] / lc['p50']:.3f} x)  p99 {r['p99']:5.2f} ({verdict})  "
              f"hot p50 {r['hot_p50']:.2f}  rare p50 {r['rare_p50']:.2f}  within theta: hot "
              f"{100 * r['hot_fast']:.1f} %, rare {100 * r['rare_fast']:.1f} %")


if __name__ == "__main__":
    main()

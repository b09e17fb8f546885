"""A floor for a scenario's time to first chunk: its closed loop on a fleet that never loads.

Every slot of the fleet serves every model (as if each instance held all of them), requests
start first come first served the moment a slot frees, and nothing sits between users and
slots (no proxy, no round trip). The users are the scenario's own (count, think time, token
counts; seeded per run, not the bench's exact draws). No routing policy can do better on the
median than this, except by starving some requests to let others through: it is the bound
the (b) paragraph of docs/benchmarks.md quotes.

    python3 bench/routing/bound.py [scenario] [seconds] [runs]     # defaults: b 60 20
"""
from __future__ import annotations

import heapq
import random
import statistics
import sys

from scenarios import scenarios


def one_run(scn, seconds: float, seed: int) -> list:
    """First-chunk times (s) of one run of `scn` with no loads, FIFO over all its slots."""
    rng = random.Random(seed)
    inst = scn.instances[0]
    slots = sum(i.num_parallel for i in scn.instances)
    first_chunk = inst.prompt_eval_s + inst.s_per_token
    events = []  # (time, seq, kind, user)
    for user in range(scn.users):
        start = 0.0 if scn.burst else rng.uniform(0, scn.think_s)
        heapq.heappush(events, (start, user, "arrive", user))
    seq, free, queue, out = scn.users, slots, [], []
    while events:
        now, _, kind, user = heapq.heappop(events)
        if kind == "arrive":
            if now > seconds:
                continue
            queue.append((now, user, rng.randint(*scn.tokens)))
        else:
            free += 1
            seq += 1
            heapq.heappush(events, (now + rng.expovariate(1.0 / scn.think_s), seq, "arrive", user))
        while free and queue:
            arrived, who, tokens = queue.pop(0)
            free -= 1
            out.append(now - arrived + first_chunk)
            seq += 1
            heapq.heappush(events, (now + inst.prompt_eval_s + tokens * inst.s_per_token, seq, "done", who))
    return out


def main() -> None:
    key = sys.argv[1] if len(sys.argv) > 1 else "b"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    scn = scenarios()[key]
    medians, means = [], []
    for seed in range(1, runs + 1):
        ttfc = one_run(scn, seconds, seed)
        medians.append(statistics.median(ttfc))
        means.append(statistics.mean(ttfc))
    print(f"({key}) with no model load ever, first come first served over every slot, {runs} runs of {seconds:g} s:")
    print(f"  TTFC p50 {statistics.median(medians):.2f} s (runs {min(medians):.2f}-{max(medians):.2f}), "
          f"mean {statistics.mean(means):.2f} s")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""`make bench-routing`: which instance should a request go to? (issue 9, "Prove it").

A simulated Ollama fleet (Tests/Integration/fleet_ollama.py: model residency, load times,
parallel slots, LRU eviction, keep-alive, arrival-order queue with Ollama's 503) is driven by
closed-loop users (think time, Zipf-like model popularity, seeded), all on loopback. Every
scenario runs every routing policy side by side, at the same time and with the same seeds:

  least-connections   Olla, `proxy.load_balancer: "least-connections"`
  model-aware         Olla, the old lexicographic order (loaded first, then in-flight)
  residency-aware     Olla, the scheduler of issue 9 ("not available" while Olla rejects the name)
  static-map          no proxy: each user sends a model straight to the instance a hand-written
                      model -> instance map names (what people do before they have a router)

Each policy gets its own fleet (same specs and seeds) and its own Olla (the release binary,
$OLLA_BIN, on free loopback ports), in its own worker process. Reported per scenario and
policy: time to first chunk (client side, from sending the request to the first body byte)
p50/p90/p99, cold loads and evictions (the instances' own counters), failed requests, streams
cut, requests completed. PASS/FAIL lines follow the issue's targets.

Environment: BENCH_SECONDS (per scenario, default 60), BENCH_QUICK=1 (15 s, a smoke check),
BENCH_SCENARIOS (e.g. "a,e"), BENCH_SEEDS (default "1-10": each scenario runs once per seed and is
judged on every seed's requests pooled; BENCH_SEED=N: one seed), BENCH_PARALLEL (seeds run at
once, default 2), OLLA_BIN (default .build/release/olla),
BENCH_OUT (JSON results, default .build-bench/routing-results.json), BENCH_CAPACITY=0 (endpoints
do not state num_parallel / max_loaded_models), BENCH_EVICTION=ollama (instances evict in Ollama's
order, not the least recently used).

Files: scenarios.py (fleets and workloads), client.py (the timed HTTP client), report.py
(tables, PASS/FAIL), this file (workers and the orchestrator).
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO / "Tests" / "Integration"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from client import PREFIX, chat, http_get  # noqa: E402
from fleet_ollama import FleetOllama, normalize_model  # noqa: E402
from report import markdown, percentile, table, verdicts  # noqa: E402
from scenarios import Scenario, scenarios  # noqa: E402

POLICIES = ["least-connections", "model-aware", "residency-aware", "static-map"]
# BENCH_BASELINE=/path/to/olla adds a row "residency-aware@baseline": the same balancer from
# another binary, in the same run (a change's effect, free of run-to-run noise);
# BENCH_BASELINE=label=/path,label2=/path2 adds one row per binary ("residency-aware@label").
BASELINE = "residency-aware@"


def baselines() -> dict:
    spec = os.environ.get("BENCH_BASELINE", "")
    items = [x for x in spec.split(",") if x]
    return dict((x.split("=", 1) if "=" in x else ("baseline", x)) for x in items)
CAPACITY = os.environ.get("BENCH_CAPACITY", "1") != "0"
# Which idle model a simulated instance evicts: the least recently used ("lru", the default:
# Olla's residency model predicts it), or Ollama's own order ("ollama": the shortest keep-alive,
# then the model file's path, which Olla cannot see). docs/benchmarks.md, "What is simulated".
EVICTION = os.environ.get("BENCH_EVICTION", "lru")


# ---------------------------------------------------------------------------------------
# One policy on one scenario (a worker process)
# ---------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CAPACITY_KEYS = ("num_parallel", "max_loaded_models")


def olla_config(scn: Scenario, policy: str, port: int, fleet: list, capacity: bool) -> dict:
    """Olla's configuration for one policy. With ``capacity``, each endpoint states its
    OLLAMA_NUM_PARALLEL and OLLAMA_MAX_LOADED_MODELS, as an operator who set them would."""
    endpoints = []
    for spec, inst in zip(scn.instances, fleet):
        e = {"name": spec.name, "url": inst.url, "type": "ollama", "priority": spec.priority,
             "check_interval": "1s", "check_timeout": "500ms"}
        if capacity:
            e.update({"num_parallel": spec.num_parallel, "max_loaded_models": spec.max_loaded})
        endpoints.append(e)
    return {
        "server": {"host": "127.0.0.1", "port": port, "shutdown_timeout": "2s", "request_logging": False},
        "proxy": {"load_balancer": policy, "max_retries": 3, "connection_timeout": "1s",
                  "response_timeout": "120s", "read_timeout": "30s"},
        "discovery": {"static": {"endpoints": endpoints}, "model_discovery": {"interval": "10s"}},
        "model_registry": {"routing_strategy": {"type": "strict"}},
        "logging": {"level": "warn", "format": "json"},
    }


def slot_handover(ok: list) -> dict:
    """How fast a busy slot passes to the next request that waited for it (no load): its first
    chunk minus the end of the latest stream on the same instance before it, median in ms,
    for requests Olla held (late binding) and for the others (queued in the instance). The
    physical floor is prompt evaluation plus one token; what is above it is the hand-over's
    cost (for a held request: Olla hears the end, dispatches, the instance reads it)."""
    ends: dict = {}
    for o in ok:
        if o.endpoint and o.ended is not None:
            ends.setdefault(o.endpoint, []).append(o.ended)
    gaps: dict = {"held": [], "queued": []}
    for o in ok:
        if not o.endpoint or o.ttfc is None or o.ttfc < 0.1 or o.load_ns > 2e8:
            continue
        first = o.started + o.ttfc
        before = [e for e in ends.get(o.endpoint, []) if o.started < e <= first]
        if before and first - max(before) < 0.5:
            gaps["held" if o.reason.startswith("held") else "queued"].append(first - max(before))
    return {k: {"n": len(v), "median_ms": round(1000 * percentile(v, 50), 1)} for k, v in gaps.items() if v}


async def loop_lag_monitor(samples: list, stop: asyncio.Event):
    """How late the worker's own event loop wakes up: the measurement's noise floor."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        t = loop.time()
        await asyncio.sleep(0.05)
        samples.append(loop.time() - t - 0.05)


async def start_olla(binary: Path, config: dict, tmp: Path, log_path: Path, want: set) -> tuple:
    """Starts Olla and waits (≤ 30 s) until its catalogue lists every model. Returns
    (process, None), or (None, why) when it exited or never got there."""
    cfg = tmp / "olla.json"
    cfg.write_text(json.dumps(config, indent=1))
    log = open(log_path, "wb")
    proc = subprocess.Popen([str(binary), "--config", str(cfg)], stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, cwd=tmp)
    port = config["server"]["port"]
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            log.close()
            return None, "Olla exited: " + log_path.read_text(errors="replace")
        try:
            status, body = await http_get("127.0.0.1", port, PREFIX + "/api/tags")
            names = {m["name"] for m in json.loads(body)["models"]} if status == 200 else set()
            if want <= names:
                return proc, None
        except (OSError, ValueError, KeyError, IndexError, asyncio.TimeoutError):
            pass
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            return None, "Olla did not list every model within 30 s"
        await asyncio.sleep(0.1)


async def run_policy(scn: Scenario, policy: str, seconds: float, seed: int, olla_bin: str,
                     label: str = "") -> dict:
    if policy.startswith(BASELINE):
        label = policy[len(BASELINE):]
        result = await run_policy(scn, "residency-aware", seconds, seed, baselines()[label],
                                  label=f"residency-aware-{label}")
        result["policy"] = policy
        return result
    fleet = [FleetOllama(s.name, s.models, max_loaded=s.max_loaded, num_parallel=s.num_parallel,
                         load_s=s.load_s, s_per_token=s.s_per_token, prompt_eval_s=s.prompt_eval_s,
                         seed=seed, eviction=EVICTION) for s in scn.instances]
    for inst in fleet:
        await inst.start_async()
    by_name = {s.name: inst for s, inst in zip(scn.instances, fleet)}
    proc = None
    capacity_given = False
    tmp = tempfile.mkdtemp(prefix=f"fleetbench-{scn.key}-")
    log_path = Path(tmp) / "olla.log"
    try:
        if policy != "static-map":
            # A copy under another name: on a shared machine a colleague's `pkill olla` must not
            # stop the run (seen in the issue-4 benchmark, docs/benchmarks.md).
            binary = Path(tmp) / "proxy-under-test"
            shutil.copyfile(olla_bin, binary)
            binary.chmod(0o755)
            want = {normalize_model(m) for s in scn.instances for m in s.models}
            attempts = [True, False] if CAPACITY else [False]
            for capacity in attempts:     # an Olla without the capacity keys rejects them: go without
                port = free_port()
                proc, failure = await start_olla(binary, olla_config(scn, policy, port, fleet, capacity),
                                                 Path(tmp), log_path, want)
                if failure is None:
                    capacity_given = capacity
                    break
                if capacity and any(k in failure for k in CAPACITY_KEYS):
                    continue
                if "load_balancer" in failure:
                    return {"policy": policy, "unavailable": "Olla rejects proxy.load_balancer "
                            f"\"{policy}\" (not in this build)"}
                return {"policy": policy, "unavailable": failure[-400:]}
            target = lambda model: ("127.0.0.1", port, PREFIX)     # noqa: E731
        else:
            target = lambda model: ("127.0.0.1", by_name[scn.static_map[model]].port, "")  # noqa: E731

        loop = asyncio.get_running_loop()
        t0 = loop.time()
        t_end = t0 + seconds
        outcomes: list = []

        async def user(u: int):
            rng = random.Random(f"{seed}:{scn.key}:{u}")
            first = 0.0 if scn.burst else rng.uniform(0, scn.think_s)
            await asyncio.sleep(first)
            seq = 0
            while loop.time() < t_end:
                model = rng.choices(scn.models, scn.weights)[0]
                tokens = rng.randint(*scn.tokens)
                think = rng.expovariate(1.0 / scn.think_s)
                host, port_, prefix = target(model)
                o = await chat(host, port_, prefix, model, tokens, timeout=90)
                o.user, o.seq = u, seq
                seq += 1
                outcomes.append(o)
                if not o.ok:
                    think = max(think, 0.25)       # a failed user does not spin
                await asyncio.sleep(think)

        async def event(frac: float, action: str, name: str):
            await asyncio.sleep(frac * seconds)
            await (by_name[name].kill_async() if action == "kill" else by_name[name].revive_async())

        lag: list = []
        stop = asyncio.Event()
        mon = asyncio.ensure_future(loop_lag_monitor(lag, stop))
        events = [asyncio.ensure_future(event(*e)) for e in scn.events]
        await asyncio.gather(*(user(u) for u in range(scn.users)))
        await asyncio.gather(*events)
        stop.set()
        await mon
        wall = loop.time() - t0

        ok = [o for o in outcomes if o.ok]
        ttfc = [o.ttfc for o in ok]
        stats = {s.name: inst.stats.to_dict() for s, inst in zip(scn.instances, fleet)}
        loads = sum(s["loads"] for s in stats.values())
        return {
            "policy": policy, "seconds": round(wall, 1), "capacity_keys": capacity_given, "requests": len(outcomes), "completed": len(ok),
            "p50": percentile(ttfc, 50), "p90": percentile(ttfc, 90), "p99": percentile(ttfc, 99),
            "mean": sum(ttfc) / len(ttfc) if ttfc else None,
            "ttfc": [round(t, 4) for t in ttfc],   # every completed request's, for pooling over seeds
            "cold_loads": loads, "loads_per_min": loads * 60.0 / wall,
            "evictions": sum(s["evictions"] for s in stats.values()),
            "errors": sum(1 for o in outcomes if not o.ok and o.kind != "cut"),
            "cut": sum(1 for o in outcomes if o.kind == "cut"),
            "error_kinds": sorted({o.kind for o in outcomes if not o.ok}),
            "served": {n: s["completed"] for n, s in stats.items()},
            "rejected_503": sum(s["rejected"] for s in stats.values()),
            "loop_lag_p99_ms": round(1000 * (percentile(lag, 99) or 0), 1),
            "handover": slot_handover(ok),
            # Per model: where the tail comes from (for whoever tunes a balancer).
            "by_model": {m: {"requests": len(v), "p50": percentile(v, 50), "p90": percentile(v, 90),
                             "max": max(v) if v else None,
                             "waited_for_load": sum(1 for o in ok if o.model == m and o.load_ns > 2e8)}
                         for m in scn.models for v in [[o.ttfc for o in ok if o.model == m]]},
            # BENCH_TRACE=1: every request in order, to see what a balancer decided and why
            # (start, model, instance, TTFC, load s, reason, end; seconds from the run's start, to
            # the millisecond: a slot's handover from one stream to the next is tens of ms; then
            # the user and its request's number, which pair one request across policies: every
            # user draws the same sequence under each).
            **({"trace": [[round(o.started - t0, 3), o.model, o.endpoint, o.ttfc and round(o.ttfc, 4),
                           round(o.load_ns / 1e9, 3), o.reason, o.ended and round(o.ended - t0, 3), o.user, o.seq]
                          for o in sorted(outcomes, key=lambda o: o.started)]}
               if os.environ.get("BENCH_TRACE") == "1" else {}),
        }
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
        for inst in fleet:
            await inst.stop_async()
        if log_path.exists():   # kept for whoever tunes a balancer: .build-bench/routing-logs/
            logs = REPO / ".build-bench" / "routing-logs"
            logs.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log_path, logs / f"{scn.key}-{label or policy}.log")
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# The orchestrator: per scenario, every policy at once (one worker process each)
# ---------------------------------------------------------------------------------------


def seed_list(text: str) -> list:
    """"1,2,3" or "1-10" (or a mix: "1-5,9")."""
    out = []
    for part in (x.strip() for x in text.split(",")):
        if "-" in part:
            a, b = part.split("-", 1)
            out += list(range(int(a), int(b) + 1))
        elif part:
            out.append(int(part))
    return out


DEFAULT_SEEDS = "1-10"
# How many seeds run at once (each with every policy side by side): BENCH_PARALLEL, default 2.
# Two halve the run's time; the simulator's event-loop lag p99 stays small (docs/benchmarks.md
# "Measuring"), and every policy of a seed still shares the same moment and machine load.
PARALLEL = max(1, int(os.environ.get("BENCH_PARALLEL", "2")))
# Above this event-loop lag p99 (ms) in any run of a scenario, its timings are called disturbed.
LAG_BUSY_MS = 50


def bench_seeds(quick: bool) -> list:
    """The seeds to run: BENCH_SEEDS ("1-10", "1,2,3"), else BENCH_SEED (one), else 1-10 (1 with
    BENCH_QUICK=1). One seed is one draw of every user's models, token counts and think times;
    the targets are judged on the requests of every seed pooled. How many: docs/benchmarks.md
    "Measuring" (from the lab's spread of a pooled p50 and p99 over the seeds drawn)."""
    if os.environ.get("BENCH_SEEDS"):
        return seed_list(os.environ["BENCH_SEEDS"])
    if os.environ.get("BENCH_SEED"):
        return [int(os.environ["BENCH_SEED"])]
    return [1] if quick else seed_list(DEFAULT_SEEDS)


def run_side_by_side(key: str, policies: list, seconds: float, seeds: list, olla_bin: str) -> list:
    """Every policy on scenario `key`, once per seed in `seeds`, all at the same time (one worker
    process each). Returns one list of results (in `policies` order) per seed."""
    procs = [[subprocess.Popen([sys.executable, "-u", __file__, "--worker", f"{key}:{p}", str(seconds),
                                str(seed), olla_bin], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for p in policies] for seed in seeds]
    out_all = []
    for per_seed in procs:
        results = []
        for p, proc in zip(policies, per_seed):
            try:
                out, err = proc.communicate(timeout=seconds + 150)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
            line = [ln for ln in out.splitlines() if ln.startswith("RESULT ")]
            if line:
                results.append(json.loads(line[-1][7:]))
            else:
                results.append({"policy": p, "unavailable": f"worker failed: {err.strip()[-300:]}"})
        out_all.append(results)
    return out_all


def pooled(runs: list) -> list:
    """One result per policy over several seeds' runs: counts summed, percentiles over every
    completed request of every run (a policy unavailable in any run is unavailable)."""
    out = []
    for i, first in enumerate(runs[0]["results"]):
        each = [run["results"][i] for run in runs]
        gone = [r for r in each if "unavailable" in r]
        if gone:
            out.append(gone[0])
            continue
        ttfc = [t for r in each for t in r["ttfc"]]
        wall = sum(r["seconds"] for r in each)
        served: dict = {}
        for r in each:
            for name, n in r["served"].items():
                served[name] = served.get(name, 0) + n
        total = {k: sum(r[k] for r in each) for k in ("requests", "completed", "cold_loads", "evictions", "errors",
                                                         "cut", "rejected_503")}
        out.append({"policy": first["policy"], "seconds": round(wall, 1), **total,
                    "p50": percentile(ttfc, 50), "p90": percentile(ttfc, 90), "p99": percentile(ttfc, 99),
                    "mean": sum(ttfc) / len(ttfc) if ttfc else None, "loads_per_min": total["cold_loads"] * 60.0 / wall,
                    "served": served, "p50_per_seed": [r["p50"] for r in each],
                    "ttfc_by_seed": [r["ttfc"] for r in each],    # report.seed_noise's jackknife
                    "cold_loads_by_seed": [r["cold_loads"] for r in each],
                    "loop_lag_p99_ms": max(r["loop_lag_p99_ms"] for r in each)})
    return out


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--markdown":
        print(markdown(json.loads(Path(sys.argv[2]).read_text())))
        return 0
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        key, policy = sys.argv[2].split(":", 1)
        seconds, seed, olla_bin = float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
        result = asyncio.run(run_policy(scenarios()[key], policy, seconds, seed, olla_bin))
        print("RESULT " + json.dumps(result), flush=True)
        return 0

    quick = os.environ.get("BENCH_QUICK") == "1"
    seconds = float(os.environ.get("BENCH_SECONDS", "15" if quick else "60"))
    seeds = bench_seeds(quick)
    olla_bin = str(Path(os.environ.get("OLLA_BIN", REPO / ".build" / "release" / "olla")).resolve())
    if not Path(olla_bin).exists():
        print(f"bench-routing: no Olla binary at {olla_bin} (run `swift build -c release` or set OLLA_BIN)")
        return 2
    all_scn = scenarios()
    keys = [k.strip() for k in os.environ.get("BENCH_SCENARIOS", ",".join(all_scn)).split(",") if k.strip()]
    out_path = Path(os.environ.get("BENCH_OUT", REPO / ".build-bench" / "routing-results.json"))
    policies = POLICIES + [BASELINE + label for label in baselines()]
    print(f"bench-routing: {len(keys)} scenarios x {len(policies)} policies side by side, {seconds:.0f} s each, "
          f"seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))} ({min(PARALLEL, len(seeds))} at a time), "
          f"eviction {EVICTION}, olla {olla_bin}")
    report = {"seconds": seconds, "seeds": seeds, "parallel": PARALLEL, "eviction": EVICTION,
              "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "scenarios": {}}
    all_verdicts = []
    for key in keys:
        scn = all_scn[key]
        print(f"\n## ({key}) {scn.title}" + (f"\n{scn.note}" if scn.note else ""), flush=True)
        runs = []
        groups = [seeds[i:i + PARALLEL] for i in range(0, len(seeds), PARALLEL)]
        for group in groups:
            for seed, results in zip(group, run_side_by_side(key, policies, seconds, group, olla_bin)):
                runs.append({"seed": seed, "results": results})
                if len(seeds) > 1:
                    print(f"\n### ({key}) seed {seed}")
                print(table(scn, results))
                lags = [r.get("loop_lag_p99_ms") for r in results if "loop_lag_p99_ms" in r]
                if lags:
                    print(f"(simulator event-loop lag p99: {max(lags):.0f} ms)")
                handovers = [f"{r['policy']} " + ", ".join(f"{k} {h['median_ms']:.0f} ms (n={h['n']})" for k, h in r["handover"].items())
                             for r in results if r.get("handover")]
                if handovers:
                    print("(slot handover, first chunk after the stream before it ended, median: " + "; ".join(handovers) + ")")
                if len(seeds) > 1:
                    print("(this seed alone, not judged: " + "; ".join(verdicts(scn, results)) + ")", flush=True)
        results = runs[0]["results"] if len(runs) == 1 else pooled(runs)
        if len(runs) > 1:
            print(f"\n### ({key}) seeds {', '.join(map(str, seeds))} pooled (judged)")
            print(table(scn, results))
        v = verdicts(scn, results)
        print("\n".join(v), flush=True)
        worst = max((r.get("loop_lag_p99_ms", 0) for run in runs for r in run["results"]), default=0)
        if worst >= LAG_BUSY_MS:
            # A simulator that wakes this late cannot keep its own times (and Olla's probes of it
            # time out at 500 ms): the machine was busy, the timings above are disturbed.
            print(f"(disturbed: the simulator's event-loop lag p99 reached {worst:.0f} ms in a run of this "
                  f"scenario, >= {LAG_BUSY_MS} ms: the machine was busy; rerun on a quieter machine)", flush=True)
        all_verdicts += v
        report["scenarios"][key] = {"title": scn.title, "note": scn.note, "results": results, "verdicts": v,
                                    **({"runs": runs} if len(runs) > 1 else {})}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(report, indent=1))
    fails = sum(1 for v in all_verdicts if v.startswith("FAIL"))
    passes = sum(1 for v in all_verdicts if v.startswith("PASS"))
    print(f"\nbench-routing: {passes} PASS, {fails} FAIL (results in {out_path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

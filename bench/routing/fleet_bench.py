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
BENCH_SCENARIOS (e.g. "a,e"), BENCH_SEED (default 1), OLLA_BIN (default .build/release/olla),
BENCH_OUT (JSON results, default .build-bench/routing-results.json).
"""
from __future__ import annotations

import asyncio
import dataclasses
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
from typing import Optional

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO / "Tests" / "Integration"))
from fleet_ollama import FleetOllama, normalize_model  # noqa: E402

POLICIES = ["least-connections", "model-aware", "residency-aware", "static-map"]
NEW = "residency-aware"
CAPACITY = os.environ.get("BENCH_CAPACITY", "1") != "0"
PREFIX = "/olla/ollama"
MODELS = ["llama3.2:3b", "qwen2.5:7b", "mistral:7b", "gemma2:9b", "phi3:mini", "llava:7b",
          "codellama:7b", "deepseek-r1:8b"]


@dataclasses.dataclass
class Instance:
    name: str
    models: list
    max_loaded: int = 1          # K: OLLAMA_MAX_LOADED_MODELS
    num_parallel: int = 1        # P: OLLAMA_NUM_PARALLEL
    load_s: float = 1.5
    s_per_token: float = 0.02
    prompt_eval_s: float = 0.05
    priority: int = 100


@dataclasses.dataclass
class Scenario:
    key: str
    title: str
    instances: list
    models: list                 # by popularity
    weights: list                # relative request share per model
    static_map: dict             # model -> instance name
    users: int = 6
    think_s: float = 1.0         # mean of an exponential think time
    tokens: tuple = (10, 50)     # tokens per answer, uniform
    burst: bool = False          # every user sends its first request at t=0
    events: list = dataclasses.field(default_factory=list)   # (fraction of the run, "kill"|"revive", instance)
    cold_na: str = ""            # why "fewer cold loads than the static map" does not apply, if it does not
    note: str = ""


def zipf(n: int, s: float = 1.0) -> list:
    return [1.0 / (i + 1) ** s for i in range(n)]


def two_each(names: list, n_models: int) -> list:
    """Model i on instances i and i+1 (mod n): every model on two instances."""
    out = [[] for _ in names]
    for i in range(n_models):
        out[i % len(names)].append(MODELS[i])
        out[(i + 1) % len(names)].append(MODELS[i])
    return out


def scenarios() -> dict:
    m4 = MODELS[:4]
    # (a): 3 instances, one model resident each, four models on two instances each.
    a_models = {"gpu-a": [m4[0], m4[2], m4[3]], "gpu-b": [m4[0], m4[1]], "gpu-c": [m4[1], m4[2], m4[3]]}
    a_inst = [Instance(n, ms) for n, ms in a_models.items()]
    a_map = {m4[0]: "gpu-a", m4[1]: "gpu-b", m4[2]: "gpu-c", m4[3]: "gpu-c"}
    hot = MODELS[:3]
    d_names = ["gpu-a", "gpu-b", "gpu-c"]
    d_models = two_each(d_names, 8)
    out = [
        Scenario("a", "3 instances x 1 resident model, 4 models (Zipf) on 2 instances each, 6 users",
                 a_inst, m4, zipf(4), a_map,
                 note="the issue's fleet: K=1, P=1, load 1.5 s"),
        Scenario("b", "one hot model every user wants at once (85 %, two others 7.5 % each), 3 instances, "
                 "K=1, P=1, 8 users starting together",
                 [Instance(n, hot) for n in ("gpu-a", "gpu-b", "gpu-c")],
                 hot, [0.85, 0.075, 0.075], {hot[0]: "gpu-a", hot[1]: "gpu-b", hot[2]: "gpu-c"},
                 users=8, think_s=0.5, burst=True,
                 note="the static map sends the hot model to gpu-a only",
                 cold_na="the static map pins every model to one instance (K=1 each), so it never reloads"),
        Scenario("c", "a fast instance (priority 100) and a slow fallback (priority 10), K=2, 3 users",
                 [Instance("fast", MODELS[:2], max_loaded=2, load_s=1.0, s_per_token=0.015, priority=100),
                  Instance("slow", MODELS[:2], max_loaded=2, load_s=4.0, s_per_token=0.06,
                           prompt_eval_s=0.2, priority=10)],
                 MODELS[:2], [0.7, 0.3], {MODELS[0]: "fast", MODELS[1]: "slow"},
                 users=3, think_s=1.5,
                 cold_na="the static map pins each model to its own instance (K=2), so it never reloads",
                 note="slow = 4 s loads, 4x slower tokens; the static map gives each model its own box"),
        Scenario("d", "3 instances x 2 resident models, 8 models (Zipf) on 2 instances each, 8 users",
                 [Instance(n, ms, max_loaded=2) for n, ms in zip(d_names, d_models)],
                 MODELS[:8], zipf(8), {MODELS[i]: d_names[i % 3] for i in range(8)}, users=8),
        Scenario("e", "fleet (a); gpu-b dies at 30 % of the run and comes back (empty) at 60 %",
                 a_inst, m4, zipf(4), a_map,
                 events=[(0.3, "kill", "gpu-b"), (0.6, "revive", "gpu-b")],
                 note="streams in flight on gpu-b when it dies are cut: no proxy can resume them"),
    ]
    return {s.key: s for s in out}


# ---------------------------------------------------------------------------------------
# The client: raw HTTP/1.1 on asyncio streams, one connection per request.
# ---------------------------------------------------------------------------------------

@dataclasses.dataclass
class Outcome:
    model: str
    started: float
    status: int = 0
    ttfc: Optional[float] = None      # seconds to the first body byte of a 200
    ok: bool = False                  # a 200 whose stream ended with "done": true
    kind: str = ""                    # ok | http-<status> | refused | reset | timeout | cut
    endpoint: str = ""
    load_ns: int = 0


async def read_body(reader, headers: dict, on_data) -> None:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return
            on_data(await reader.readexactly(size))
            await reader.readexactly(2)
    elif "content-length" in headers:
        n = int(headers["content-length"])
        if n:
            on_data(await reader.readexactly(n))
    else:
        while True:
            data = await reader.read(65536)
            if not data:
                return
            on_data(data)


async def chat(host: str, port: int, prefix: str, model: str, tokens: int, timeout: float) -> Outcome:
    loop = asyncio.get_running_loop()
    out = Outcome(model, loop.time())
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": "Why is the sky blue?"}],
                       "stream": True, "options": {"num_predict": tokens}}).encode()
    head = (f"POST {prefix}/api/chat HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    writer = None
    got_head = False
    buf = bytearray()

    def on_data(data: bytes):
        if out.ttfc is None and data:
            out.ttfc = loop.time() - out.started
        buf.extend(data)
        if len(buf) > 1 << 16:              # keep only the tail: the final line is what we read
            del buf[:-4096]

    async def run():
        nonlocal writer, got_head
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(head + body)
        raw = await reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        out.status = int(lines[0].split(" ")[1])
        headers = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            if k:
                headers[k.strip().lower()] = v.strip()
        out.endpoint = headers.get("x-olla-endpoint", "")
        got_head = True
        if out.status != 200:
            out.kind = f"http-{out.status}"
            return
        await read_body(reader, headers, on_data)
        last = bytes(buf).rstrip(b"\n").rsplit(b"\n", 1)[-1]
        try:
            final = json.loads(last)
        except ValueError:
            final = {}
        if final.get("done") is True:
            out.ok, out.kind = True, "ok"
            out.load_ns = int(final.get("load_duration", 0))
        else:
            out.kind = "cut"

    try:
        await asyncio.wait_for(run(), timeout)
    except asyncio.TimeoutError:
        out.kind = "timeout"
    except ConnectionRefusedError:
        out.kind = "refused"
    except (ConnectionError, OSError, asyncio.IncompleteReadError, ValueError):
        out.kind = "cut" if got_head and out.status == 200 else "reset"
    finally:
        if writer is not None:
            writer.close()
    return out


async def http_get(host: str, port: int, path: str, timeout: float = 2.0) -> tuple:
    async def run():
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = await reader.read(-1)
        writer.close()
        head, _, body = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ")[1])
        if b"transfer-encoding: chunked" in head.lower():   # good enough for small answers
            out, rest = bytearray(), body
            while rest:
                size_line, _, rest = rest.partition(b"\r\n")
                size = int(size_line.split(b";")[0] or b"0", 16)
                if size == 0:
                    break
                out += rest[:size]
                rest = rest[size + 2:]
            body = bytes(out)
        return status, body
    return await asyncio.wait_for(run(), timeout)


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


def percentile(values: list, p: float) -> Optional[float]:
    """Nearest rank."""
    if not values:
        return None
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(-(-p * len(v) // 100)) - 1))
    return v[k]


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


async def run_policy(scn: Scenario, policy: str, seconds: float, seed: int, olla_bin: str) -> dict:
    fleet = [FleetOllama(s.name, s.models, max_loaded=s.max_loaded, num_parallel=s.num_parallel,
                         load_s=s.load_s, s_per_token=s.s_per_token, prompt_eval_s=s.prompt_eval_s,
                         seed=seed) for s in scn.instances]
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
            while loop.time() < t_end:
                model = rng.choices(scn.models, scn.weights)[0]
                tokens = rng.randint(*scn.tokens)
                think = rng.expovariate(1.0 / scn.think_s)
                host, port_, prefix = target(model)
                o = await chat(host, port_, prefix, model, tokens, timeout=90)
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
            "cold_loads": loads, "loads_per_min": loads * 60.0 / wall,
            "evictions": sum(s["evictions"] for s in stats.values()),
            "errors": sum(1 for o in outcomes if not o.ok and o.kind != "cut"),
            "cut": sum(1 for o in outcomes if o.kind == "cut"),
            "error_kinds": sorted({o.kind for o in outcomes if not o.ok}),
            "served": {n: s["completed"] for n, s in stats.items()},
            "rejected_503": sum(s["rejected"] for s in stats.values()),
            "loop_lag_p99_ms": round(1000 * (percentile(lag, 99) or 0), 1),
            # Per model: where the tail comes from (for whoever tunes a balancer).
            "by_model": {m: {"requests": len(v), "p50": percentile(v, 50), "p90": percentile(v, 90),
                             "max": max(v) if v else None,
                             "waited_for_load": sum(1 for o in ok if o.model == m and o.load_ns > 2e8)}
                         for m in scn.models for v in [[o.ttfc for o in ok if o.model == m]]},
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
            shutil.copyfile(log_path, logs / f"{scn.key}-{policy}.log")
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# The orchestrator: per scenario, every policy at once (one worker process each)
# ---------------------------------------------------------------------------------------

def fmt_s(v: Optional[float]) -> str:
    return "-" if v is None else f"{v:.2f}"


def table(scn: Scenario, results: list) -> str:
    rows = ["| policy | requests | completed | TTFC p50 s | p90 s | p99 s | cold loads (/min) | evictions | errors | cut | completed per instance |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        if "unavailable" in r:
            rows.append("| " + " | ".join([r["policy"], f"not available: {r['unavailable']}"] + [""] * 9) + " |")
            continue
        served = ", ".join(f"{n} {c}" for n, c in r["served"].items())
        rows.append(f"| {r['policy']} | {r['requests']} | {r['completed']} | {fmt_s(r['p50'])} | {fmt_s(r['p90'])} | "
                    f"{fmt_s(r['p99'])} | {r['cold_loads']} ({r['loads_per_min']:.0f}) | {r['evictions']} | "
                    f"{r['errors']} | {r['cut']} | {served} |")
    return "\n".join(rows)


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
            line(new["p50"] <= 0.5 * lc["p50"],
                 f"p50 {new['p50']:.2f} s <= 0.5 x least-connections {lc['p50']:.2f} s "
                 f"(ratio {new['p50'] / lc['p50']:.2f})")
        if st and st["p50"] is not None:
            line(new["p50"] <= st["p50"], f"p50 {new['p50']:.2f} s <= static map {st['p50']:.2f} s "
                 f"(ratio {new['p50'] / st['p50']:.2f})")
        if lc and lc["p99"] is not None:
            line(new["p99"] <= lc["p99"], f"p99 {new['p99']:.2f} s <= least-connections {lc['p99']:.2f} s")
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
        out.append("```\n" + "\n".join(sc["verdicts"]) + "\n```\n")
    return "\n".join(out)


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
    seed = int(os.environ.get("BENCH_SEED", "1"))
    olla_bin = str(Path(os.environ.get("OLLA_BIN", REPO / ".build" / "release" / "olla")).resolve())
    if not Path(olla_bin).exists():
        print(f"bench-routing: no Olla binary at {olla_bin} (run `swift build -c release` or set OLLA_BIN)")
        return 2
    all_scn = scenarios()
    keys = [k.strip() for k in os.environ.get("BENCH_SCENARIOS", ",".join(all_scn)).split(",") if k.strip()]
    out_path = Path(os.environ.get("BENCH_OUT", REPO / ".build-bench" / "routing-results.json"))
    print(f"bench-routing: {len(keys)} scenarios x {len(POLICIES)} policies side by side, {seconds:.0f} s each, "
          f"seed {seed}, olla {olla_bin}")
    report = {"seconds": seconds, "seed": seed, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "scenarios": {}}
    all_verdicts = []
    for key in keys:
        scn = all_scn[key]
        print(f"\n## ({key}) {scn.title}" + (f"\n{scn.note}" if scn.note else ""), flush=True)
        procs = [subprocess.Popen([sys.executable, "-u", __file__, "--worker", f"{key}:{p}", str(seconds),
                                   str(seed), olla_bin], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for p in POLICIES]
        results = []
        for p, proc in zip(POLICIES, procs):
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
        print(table(scn, results))
        lags = [r.get("loop_lag_p99_ms") for r in results if "loop_lag_p99_ms" in r]
        if lags:
            print(f"(simulator event-loop lag p99: {max(lags):.0f} ms)")
        v = verdicts(scn, results)
        print("\n".join(v), flush=True)
        all_verdicts += v
        report["scenarios"][key] = {"title": scn.title, "note": scn.note, "results": results, "verdicts": v}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(report, indent=1))
    fails = sum(1 for v in all_verdicts if v.startswith("FAIL"))
    passes = sum(1 for v in all_verdicts if v.startswith("PASS"))
    print(f"\nbench-routing: {passes} PASS, {fails} FAIL (results in {out_path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

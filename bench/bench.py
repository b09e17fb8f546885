#!/usr/bin/env python3
"""Olla benchmark (issue 4): direct vs nginx vs Olla on loopback, in one run.

Started by bench/run.sh (which installs nginx, wrk and compiles the C helpers). Every case
alternates direct, nginx, olla, direct, nginx, olla ... and reports medians over the rounds.
Prints a table with the ratios Olla/nginx and Olla/direct, then PASS/FAIL per target.

Environment: OLLA_BIN (required), BENCH_BIN (dir with streamsrv/streamcli), BENCH_ROUNDS
(default 3), BENCH_OUT (directory for results.json and table.txt; default the temp dir),
BENCH_OLLA_WORKERS (Olla's `server.workers`; default unset: one worker per online core).
"""
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import benchnet

HERE = os.path.dirname(os.path.abspath(__file__))
OLLA = os.environ["OLLA_BIN"]
OLLA_COPY = OLLA               # replaced by a copy in the temp dir (see TMP)
BIN = os.environ.get("BENCH_BIN", HERE)
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
# No "olla" in the temp dir or the binary's name: on a shared machine, someone else's
# `pkill olla` / `pkill -f olla` must not stop the processes under test (seen while writing this).
TMP = tempfile.mkdtemp(prefix="proxybench-")
OUT = os.environ.get("BENCH_OUT", TMP)
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")
PREFIX = "/olla/ollama"
# Olla's `server.workers` (0 or unset: its default, one worker per online core).
OLLA_WORKERS = int(os.environ.get("BENCH_OLLA_WORKERS") or 0)
T_START = time.monotonic()

procs = []          # (name, Popen) started by us; stopped in reverse order
problems = []       # free-text observations printed at the end
results = {}        # case -> target -> metric -> value


def log(msg):
    print(f"[{time.monotonic() - T_START:6.1f}s] {msg}", flush=True)


def wait_port(port, timeout=10.0):
    return benchnet.wait_port(port, timeout, interval=0.05)


def start(name, argv, port, stdout=None):
    out = stdout or open(os.path.join(TMP, f"{name}.log"), "wb")
    p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    procs.append((name, p))
    if not wait_port(port):
        raise SystemExit(f"{name} did not listen on {port}; see {TMP}/{name}.log")
    return p


def stop(name, p, timeout=10.0):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            problems.append(f"{name} (pid {p.pid}) did not exit {timeout:.0f}s after SIGTERM; killed")
            p.kill()
            p.wait(5)
    if (name, p) in procs:
        procs.remove((name, p))


def stop_all():
    for name, p in reversed(list(procs)):
        stop(name, p)


def nginx(name, template, port, **subst):
    conf = open(os.path.join(HERE, template)).read()
    subst = {"DIR": TMP, "PORT": str(port), **{k: str(v) for k, v in subst.items()}}
    for k, v in subst.items():
        conf = conf.replace(f"@{k}@", v)
    path = os.path.join(TMP, f"{name}.conf")
    with open(path, "w") as f:
        f.write(conf)
    # -g 'daemon off;' keeps the master our child, so SIGTERM and RSS sampling are simple.
    return start(name, ["nginx", "-p", TMP, "-c", path, "-g", "daemon off;"], port)


def olla(name, port, backend_port, balancer=None):
    cfg = {
        "server": {"host": "127.0.0.1", "port": port, "request_logging": False,
                   **({"workers": OLLA_WORKERS} if OLLA_WORKERS else {})},
        "proxy": {"read_timeout": "0s", **({"load_balancer": balancer} if balancer else {})},
        "discovery": {"static": {"endpoints": [
            # The bench backends run any number of requests at once; without num_parallel the
            # residency-aware scheduler would hold streams beyond Ollama's default of 1.
            {"name": "b", "url": f"http://127.0.0.1:{backend_port}", "type": "ollama",
             "num_parallel": 1024}]}},
        "logging": {"level": "warn"},
    }
    path = os.path.join(TMP, f"cfg-{port}.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    return start(name, [OLLA_COPY, "--config", path], port)


def wait_ready(name, port, path, model, timeout=20.0):
    """Olla routes by model: wait until its model discovery has seen the backend's models."""
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": False}).encode()
    end = time.monotonic() + timeout
    last = ""
    while time.monotonic() < end:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
            last = s.recv(200).decode(errors="replace").split("\r\n")[0]
            s.close()
            if " 200 " in last:
                return True
        except OSError as e:
            last = repr(e)
        time.sleep(0.2)
    problems.append(f"{name}: not ready after {timeout:.0f}s: POST {path} (model {model}) answered {last!r}")
    return False


def guarded(fn, fallback, *args):
    """A case that raises must not lose the other cases' results."""
    try:
        return fn(*args)
    except Exception as e:     # noqa: BLE001 -- reported, then the run goes on
        import traceback
        problems.append(f"{fn.__name__} raised {e!r}: {traceback.format_exc(limit=3).strip()[-400:]}")
        return fallback


def alive(name, p):
    if p.poll() is not None:
        problems.append(f"{name} exited with status {p.returncode}, noticed at "
                        f"{time.monotonic() - T_START:.0f}s (log: {TMP}/{name}.log)")
        return False
    return True


# ---------------------------------------------------------------- /proc sampling
def pids_of(p):
    """The process and its children (nginx: master + workers)."""
    out = [p.pid]
    try:
        for tid in os.listdir(f"/proc/{p.pid}/task"):
            with open(f"/proc/{p.pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def stat_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state): utime = field 14, stime = 15, rss = 24
    return int(fields[11]) + int(fields[12]), int(fields[21]) * PAGE


def sample(p, workers_only):
    """(rss_bytes, cpu_ticks) of the process, or of nginx's workers."""
    pids = pids_of(p)
    if workers_only:
        pids = pids[1:]
    rss = cpu = 0
    for pid in pids:
        try:
            c, r = stat_of(pid)
        except OSError:
            continue
        rss += r
        cpu += c
    return rss, cpu


# ---------------------------------------------------------------- helpers
def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def run(argv, timeout, **kw):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired as e:
        problems.append(f"timed out after {timeout}s: {' '.join(argv)}")
        return None


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def wrk_ms(s):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", s)
    return float(m.group(1)) * UNITS[m.group(2)] if m else None


def wrk(url, conns, seconds, tag):
    threads = min(2, conns)
    r = run(["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--latency", "-s",
             os.path.join(HERE, "post.lua"), url], timeout=seconds + 30)
    if r is None:
        return {}
    out = r.stdout
    res = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["rps"] = float(m.group(1)) if m else None
    for p in ("50", "99"):
        m = re.search(rf"^\s+{p}(?:\.000)?%\s+(\S+)", out, re.M)
        res[f"p{p}"] = wrk_ms(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        problems.append(f"{tag}: wrk saw {m.group(1)} non-2xx responses ({url})")
    m = re.search(r"Socket errors: (.*)", out)
    if m:
        problems.append(f"{tag}: wrk socket errors: {m.group(1)} ({url})")
    if res["rps"] is None:
        problems.append(f"{tag}: wrk produced no result: {out.strip()[-300:]} {r.stderr.strip()[-300:]}")
    return res


def streamcli(port, path, conns, timeout, tag):
    r = run([os.path.join(BIN, "streamcli"), "127.0.0.1", str(port), path, str(conns), str(timeout)],
            timeout=timeout + 15)
    if r is None:
        return {}
    try:
        res = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        problems.append(f"{tag}: streamcli output unreadable: {r.stdout[-200:]} {r.stderr[-200:]}")
        return {}
    bad = {k: res[k] for k in ("unfinished", "err_conn", "err_status", "short") if res.get(k)}
    if bad or res.get("ok") != conns:
        problems.append(f"{tag}: {res.get('ok')}/{conns} streams completed; {bad}; {r.stderr.strip()[:200]}")
    return res


# ---------------------------------------------------------------- cases
def case_small(targets):
    log("case 1: small non-streamed POST /api/chat (wrk, 32 connections and 1 connection)")
    c32 = {t: [] for t in targets}
    c1 = {t: [] for t in targets}
    for t, (port, prefix, _) in targets.items():   # warm-up: connections, caches
        wrk(f"http://127.0.0.1:{port}{prefix}/api/chat", 32, 1, f"warmup {t}")
    for rnd in range(ROUNDS):
        for t, (port, prefix, p) in targets.items():
            c32[t].append(wrk(f"http://127.0.0.1:{port}{prefix}/api/chat", 32, 5, f"small c32 {t}"))
            if p is not None:
                alive(t, p)
        for t, (port, prefix, p) in targets.items():
            c1[t].append(wrk(f"http://127.0.0.1:{port}{prefix}/api/chat", 1, 3, f"small c1 {t}"))
    res = {}
    for t in targets:
        res[t] = {
            "rps": med([r.get("rps") for r in c32[t]]),
            "p50": med([r.get("p50") for r in c32[t]]),
            "p99": med([r.get("p99") for r in c32[t]]),
            "c1_p50": med([r.get("p50") for r in c1[t]]),
            "rps_rounds": [r.get("rps") for r in c32[t]],
        }
    results["small"] = res
    return res


STREAM_CASES = [
    ("50x20@20ms ndjson", 50, 20, 20, ""),
    ("50x20@20ms sse", 50, 20, 20, "&fmt=sse"),
    ("1000x20@100ms ndjson", 1000, 20, 100, ""),
    ("1000x20@100ms sse", 1000, 20, 100, "&fmt=sse"),
]


def case_streams(targets):
    log("case 2: streaming NDJSON / SSE (50 x 20 chunks @ 20 ms, 1,000 x 20 chunks @ 100 ms)")
    out = {}
    for name, conns, n, gap, extra in STREAM_CASES:
        runs = {t: [] for t in targets}
        for rnd in range(ROUNDS):
            for t, (port, prefix, p) in targets.items():
                path = f"{prefix}/api/chat?n={n}&gap={gap}{extra}"
                runs[t].append(streamcli(port, path, conns, 30, f"stream {name} {t}"))
                if p is not None:
                    alive(t, p)
        out[name] = {t: {k: med([r.get(k) for r in runs[t]]) for k in
                         ("ttfc_p50", "ttfc_p99", "gap_p99", "bgap_p99", "excess_p99", "lat_p99",
                          "coalesced_share", "ok")} for t in targets}
        log("  " + name + ": " + ", ".join(
            f"{t} ttfc50={v['ttfc_p50']} gap99={v['gap_p99']} coal={v['coalesced_share']}"
            for t, v in out[name].items()))
    results["streams"] = out
    return out


def idle_streams(name, p, port, prefix, conns, workers_only):
    """Open `conns` streams that get one chunk then stay silent; sample RSS and CPU."""
    path = f"{prefix}/api/chat?n=1&gap=0&hold=120000"
    rss0, cpu0 = sample(p, workers_only)
    cli = subprocess.Popen([os.path.join(BIN, "streamcli"), "127.0.0.1", str(port), path, str(conns),
                            "40", "idle", "30"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    line = cli.stdout.readline()      # "READY ok/total", bounded by streamcli's own 40 s timeout
    t_ready = time.monotonic() - t0
    rss1, cpu1 = sample(p, workers_only)
    time.sleep(5.0)                   # idle window: CPU here is the cost of holding the streams
    rss2, cpu2 = sample(p, workers_only)
    try:
        tail, err = cli.communicate(input="", timeout=30)   # EOF on stdin: close the streams
    except subprocess.TimeoutExpired:
        cli.kill()
        tail, err = cli.communicate()
    m = re.match(r"READY (\d+)/(\d+)", line or "")
    ready = int(m.group(1)) if m else 0
    if ready != conns:
        problems.append(f"memory {name} {conns} idle streams: only {ready}/{conns} got their first chunk "
                        f"within {t_ready:.1f}s; {err.strip()[:200]}")
    time.sleep(2.0)
    rss3 = sample(p, workers_only)[0] if p.poll() is None else None
    return {"streams": ready, "rss_mb": rss2 / 2**20, "rss_before_mb": rss0 / 2**20,
            "rss_after_close_mb": None if rss3 is None else rss3 / 2**20, "setup_s": t_ready,
            "setup_cpu_s": (cpu1 - cpu0) / TICK, "idle_cpu_pct": 100.0 * (cpu2 - cpu1) / TICK / 5.0}


def case_memory(stream_port, nofile):
    log("case 3: memory and CPU with idle streams (fresh nginx and Olla)")
    res = {}
    olla_port, nginx_port = benchnet.free_port(), benchnet.free_port()
    # 10,000 streams of one model on one instance: the residency-aware scheduler starts at
    # most num_parallel (<= 1024) at once and holds the rest, so this case, which measures
    # what holding open streams costs, runs least-connections (no holding, like nginx).
    ol = olla("olla-mem", olla_port, stream_port, balancer="least-connections")
    ng = nginx("nginx-mem", "nginx-proxy.conf.in", nginx_port, BACKEND_PORT=stream_port,
               NOFILE=nofile, WORKER_CONNECTIONS=nofile - 100)
    time.sleep(2.0)
    res["olla_idle_rss_mb"] = sample(ol, False)[0] / 2**20
    res["nginx_idle_rss_mb"] = sample(ng, True)[0] / 2**20
    res["nginx_master_rss_mb"] = sample(ng, False)[0] / 2**20 - res["nginx_idle_rss_mb"]
    wait_ready("olla-mem", olla_port, f"{PREFIX}/api/chat?n=1&gap=0", "m")
    # One process holds 2 fds per proxied stream: the "10,000" case is capped by the fd limit.
    big = min(10000, (nofile - 300) // 2)
    res["big_n"] = big
    if big < 10000:
        problems.append(f"RLIMIT_NOFILE hard limit is {nofile}: the 10,000-stream case ran with {big} "
                        f"streams (Olla needs 2 fds per stream); its RSS is also extrapolated to 10,000")
    for n in (1000, big):
        for t, p, wo, port in (("nginx", ng, True, nginx_port), ("olla", ol, False, olla_port)):
            if p.poll() is not None:
                res[f"{t}_{n}"] = None
                continue
            r = idle_streams(t, p, port, PREFIX, n, wo)
            res[f"{t}_{n}"] = r
            log(f"  {t} {n} idle streams: {r}")
            alive(f"{t}-mem", p)
    o = res.get(f"olla_{big}")
    if o and big < 10000:
        per = (o["rss_mb"] - o["rss_before_mb"]) / max(1, o["streams"])
        res["olla_10k_extrapolated_mb"] = o["rss_before_mb"] + per * 10000
    elif o:
        res["olla_10k_extrapolated_mb"] = o["rss_mb"]
    stop("nginx-mem", ng)
    stop("olla-mem", ol)
    results["memory"] = res
    return res


def case_large(targets, stream_port):
    log("case 4: large bodies (50 MB blob upload, 100 MB response)")
    blob = os.path.join(TMP, "blob50")
    data = os.urandom(1 << 20) * 50
    with open(blob, "wb") as f:
        f.write(data)
    digest = hashlib.sha256(data).hexdigest()
    del data
    up = {t: [] for t in targets}
    down = {t: [] for t in targets}
    size_down = 100 * 2**20
    for rnd in range(ROUNDS):
        for t, (port, prefix, p) in targets.items():
            r = run(["curl", "-s", "-o", "/dev/null", "-H", "Expect:", "-H", "Content-Type: application/octet-stream",
                     "--data-binary", f"@{blob}", "-w", "%{http_code} %{time_total}",
                     f"http://127.0.0.1:{port}{prefix}/api/blobs/sha256:{digest}"], timeout=60)
            if r and r.stdout.startswith("201"):
                up[t].append(50 * 2**20 / float(r.stdout.split()[1]) / 1e6)
            else:
                problems.append(f"blob upload {t}: {r.stdout if r else 'timeout'}")
            r = run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total} %{size_download}",
                     f"http://127.0.0.1:{port}{prefix}/api/generate?big={size_down}"], timeout=60)
            if r and r.stdout.startswith("200") and int(r.stdout.split()[2]) == size_down:
                down[t].append(size_down / float(r.stdout.split()[1]) / 1e6)
            else:
                problems.append(f"100 MB download {t}: {r.stdout if r else 'timeout'}")
            if p is not None:
                alive(t, p)
    os.unlink(blob)
    res = {t: {"upload_mbs": med(up[t]), "download_mbs": med(down[t])} for t in targets}
    results["large"] = res
    return res


class CloseLog:
    """Reads streamsrv's 'close <id> <ns> <why>' lines as they are appended."""

    def __init__(self, path):
        self.f = open(path)
        self.seen = {}

    def wait(self, ident, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            line = self.f.readline()
            if not line:
                time.sleep(0.002)
                continue
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "close":
                self.seen[parts[1]] = int(parts[2])
            if ident in self.seen:
                return self.seen[ident]
        return None


def case_disconnect(targets, closelog):
    log("case 5: client disconnect -> backend connection closed (20 per target)")
    res = {t: [] for t in targets}
    for i in range(20):
        for t, (port, prefix, p) in targets.items():
            ident = f"d-{t}-{i}-{os.getpid()}"
            body = b'{"model":"m","messages":[{"role":"user","content":"hi"}]}'
            req = (f"POST {prefix}/api/chat?n=100000&gap=50&id={ident} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
            got = b""
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                s.sendall(req)
                end = time.monotonic() + 5
                while b'"t":' not in got and time.monotonic() < end:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    got += chunk
            except OSError as e:
                problems.append(f"disconnect {t} #{i}: {e!r} after {got[:120]!r}")
                s.close()
                continue
            if b'"t":' not in got:
                problems.append(f"disconnect {t} #{i}: no first chunk ({got[:120]!r})")
                s.close()
                continue
            time.sleep(0.12)          # mid-stream, between two chunks or not: it varies
            t0 = time.monotonic_ns()
            s.close()                 # an ordinary FIN, as a client that goes away
            ns = closelog.wait(ident, 3.0)
            res[t].append((ns - t0) / 1e6 if ns else None)
            if ns is None:
                problems.append(f"disconnect {t} #{i}: backend connection still open 3 s after the client left")
    out = {}
    for t, xs in res.items():
        ok = [x for x in xs if x is not None]
        out[t] = {"p50": med(ok), "max": max(ok) if ok else None, "missing": len(xs) - len(ok), "n": len(xs)}
    results["disconnect"] = out
    return out


# ---------------------------------------------------------------- report
def signed(v, nd=2):
    """A difference with its sign ("+0.35", "-0.14"), or "-" when unknown."""
    return "-" if v is None else f"{v:+.{nd}f}"


def fmt(v, nd=1):
    if v is None:
        return "-"
    if isinstance(v, float):
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        return f"{v:.{nd}f}"
    return str(v)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}"


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    nofile = hard
    facts = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "nproc": os.cpu_count(),
        "kernel": os.uname().release,
        "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
        "nginx": subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip(),
        "olla": subprocess.run([OLLA, "--version"], capture_output=True, text=True).stdout.strip(),
        "olla_workers": OLLA_WORKERS or f"default ({os.cpu_count()} online cores)",
        "nofile": nofile,
    }
    log(f"temp dir {TMP}; {facts}")
    global OLLA_COPY
    OLLA_COPY = os.path.join(TMP, "proxy-under-test")
    shutil.copy2(OLLA, OLLA_COPY)

    fixed_port, stream_port = benchnet.free_port(), benchnet.free_port()
    nginx("nginx-fixed", "nginx-fixed.conf.in", fixed_port)
    closelog_path = os.path.join(TMP, "streamsrv.log")
    start("streamsrv", [os.path.join(BIN, "streamsrv"), str(stream_port)], stream_port,
          stdout=open(closelog_path, "wb"))
    closelog = CloseLog(closelog_path)
    nf, ns, of, os_ = benchnet.free_port(), benchnet.free_port(), benchnet.free_port(), benchnet.free_port()
    ngf = nginx("nginx-small", "nginx-proxy.conf.in", nf, BACKEND_PORT=fixed_port, NOFILE=nofile,
                WORKER_CONNECTIONS=nofile - 100)
    ngs = nginx("nginx-stream", "nginx-proxy.conf.in", ns, BACKEND_PORT=stream_port, NOFILE=nofile,
                WORKER_CONNECTIONS=nofile - 100)
    olf = olla("olla-small", of, fixed_port)
    ols = olla("olla-stream", os_, stream_port)

    small_t = {"direct": (fixed_port, "", None), "nginx": (nf, PREFIX, ngf), "olla": (of, PREFIX, olf)}
    stream_t = {"direct": (stream_port, "", None), "nginx": (ns, PREFIX, ngs), "olla": (os_, PREFIX, ols)}

    cases = os.environ.get("BENCH_CASES", "small,streams,large,disconnect,memory").split(",")
    T = ("direct", "nginx", "olla")
    wait_ready("olla-small", of, f"{PREFIX}/api/chat", "llama3.2")
    wait_ready("olla-stream", os_, f"{PREFIX}/api/chat?n=1&gap=0", "m")
    no_small = {t: dict.fromkeys(("rps", "p50", "p99", "c1_p50")) for t in T}
    no_streams = {n: {t: dict.fromkeys(("ttfc_p50", "ttfc_p99", "gap_p99", "bgap_p99", "excess_p99",
                                        "coalesced_share")) for t in T} for n, *_ in STREAM_CASES}
    no_large = {t: dict.fromkeys(("upload_mbs", "download_mbs")) for t in T}
    no_disc = {t: {"p50": None, "max": None, "missing": 0, "n": 0} for t in T}
    no_mem = {"olla_idle_rss_mb": None, "nginx_idle_rss_mb": None, "big_n": 10000}
    small = guarded(case_small, no_small, small_t) if "small" in cases else no_small
    streams = guarded(case_streams, no_streams, stream_t) if "streams" in cases else no_streams
    large = guarded(case_large, no_large, stream_t, stream_port) if "large" in cases else no_large
    disc = guarded(case_disconnect, no_disc, stream_t, closelog) if "disconnect" in cases else no_disc
    mem = guarded(case_memory, no_mem, stream_port, nofile) if "memory" in cases else no_mem
    results["olla_stream_rss_after_cases_mb"] = sample(ols, False)[0] / 2**20 if ols.poll() is None else None
    for name, p in (("olla-small", olf), ("olla-stream", ols)):
        alive(name, p)

    # ---- table
    rows = []
    rows.append(("small POST, 32 conns", "req/s", small["direct"]["rps"], small["nginx"]["rps"], small["olla"]["rps"]))
    rows.append(("small POST, 32 conns", "p50 ms", small["direct"]["p50"], small["nginx"]["p50"], small["olla"]["p50"]))
    rows.append(("small POST, 32 conns", "p99 ms", small["direct"]["p99"], small["nginx"]["p99"], small["olla"]["p99"]))
    rows.append(("small POST, 1 conn", "p50 ms", small["direct"]["c1_p50"], small["nginx"]["c1_p50"], small["olla"]["c1_p50"]))
    for name, *_ in STREAM_CASES:
        s = streams[name]
        for k, label in (("ttfc_p50", "TTFC p50 ms"), ("ttfc_p99", "TTFC p99 ms"), ("gap_p99", "gap p99 ms"),
                         ("bgap_p99", "backend gap p99 ms"), ("excess_p99", "gap-excess p99 ms"),
                         ("coalesced_share", "coalesced %")):
            vals = [s[t][k] for t in ("direct", "nginx", "olla")]
            if k == "coalesced_share":
                vals = [None if v is None else 100 * v for v in vals]
            rows.append((f"stream {name}", label, *vals))
    rows.append(("50 MB blob upload", "MB/s", large["direct"]["upload_mbs"], large["nginx"]["upload_mbs"], large["olla"]["upload_mbs"]))
    rows.append(("100 MB response", "MB/s", large["direct"]["download_mbs"], large["nginx"]["download_mbs"], large["olla"]["download_mbs"]))
    rows.append(("disconnect -> backend closed", "p50 ms", disc["direct"]["p50"], disc["nginx"]["p50"], disc["olla"]["p50"]))
    rows.append(("disconnect -> backend closed", "max ms", disc["direct"]["max"], disc["nginx"]["max"], disc["olla"]["max"]))
    big = mem["big_n"]
    rows.append(("memory, idle", "RSS MB", None, mem["nginx_idle_rss_mb"], mem["olla_idle_rss_mb"]))
    for n in (1000, big):
        g, o = mem.get(f"nginx_{n}"), mem.get(f"olla_{n}")
        rows.append((f"memory, {n} idle streams", "RSS MB", None, g and g["rss_mb"], o and o["rss_mb"]))
        rows.append((f"memory, {n} idle streams", "idle CPU %", None, g and g["idle_cpu_pct"], o and o["idle_cpu_pct"]))
        rows.append((f"memory, {n} idle streams", "setup CPU s", None, g and g["setup_cpu_s"], o and o["setup_cpu_s"]))
        rows.append((f"memory, {n} idle streams", "RSS MB after close", None, g and g["rss_after_close_mb"], o and o["rss_after_close_mb"]))

    lines = []
    hdr = f"| {'case':<32} | {'metric':<18} | {'direct':>9} | {'nginx':>9} | {'olla':>9} | {'olla/nginx':>10} | {'olla/direct':>11} |"
    lines.append(hdr)
    lines.append("|" + "|".join("-" * (len(c)) for c in hdr.split("|")[1:-1]) + "|")
    for case, metric, d, g, o in rows:
        nd = 3 if "coalesced" in metric else (2 if "ms" in metric or "CPU" in metric else 1)
        lines.append(f"| {case:<32} | {metric:<18} | {fmt(d, nd):>9} | {fmt(g, nd):>9} | {fmt(o, nd):>9} | "
                     f"{ratio(o, g):>10} | {ratio(o, d):>11} |")

    # ---- targets
    checks = []

    def check(name, ok, detail):
        case = {"small": "small", "stream": "streams", "memory": "memory", "disconnect": "disconnect"}[name.split(":")[0].split()[0]]
        checks.append(("PASS" if ok else "FAIL" if case in cases else "SKIP", name, detail))

    def le(a, b):
        return a is not None and b is not None and a <= b

    check("small: Olla req/s >= nginx", le(small["nginx"]["rps"], small["olla"]["rps"]),
          f"{fmt(small['olla']['rps'])} vs {fmt(small['nginx']['rps'])}")
    add_o = None if small["olla"]["c1_p50"] is None or small["direct"]["c1_p50"] is None else small["olla"]["c1_p50"] - small["direct"]["c1_p50"]
    add_n = None if small["nginx"]["c1_p50"] is None or small["direct"]["c1_p50"] is None else small["nginx"]["c1_p50"] - small["direct"]["c1_p50"]
    check("small: added p50 latency (1 conn) <= nginx", le(add_o, add_n),
          f"olla +{fmt(add_o, 3)} ms, nginx +{fmt(add_n, 3)} ms over direct")
    for name, *_ in STREAM_CASES:
        s = streams[name]
        o, g, c = s["olla"], s["nginx"], s.get("direct", {})

        def over_backend(r):
            return None if r.get("gap_p99") is None or r.get("bgap_p99") is None else r["gap_p99"] - r["bgap_p99"]
        d, dn, dd = over_backend(o), over_backend(g), over_backend(c)
        # direct: the client reading the backend itself. What it adds is the harness's own
        # floor on this machine (one client thread reading every stream, the backend's
        # writes in bursts), which no proxy can go under.
        check(f"stream {name}: gap p99 within 1 ms of backend's", d is not None and d <= 1.0,
              f"{fmt(o['gap_p99'], 2)} vs backend {fmt(o['bgap_p99'], 2)} ms ({signed(d)}; nginx {signed(dn)}; "
              f"direct {signed(dd)})")
        check(f"stream {name}: coalesced <= nginx", le(o["coalesced_share"], g["coalesced_share"]),
              f"{fmt(None if o['coalesced_share'] is None else 100 * o['coalesced_share'], 2)}% vs "
              f"{fmt(None if g['coalesced_share'] is None else 100 * g['coalesced_share'], 2)}%")
    check("memory: Olla idle RSS <= 10 MB", le(mem["olla_idle_rss_mb"], 10.0), f"{fmt(mem['olla_idle_rss_mb'])} MB")
    o10 = mem.get("olla_10k_extrapolated_mb")
    got = mem.get(f"olla_{big}")
    check("memory: Olla with 10,000 idle streams <= 150 MB",
          le(o10, 150.0) and got is not None and got["streams"] == big,
          f"{fmt(o10)} MB" + (f" (measured {fmt(got and got['rss_mb'])} MB with {got and got['streams']} of "
                               f"{big} streams, extrapolated)" if big < 10000 else ""))
    check("disconnect: Olla -> backend closed <= 250 ms (max of 20)",
          le(disc["olla"]["max"], 250.0) and disc["olla"]["missing"] == 0,
          f"p50 {fmt(disc['olla']['p50'], 1)} ms, max {fmt(disc['olla']['max'], 1)} ms, "
          f"{disc['olla']['missing']} never closed")

    text = []
    text.append(f"Olla benchmark — {facts['date']} — nproc {facts['nproc']}, kernel {facts['kernel']}, "
                f"{facts['cpu']}; {facts['nginx']}; olla {facts['olla']}; rounds {ROUNDS} (medians)")
    text += lines
    text.append("")
    text += [f"{st}  {n}: {d}" for st, n, d in checks]
    if problems:
        text.append("")
        text.append("Problems seen:")
        text += [f"- {p}" for p in problems]
    text.append("")
    text.append(f"Olla (stream instance) RSS after cases 1-5: {fmt(results['olla_stream_rss_after_cases_mb'])} MB; "
                f"total time {time.monotonic() - T_START:.0f} s")
    table = "\n".join(text)
    print("\n" + table, flush=True)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "table.txt"), "w") as f:
        f.write(table + "\n")
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump({"facts": facts, "results": results, "checks": checks, "problems": problems}, f, indent=1)
    print(f"\nresults: {OUT}/table.txt, {OUT}/results.json; logs in {TMP}")


if __name__ == "__main__":
    def on_signal(signum, frame):
        stop_all()
        sys.exit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        main()
    finally:
        stop_all()

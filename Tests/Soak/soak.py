#!/usr/bin/env python3
"""Olla soak test (`make soak`, docs/operations.md "Soak test"): long runs on loopback.

Three phases against one Olla in front of two bench backends (bench/streamsrv.c):

1. streams in rounds: each round opens SOAK_STREAMS concurrent streams (bench/streamcli.c),
   lets them finish and close, then samples the daemon's RSS and open fds. A leak shows as
   RSS growing round after round; allocator retention as a plateau.
2. idle connections: SOAK_IDLE client connections that never send a byte. Olla must drop
   them after `server.read_timeout` (SOAK_READ_TIMEOUT s), its fd count must come back, and
   a probe client must be served throughout.
3. backend restarts under load: SOAK_LOAD clients stream requests in a loop while each
   backend in turn is killed (SIGKILL) and restarted. No request may fail while the other
   backend is up, and a stream cut by a kill must end with an error line.

Prints one line per round and a PASS/FAIL line per check; exits 1 when any check fails.
Bounded: each phase has its own deadline, and the whole run is under SOAK_TIMEOUT.

Environment: OLLA_BIN (required), SOAK_TOOLS (dir with streamsrv/streamcli, required),
SOAK_ROUNDS (6), SOAK_STREAMS (2000), SOAK_IDLE (3000), SOAK_READ_TIMEOUT (5),
SOAK_LOAD (32), SOAK_RESTARTS (4), SOAK_PHASES (which phases to run, default "123").
"""
import json
import os
import resource
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

OLLA = os.environ["OLLA_BIN"]
TOOLS = os.environ["SOAK_TOOLS"]
ROUNDS = int(os.environ.get("SOAK_ROUNDS", "6"))
STREAMS = int(os.environ.get("SOAK_STREAMS", "2000"))
IDLE = int(os.environ.get("SOAK_IDLE", "3000"))
READ_TIMEOUT = int(os.environ.get("SOAK_READ_TIMEOUT", "5"))
LOAD = int(os.environ.get("SOAK_LOAD", "32"))
RESTARTS = int(os.environ.get("SOAK_RESTARTS", "4"))
PHASES = os.environ.get("SOAK_PHASES", "123")
TRIM_SETTLE = 11.0
PAGE = os.sysconf("SC_PAGE_SIZE")
# No "olla" in the temp dir's name: someone else's `pkill -f olla` must not hit our processes.
TMP = tempfile.mkdtemp(prefix="proxysoak-")
T0 = time.monotonic()
CHAT = "/olla/ollama/api/chat"
BODY = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}).encode()

checks = []      # (name, ok, detail)
children = []    # Popen we started; stopped at exit


def log(message):
    print(f"[{time.monotonic() - T0:6.1f}s] {message}", flush=True)


def check(name, ok, detail):
    checks.append((name, ok, detail))
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def start(name, argv, port):
    p = subprocess.Popen(argv, stdout=open(os.path.join(TMP, f"{name}.log"), "ab"),
                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    children.append(p)
    if not wait_port(port):
        raise SystemExit(f"{name} did not listen on {port}; see {TMP}/{name}.log")
    return p


def stop(p, sig=signal.SIGTERM):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)
    if p in children:
        children.remove(p)


def rss_mb(pid):
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE / 1e6


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def request(port, path, body=None, timeout=30.0):
    """One HTTP/1.1 request with Connection: close; returns (status, decoded body bytes,
    whether the chunked body ended with its last chunk)."""
    method = "POST" if body is not None else "GET"
    head = f"{method} {path} HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head.encode() + b"\r\n" + (body or b""))
        data = bytearray()
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, rest = bytes(data).partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    if b"transfer-encoding: chunked" not in head.lower():
        return status, rest, True
    out, complete = bytearray(), False
    while rest:
        size_line, sep, rest = rest.partition(b"\r\n")
        if not sep:
            break
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            complete = True
            break
        out += rest[:size]
        rest = rest[size + 2:]
    return status, bytes(out), complete


def olla_config(port, backends):
    cfg = {
        "server": {"host": "127.0.0.1", "port": port, "request_logging": False,
                   "read_timeout": f"{READ_TIMEOUT}s"},
        # Least-connections: the residency-aware default holds requests beyond the slots it
        # has learned (and answers 503 past its queue), which is not what this test measures.
        "proxy": {"read_timeout": "0s", "load_balancer": "least-connections"},
        "discovery": {"static": {"endpoints": [
            {"name": f"b{i}", "url": f"http://127.0.0.1:{p}", "type": "ollama",
             "check_interval": "1s", "check_timeout": "500ms"}
            for i, p in enumerate(backends)]}},
        "logging": {"level": os.environ.get("SOAK_LOG_LEVEL", "info")},
    }
    path = os.path.join(TMP, "config.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    return path


def wait_ready(port, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if request(port, CHAT + "?n=1&gap=0", BODY, timeout=5)[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


# ------------------------------------------------------------------ phase 1
def phase_streams(olla, port):
    log(f"phase 1: {ROUNDS} rounds of {STREAMS} concurrent streams (3 chunks, 50 ms apart, held 1 s)")
    path = CHAT + "?n=3&gap=50&hold=1000"
    after, total_ok, peaks = [], 0, []
    for round_number in range(1, ROUNDS + 1):
        peak = [0.0]
        done = threading.Event()

        def sampler():
            while not done.wait(0.1):
                peak[0] = max(peak[0], rss_mb(olla.pid))
        t = threading.Thread(target=sampler, daemon=True)
        t.start()
        r = subprocess.run([os.path.join(TOOLS, "streamcli"), "127.0.0.1", str(port), path, str(STREAMS), "60"],
                           capture_output=True, text=True, timeout=90)
        done.set()
        t.join()
        try:
            stats = json.loads(r.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            stats = {}
        total_ok += stats.get("ok", 0)
        if stats.get("ok") != STREAMS:
            bad = {k: stats[k] for k in ("unfinished", "err_conn", "err_status", "short") if stats.get(k)}
            log(f"round {round_number}: streamcli reported {bad or r.stdout[-300:]} {r.stderr.strip()[-300:]}")
        time.sleep(1.0)
        closed = rss_mb(olla.pid)
        # Olla gives freed heap back at most every 10 s after a burst (MemoryTrimPolicy).
        time.sleep(TRIM_SETTLE)
        after.append(rss_mb(olla.pid))
        peaks.append(peak[0])
        log(f"round {round_number}: {stats.get('ok', 0)}/{STREAMS} streams ok, RSS peak {peak[0]:.1f} MB, "
            f"1 s after close {closed:.1f} MB, {TRIM_SETTLE:.0f} s later {after[-1]:.1f} MB, fds {fd_count(olla.pid)}")
    check("streams: every stream completed", total_ok == ROUNDS * STREAMS, f"{total_ok}/{ROUNDS * STREAMS}")
    # The first rounds grow the allocator's pools; after that, a leak shows as growth per round.
    # Each side is the lower of two rounds: a trim may fall just after a sample, a leak
    # raises both.
    early, late = min(after[1:3] or after), min(after[-2:])
    per_round = (late - early) / max(1, len(after) - 3)
    check("streams: RSS after close plateaus (growth per round after round 2 < 1 MB)", per_round < 1.0,
          f"{' '.join(f'{x:.1f}' for x in after)} MB; {per_round:+.2f} MB/round")
    return after


# ------------------------------------------------------------------ phase 2
def phase_idle(olla, port):
    log(f"phase 2: {IDLE} idle connections that never send (server.read_timeout {READ_TIMEOUT}s)")
    baseline = fd_count(olla.pid)
    sel = selectors.DefaultSelector()
    sockets, opened_at = [], time.monotonic()
    for i in range(IDLE):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        sockets.append(s)
        sel.register(s, selectors.EVENT_READ)
        if i % 200 == 199:
            time.sleep(0.02)   # a burst of thousands of SYNs would measure the listen backlog
    probes = {"ok": 0, "failed": 0, "slowest": 0.0}
    stop_probes = threading.Event()

    def prober():
        while not stop_probes.wait(0.2):
            started = time.monotonic()
            try:
                ok = request(port, "/olla/ollama/api/version", timeout=5)[0] == 200
            except OSError:
                ok = False
            probes["ok" if ok else "failed"] += 1
            probes["slowest"] = max(probes["slowest"], time.monotonic() - started)
    prober_thread = threading.Thread(target=prober, daemon=True)
    prober_thread.start()
    time.sleep(1.0)
    peak_fds = fd_count(olla.pid)
    closed, deadline = {}, opened_at + READ_TIMEOUT + 10
    while len(closed) < IDLE and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            s = key.fileobj
            try:
                data = s.recv(1)
            except OSError:
                data = b""
            if not data:
                closed[s] = time.monotonic() - opened_at
                sel.unregister(s)
    time.sleep(1.0)
    after_fds = fd_count(olla.pid)
    stop_probes.set()
    prober_thread.join()
    for s in sockets:
        s.close()
    latest = max(closed.values()) if closed else 0.0
    log(f"fds: {baseline} before, {peak_fds} with {IDLE} idle connections, {after_fds} after; "
        f"last idle connection dropped {latest:.1f}s after opening began")
    check("idle: every idle connection was dropped within read_timeout + 10 s", len(closed) == IDLE,
          f"{len(closed)}/{IDLE} dropped, last after {latest:.1f}s (read_timeout {READ_TIMEOUT}s)")
    check("idle: Olla held the idle connections", peak_fds >= baseline + IDLE * 9 // 10,
          f"{peak_fds} fds with them open, {baseline} before")
    check("idle: fds came back", after_fds <= baseline + 5, f"{after_fds} after, {baseline} before")
    check("idle: other clients served throughout", probes["failed"] == 0 and probes["ok"] > 0,
          f"{probes['ok']} probes ok, {probes['failed']} failed, slowest {probes['slowest'] * 1000:.0f} ms")


# ------------------------------------------------------------------ phase 3
def wait_routable(port, count, deadline):
    """Seconds until /internal/status counts `count` routable endpoints; None past `deadline`."""
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        try:
            status, body, _ = request(port, "/internal/status", timeout=5)
            if status == 200 and json.loads(body)["endpoints"]["routable"] >= count:
                return time.monotonic() - started
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.1)
    return None


def phase_restarts(port, backends, servers):
    log(f"phase 3: {LOAD} clients streaming while each backend is killed and restarted, {RESTARTS} times")
    counts = {"ok": 0, "cut_with_error": 0, "cut_silently": 0, "failed": 0}
    failures = []
    lock = threading.Lock()
    running = threading.Event()
    running.set()

    def client():
        while running.is_set():
            try:
                status, body, complete = request(port, CHAT + "?n=8&gap=40", BODY, timeout=30)
                lines = [line for line in body.split(b"\n") if line.strip()]
                last = lines[-1] if lines else b""
                if status == 200 and b'"done":true' in last:
                    kind = "ok"
                elif status == 200 and b'"error"' in last:
                    kind = "cut_with_error"
                elif status == 200:
                    kind = "cut_silently"
                else:
                    kind = "failed"
                detail = f"{status} {last[-120:]!r} complete={complete}"
            except OSError as e:
                kind, detail = "failed", repr(e)
            with lock:
                counts[kind] += 1
                if kind in ("cut_silently", "failed") and len(failures) < 5:
                    failures.append(detail)
    recoveries = []
    threads = [threading.Thread(target=client, daemon=True) for _ in range(LOAD)]
    for t in threads:
        t.start()
    time.sleep(2.0)
    for i in range(RESTARTS):
        index = i % len(backends)
        stop(servers[index], signal.SIGKILL)
        time.sleep(1.0)
        servers[index] = start(f"backend{index}", [os.path.join(TOOLS, "streamsrv"), str(backends[index])],
                               backends[index])
        # The other backend goes next only once Olla routes to this one again.
        # Up to the circuit breaker's cool-down (30 s, HealthPolicy): a kill fails every
        # request in flight on that backend at once, which opens its breaker.
        back = wait_routable(port, len(backends), deadline=45.0)
        recoveries.append(back)
        time.sleep(1.0)
    running.clear()
    for t in threads:
        t.join(40)
    total = sum(counts.values())
    log(f"requests: {total} ({counts['ok']} complete, {counts['cut_with_error']} cut with an error line, "
        f"{counts['cut_silently']} cut silently, {counts['failed']} failed)")
    seen = [r for r in recoveries if r is not None]
    check("restarts: Olla routed to each restarted backend again", len(seen) == len(recoveries),
          f"{len(seen)}/{len(recoveries)} seen routable, after {' '.join(f'{r:.1f}' for r in seen)} s")
    check("restarts: no request lost while another backend was up", counts["failed"] == 0 and counts["ok"] > 0,
          f"{counts['failed']} failed of {total}; {failures[:3]}")
    check("restarts: every cut stream ended with an error line", counts["cut_silently"] == 0,
          f"{counts['cut_silently']} cut silently, {counts['cut_with_error']} with an error line; {failures[:3]}")


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    need = max(2 * STREAMS, IDLE) + 1000
    if hard < need:
        raise SystemExit(f"soak needs {need} file descriptors, the hard limit is {hard}")
    backends = [free_port(), free_port()]
    servers = [start(f"backend{i}", [os.path.join(TOOLS, "streamsrv"), str(p)], p) for i, p in enumerate(backends)]
    port = free_port()
    olla = start("daemon", [OLLA, "--config", olla_config(port, backends)], port)
    if not wait_ready(port):
        raise SystemExit(f"Olla did not route to the backends; see {TMP}/daemon.log")
    log(f"Olla pid {olla.pid}: RSS {rss_mb(olla.pid):.1f} MB, fds {fd_count(olla.pid)}; logs in {TMP}")
    if "1" in PHASES:
        phase_streams(olla, port)
    if "2" in PHASES:
        phase_idle(olla, port)
    if "3" in PHASES:
        phase_restarts(port, backends, servers)
    check("daemon still running", olla.poll() is None, f"exit status {olla.poll()}")
    stop(olla)
    for p in list(children):
        stop(p)
    failed = [name for name, ok, _ in checks if not ok]
    print(f"soak: {len(checks) - len(failed)} passed, {len(failed)} failed, {time.monotonic() - T0:.0f}s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        for p in list(children):
            stop(p)

#!/usr/bin/env python3
"""`make bench-instructions` (issue 14): the cost of Olla's hot path in instructions, syscalls
and bytes, with nginx beside it, on the backends of `make bench`.

Wall-clock numbers on a shared 2-core machine swing by ±20 %; instruction counts do not. Each
proxy runs, one at a time, under:
  * valgrind callgrind: user-space instructions (Ir) of the proxy process, all threads;
  * strace -c -f (attached to the running proxy for the measured window only): syscalls;
  * valgrind massif: heap bytes (malloc'd, plus the allocator's own overhead);
  * nothing: resident memory (RSS) from /proc.
Every figure is a delta between two counter readings of one running process (callgrind's
counters are zeroed and dumped through vgdb; strace is attached and detached), so start-up and
warm-up are never counted, and where a fixed cost per window could remain, a run of N items is
subtracted from a run of 2N (per small request, per chunk). The idle cost of the window (Olla's
timers) is measured alone and subtracted.

Measured (see docs/benchmarks.md, "Instructions and syscalls"):
  small   non-streamed POST /api/chat, 97-byte body, 297-byte answer, keep-alive, one connection
  chunk   one forwarded stream chunk (NDJSON and SSE): S streams of K and 2K chunks in the same time
  bulk    one MiB of a 16 MiB Content-Length answer (bulk pass-through)
  end     one stream end: the last line, the terminating chunk and the completion work, with and
          without token counts in the last line (NDJSON; SSE with and without include_usage)
  heap    heap bytes per open (idle) stream, S streams
  rss     RSS 10 s after 1,000 streams closed, against idle RSS (MemoryTrimPolicy)

Environment: OLLA_BIN (required), BENCH_BIN (streamsrv, streamcli), BENCH_OUT (results.json,
table.txt; default the temp dir), INSTR_N (small requests, default 200), INSTR_STREAMS
(streams per window, default 30), INSTR_CHUNKS (K, default 40: the 4 KiB tail Olla keeps for the end is full in both runs), INSTR_TOP (top-N, default 25),
INSTR_CASES (subset of small,chunk,end,bulk,heap,rss), INSTR_END_TRIES (windows per end kind, lowest kept, default 2), INSTR_IDLE_STREAMS (streams held open beside the chunk windows, default 0), INSTR_CHUNK_2K_GAP (ms between the 2K window's chunks, default 50: both windows last as long), INSTR_LOGGING (default: Olla with the
default logging, an access-log line per request).
"""
import json
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import benchnet

HERE = os.path.dirname(os.path.abspath(__file__))
OLLA = os.environ["OLLA_BIN"]
BIN = os.environ.get("BENCH_BIN", HERE)
# No "olla" in the temp dir or the binary's name (a colleague's `pkill olla` must miss us).
TMP = tempfile.mkdtemp(prefix="proxyinstr-")
OUT = os.environ.get("BENCH_OUT", TMP)
OLLA_COPY = os.path.join(TMP, "proxy-under-test")
N_SMALL = int(os.environ.get("INSTR_N", "200"))
S = int(os.environ.get("INSTR_STREAMS", "30"))
K = int(os.environ.get("INSTR_CHUNKS", "40"))
TOP = int(os.environ.get("INSTR_TOP", "25"))
# Streams held open and silent beside the chunk windows' streams (a server with many open
# streams): the cost per forwarded chunk must not grow with them.
IDLE_STREAMS = int(os.environ.get("INSTR_IDLE_STREAMS", "0"))
# Windows per stream-end kind; the lowest is reported (see measure_target).
END_TRIES = int(os.environ.get("INSTR_END_TRIES", "2"))
# INSTR_LOGGING=default: Olla runs with the logging a user gets (request_logging on, level
# info: one access-log line per request) instead of request_logging off and level warn.
DEFAULT_LOGGING = os.environ.get("INSTR_LOGGING") == "default"
CASES = os.environ.get("INSTR_CASES", "small,chunk,end,bulk,heap,rss").split(",")
HEAP_STREAMS = 200
RSS_STREAMS = 1000
PREFIX = "/olla/ollama"
PAGE = os.sysconf("SC_PAGE_SIZE")
T0 = time.monotonic()

# The small request of `make bench` (bench/post.lua): 97-byte body, 297-byte answer.
SMALL_BODY = b'{"model":"llama3.2","messages":[{"role":"user","content":"Why is the sky blue?"}],"stream":false}'
CHAT_BODY = b'{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}'
CHAT_BODY_USAGE = (b'{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,'
                   b'"stream_options":{"include_usage":true}}')
# (name, path, body): the stream kinds; streamsrv's usage=1 puts the counts in the end.
STREAM_KINDS = {
    "ndjson": ("/api/chat?fmt=ndjson", CHAT_BODY),
    "ndjson, counts in last line": ("/api/chat?usage=1", CHAT_BODY),
    "ndjson, no counts in last line": ("/api/chat?usage=0", CHAT_BODY),
    "sse": ("/v1/chat/completions?fmt=sse", CHAT_BODY),
    "sse, usage chunk (include_usage)": ("/v1/chat/completions?fmt=sse&usage=1", CHAT_BODY_USAGE),
    "sse, no usage": ("/v1/chat/completions?fmt=sse&usage=0", CHAT_BODY),
}
CHUNK_KINDS = ("ndjson", "sse")
END_KINDS = ("ndjson, counts in last line", "ndjson, no counts in last line",
             "sse, usage chunk (include_usage)", "sse, no usage")
# Chunk windows: S_CHUNK streams, a chunk every GAP_MS on each. Slow enough that Olla under
# callgrind (~50x slower) forwards every chunk before the next one arrives: chunks that
# queue up are read and forwarded together and would look cheaper (the run flags that).
S_CHUNK = int(os.environ.get("INSTR_CHUNK_STREAMS", "10"))
GAP_MS = 100
# The 2K window's streams send their chunks twice as often, so that both windows last the same
# wall time (K x GAP_MS) and what the process does per second whatever the chunks (its timers,
# the /api/ps poll of an instance in use, once a second while streams are open, ~0.2 M) cancels
# in their difference instead of being charged to the extra chunks: with the 2K window at
# GAP_MS it lasted K x GAP_MS longer, and the idle correction, measured with no stream open,
# holds no such poll (0.7-1.2 K per chunk, issue14e). INSTR_CHUNK_2K_GAP=100 measures as
# before 2026-12-01 06:00 UTC.
GAP_2K_MS = int(os.environ.get("INSTR_CHUNK_2K_GAP", str(GAP_MS // 2)))
TARGETS = {          # issue 14
    "small_ir": 125_000, "small_sys": 8.0, "chunk_ir": 5_000, "end_ir": 50_000,
    "heap_kib": 40.0, "rss_ratio": 1.5,
}

procs = []
problems = []
results = {"olla": {}, "nginx": {}}


def log(msg):
    print(f"[{time.monotonic() - T0:6.1f}s] {msg}", flush=True)


# ---------------------------------------------------------------- processes
def wait_port(port, timeout=60.0):
    return benchnet.wait_port(port, timeout, interval=0.1)


def start(name, argv, port):
    out = open(os.path.join(TMP, f"{name}.log"), "wb")
    p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    procs.append((name, p))
    if not wait_port(port):
        raise SystemExit(f"{name} did not listen on {port}; see {TMP}/{name}.log")
    return p


def stop(name, p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            problems.append(f"{name} did not exit 30 s after SIGTERM; killed")
            p.kill()
            p.wait(5)
    if (name, p) in procs:
        procs.remove((name, p))


def nginx_conf(name, template, port, **subst):
    conf = open(os.path.join(HERE, template)).read()
    for k, v in {"DIR": TMP, "PORT": str(port), **{k: str(v) for k, v in subst.items()}}.items():
        conf = conf.replace(f"@{k}@", v)
    path = os.path.join(TMP, f"{name}.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path


def olla_conf(port, backend_port, level="warn"):
    # As `make bench`, with the health check every hour: a probe (and the /api/ps poll that
    # follows it) inside a measured window would be counted as request cost. streamsrv runs
    # any number of streams at once: num_parallel says so, or the scheduler would hold them.
    cfg = {
        "server": {"host": "127.0.0.1", "port": port, "request_logging": DEFAULT_LOGGING},
        "proxy": {"read_timeout": "0s"},
        "discovery": {"static": {"endpoints": [
            {"name": "b", "url": f"http://127.0.0.1:{backend_port}", "type": "ollama",
             "check_interval": "1h", "num_parallel": 1024}]}},
        "logging": {"level": "info" if DEFAULT_LOGGING else level},
    }
    path = os.path.join(TMP, f"cfg-{port}.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    return path


VALGRIND = {
    "callgrind": lambda out: ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                              "--dump-instr=no", "--collect-atstart=yes", "--vgdb=yes"],
    "massif": lambda out: ["valgrind", "--tool=massif", f"--massif-out-file={out}", "--stacks=no",
                           "--vgdb=yes", "--detailed-freq=1000000", "--max-snapshots=100"],
}


def start_proxy(kind, tool, backend_port, tag, level="warn"):
    """Starts nginx (one process: master_process off) or Olla, bare or under valgrind."""
    port = benchnet.free_port()
    name = f"{kind}-{tag}"
    if kind == "olla":
        argv = [OLLA_COPY, "--config", olla_conf(port, backend_port, level)]
    else:
        conf = nginx_conf(name, "nginx-proxy.conf.in", port, BACKEND_PORT=backend_port,
                          NOFILE=8192, WORKER_CONNECTIONS=8000)
        argv = ["nginx", "-p", TMP, "-c", conf, "-g", "daemon off; master_process off;"]
    out = os.path.join(TMP, f"{tool}-{name}.%p")
    if tool in VALGRIND:
        argv = VALGRIND[tool](out) + argv
    p = start(name, argv, port)
    return p, port, out.replace("%p", str(p.pid))


def wait_ready(port, path, body, timeout=120.0):
    end = time.monotonic() + timeout
    last = ""
    while time.monotonic() < end:
        try:
            c = Conn(port)
            status, _ = c.request(path, body)
            c.close()
            if status == 200:
                return True
            last = str(status)
        except OSError as e:
            last = repr(e)
        time.sleep(0.3)
    raise SystemExit(f"proxy on {port} not ready after {timeout:.0f} s: POST {path} -> {last}")


# ---------------------------------------------------------------- meters
class Callgrind:
    """Instructions of the whole process between start() and stop(), via vgdb."""

    unit = "Ir"

    def __init__(self, pid, out):
        self.pid, self.out, self.n, self.files = pid, out, 0, []

    def _ctl(self, *args):
        r = subprocess.run(["callgrind_control", *args, str(self.pid)], capture_output=True, text=True,
                           timeout=60)
        if "OK" not in r.stdout:
            raise RuntimeError(f"callgrind_control {args} {self.pid}: {r.stdout} {r.stderr}")

    def start(self):
        self._ctl("--zero")

    def stop(self, label="window"):
        self._ctl("--dump=" + re.sub(r"[^A-Za-z0-9_-]+", "-", label))
        self.n += 1
        path = f"{self.out}.{self.n}"
        end = time.monotonic() + 30
        while not os.path.exists(path) and time.monotonic() < end:
            time.sleep(0.05)
        self.files.append((label, path))
        with open(path) as f:
            for line in f:
                if line.startswith("summary:") or line.startswith("totals:"):
                    return int(line.split()[1])
        raise RuntimeError(f"no totals in {path}")


class Strace:
    """Syscalls of every thread between start() and stop(): strace -c -f attached for the window."""

    unit = "syscalls"

    def __init__(self, pid):
        self.pid, self.p, self.n, self.last = pid, None, 0, {}

    def _traced(self):
        try:
            for tid in os.listdir(f"/proc/{self.pid}/task"):
                with open(f"/proc/{self.pid}/task/{tid}/status") as f:
                    if re.search(r"^TracerPid:\s+0$", f.read(), re.M):
                        return False
            return True
        except OSError:
            return False

    def start(self):
        self.n += 1
        self.path = os.path.join(TMP, f"strace-{self.pid}-{self.n}.txt")
        self.p = subprocess.Popen(["strace", "-c", "-f", "-p", str(self.pid), "-o", self.path],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.monotonic() + 10
        while not self._traced():
            if time.monotonic() > end:
                raise RuntimeError("strace did not attach to every thread")
            time.sleep(0.02)
        time.sleep(0.1)

    def stop(self, label="window"):
        time.sleep(0.1)
        self.p.send_signal(signal.SIGINT)
        self.p.wait(30)
        calls = {}
        with open(self.path) as f:
            for line in f:
                m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\S+)\s*$", line)
                if m and m.group(2) != "total":
                    calls[m.group(2)] = int(m.group(1))
        self.last = calls
        return sum(calls.values())


# ---------------------------------------------------------------- clients
class Conn:
    """One keep-alive HTTP/1.1 client connection (blocking)."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def request(self, path, body):
        self.s.sendall(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() +
                       b"\r\n\r\n" + body)
        while b"\r\n\r\n" not in self.buf:
            self._read()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status = int(head.split(b" ", 2)[1])
        m = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.I)
        if m:
            n = int(m.group(1))
            while len(self.buf) < n:
                self._read()
            body, self.buf = self.buf[:n], self.buf[n:]
        elif re.search(rb"\r\ntransfer-encoding:\s*chunked", head, re.I):
            while b"\r\n0\r\n\r\n" not in b"\r\n" + self.buf:
                self._read()
            i = (b"\r\n" + self.buf).index(b"\r\n0\r\n\r\n") + 5
            body, self.buf = self.buf[:i], self.buf[i:]
        else:
            body = b""
        return status, body

    def _read(self):
        d = self.s.recv(65536)
        if not d:
            raise OSError("connection closed by the proxy")
        self.buf += d

    def close(self):
        self.s.close()


class Streams:
    """S concurrent streaming requests, read from one selector; counts records ("t":) and ends."""

    def __init__(self, port, path, body, count):
        """`path`: the request target, or a function of the stream's index that gives it."""
        self.sel = selectors.DefaultSelector()
        self.bufs, self.socks = [], []
        self.coalesced_reads = self.reads_with_records = 0
        for i in range(count):
            target = path(i) if callable(path) else path
            req = (b"POST " + target.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                   b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            s = socket.create_connection(("127.0.0.1", port), timeout=60)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.sendall(req)
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ, i)
            self.socks.append(s)
            self.bufs.append(b"")

    def records(self, i):
        return self.bufs[i].count(b'"t":')

    def ended(self, i):
        return self.bufs[i].endswith(b"\r\n0\r\n\r\n")

    def pump(self, done, timeout):
        end = time.monotonic() + timeout
        while not done():
            left = end - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"streams: timed out; records {[self.records(i) for i in range(len(self.bufs))]}")
            for key, _ in self.sel.select(min(left, 0.5)):
                i = key.data
                before = self.records(i)
                try:
                    d = key.fileobj.recv(65536)
                except BlockingIOError:
                    continue
                if not d:
                    raise RuntimeError(f"stream {i} closed by the proxy: {self.bufs[i][-200:]!r}")
                self.bufs[i] += d
                got = self.records(i) - before
                self.reads_with_records += got > 0
                self.coalesced_reads += got > 1

    def all_records(self, k):
        return lambda: all(self.records(i) >= k for i in range(len(self.bufs)))

    def all_ended(self):
        return all(self.ended(i) for i in range(len(self.bufs)))

    def close(self):
        for s in self.socks:
            self.sel.unregister(s)
            s.close()


def stream_path(kind, n, gap, hold=0):
    path, body = STREAM_KINDS[kind]
    return f"{PREFIX}{path}&n={n}&gap={gap}" + (f"&hold={hold}" if hold else ""), body


def run_streams(port, kind, n, gap, count, timeout=180, phased=False):
    """`phased`: stream i's chunks at the times phase_i (mod gap), the phases spread evenly
    over the gap (streamsrv's `phase`), so no two streams send at the same moment."""
    path, body = stream_path(kind, n, gap)
    st = Streams(port, (lambda i: f"{path}&phase={i * gap * 1000 // count}") if phased else path, body, count)
    st.pump(st.all_ended, timeout)
    st.close()
    return st


# ---------------------------------------------------------------- measurements
def idle_rate(meter, seconds=3.0):
    meter.start()
    t = time.monotonic()
    time.sleep(seconds)
    x = meter.stop("idle")
    return x / (time.monotonic() - t)


def window(meter, label, idle, fn):
    """Counter delta over fn(), minus the idle rate over the same wall time."""
    meter.start()
    t = time.monotonic()
    fn()
    x = meter.stop(label)
    dt = time.monotonic() - t
    return x - idle * dt, x, dt


def measure_small(meter, port, idle):
    path = f"{PREFIX}/api/chat"
    c = Conn(port)
    for _ in range(20):                       # warm: connection, caches, pools
        assert c.request(path, SMALL_BODY)[0] == 200
    out = {}
    for n in (N_SMALL, 2 * N_SMALL):
        def go():
            for _ in range(n):
                st, _ = c.request(path, SMALL_BODY)
                if st != 200:
                    raise RuntimeError(f"small request answered {st}")
        out[n] = window(meter, f"small-{n}", idle, go)
    c.close()
    a, b = out[N_SMALL][0], out[2 * N_SMALL][0]
    return {"per_request": (b - a) / N_SMALL, "per_request_N": a / N_SMALL, "per_request_2N": b / (2 * N_SMALL),
            "raw": {str(n): {"count": v[1], "seconds": v[2]} for n, v in out.items()}}


def measure_chunks(meter, port, idle, kind):
    run_streams(port, kind, 3, 1, 2)          # warm this route
    out, coalesced = {}, 0
    reads = 0
    for n, gap in ((K, GAP_MS), (2 * K, GAP_2K_MS)):
        holder = {}
        # The streams' chunks are spread evenly over the gap (streamsrv's phase: 10 ms apart in
        # the K window, 5 ms in the 2K one), each read in a loop round of its own: the streams'
        # chunks came in bursts that one round read at once or not, as the timing fell (loop
        # rounds per chunk 0.5-1.05 between runs, ±1 K per chunk), and the figure is that of a
        # chunk forwarded alone.
        out[n] = window(meter, f"chunks-{kind}-{n}", idle,
                        lambda: holder.setdefault("st", run_streams(port, kind, n, gap, S_CHUNK, phased=True)))
        coalesced += holder["st"].coalesced_reads
        reads += holder["st"].reads_with_records
    if coalesced > 0.02 * reads:
        problems.append(f"chunks {kind}: {coalesced} of {reads} client reads held two or more chunks: the "
                        f"proxy fell behind (machine too busy?), so the per-chunk figure is too low")
    a, b = out[K][0], out[2 * K][0]
    return {"per_chunk": (b - a) / (S_CHUNK * K), "per_stream_fixed": (2 * a - b) / S_CHUNK,
            "client_coalesced_reads": coalesced, "client_reads_with_chunks": reads,
            "raw": {str(n): {"count": v[1], "seconds": v[2]} for n, v in out.items()}}


def measure_end(meter, port, idle, kind, backend):
    """S streams get their K chunks and are held silent by streamsrv (hold=-1); the window
    opens, SIGUSR1 makes streamsrv end them all at once, and closes when every client has the
    terminating chunk: it holds the S ends and nothing else (but the idle cost, subtracted)."""
    run_streams(port, kind, 3, 1, 2)
    path, body = stream_path(kind, K, 5, -1)
    st = Streams(port, path, body, S)
    st.pump(st.all_records(K), 120)
    time.sleep(0.2)                  # the last chunks' writes and their bookkeeping are done
    meter.start()
    t = time.monotonic()
    backend.send_signal(signal.SIGUSR1)
    st.pump(st.all_ended, 120)
    x = meter.stop(f"end-{kind}")
    dt = time.monotonic() - t
    st.close()
    return {"per_end": (x - idle * dt) / S, "raw": {"count": x, "seconds": dt}}


BULK_BYTES = 16 * 2**20


def measure_bulk(meter, port, idle):
    """A 16 MiB Content-Length answer (streamsrv big=): the cost per MiB of bulk pass-through,
    where the sizes of libcurl's receive buffer and libmicrohttpd's reader block show."""
    path = f"{PREFIX}/api/generate?big={BULK_BYTES}"
    c = Conn(port)
    status, body = c.request(path, b"{}")           # warm: connection, buffers
    assert status == 200 and len(body) == BULK_BYTES, (status, len(body))

    def go():
        st, b = c.request(path, b"{}")
        if st != 200 or len(b) != BULK_BYTES:
            raise RuntimeError(f"bulk answer {st}, {len(b)} bytes")
    net, x, dt = window(meter, "bulk", idle, go)
    c.close()
    return {"per_mib": net / (BULK_BYTES / 2**20), "raw": {"count": x, "seconds": dt}}


def measure_target(kind, tool, stream_port, fixed_port, backend, res):
    """Runs one proxy under one meter through the small, chunk and end cases (into `res`)."""
    out = {}
    if "small" in CASES:
        p, port, out_small = start_proxy(kind, tool, fixed_port, f"{tool}-small")
        wait_ready(port, f"{PREFIX}/api/chat", SMALL_BODY)
        meter = Callgrind(p.pid, out_small) if tool == "callgrind" else Strace(p.pid)
        idle = idle_rate(meter)
        res["idle_per_s"] = idle
        log(f"  {kind} {tool}: idle {idle:,.0f}/s; small requests")
        res["small"] = measure_small(meter, port, idle)
        if tool == "strace":
            res["small"]["by_syscall_2N"] = meter.last
        else:
            out["small_dumps"] = meter.files
        stop(f"{kind}-{tool}-small", p)
    if "chunk" in CASES or "end" in CASES or "bulk" in CASES:
        p, port, out_stream = start_proxy(kind, tool, stream_port, f"{tool}-stream")
        wait_ready(port, f"{PREFIX}/api/chat?n=1&gap=0", CHAT_BODY)
        meter = Callgrind(p.pid, out_stream) if tool == "callgrind" else Strace(p.pid)
        idle = idle_rate(meter)
        res["stream_idle_per_s"] = idle
        if "chunk" in CASES:
            background = None
            if IDLE_STREAMS:
                log(f"  {kind} {tool}: {IDLE_STREAMS} idle streams held open beside the chunk windows")
                background, _ = idle_streams(port, IDLE_STREAMS, hold_s=600)
            for k in CHUNK_KINDS:
                log(f"  {kind} {tool}: chunks, {k}")
                res[f"chunk {k}"] = measure_chunks(meter, port, idle, k)
            if background:
                close_idle(background)
        if "bulk" in CASES:
            log(f"  {kind} {tool}: bulk answer, {BULK_BYTES >> 20} MiB")
            res["bulk"] = measure_bulk(meter, port, idle)
            if tool == "strace":
                res["bulk"]["by_syscall"] = meter.last
        if "end" in CASES:
            for k in END_KINDS:
                log(f"  {kind} {tool}: stream ends, {k}")
                # Twice, the lower kept: a window of S ends lasts 0.3-1.4 s under callgrind, and
                # Olla's /api/ps poll of an instance in use (once a second, ~200 K) lands in it
                # or not; the idle correction, measured with no stream open, holds no poll.
                tries = []
                for _ in range(END_TRIES):
                    tries.append(measure_end(meter, port, idle, k, backend))
                    if tool == "strace":
                        tries[-1]["by_syscall"] = meter.last
                best = min(tries, key=lambda r: r["per_end"])
                best["tries_per_end"] = [r["per_end"] for r in tries]
                res[f"end {k}"] = best
        stop(f"{kind}-{tool}-stream", p)
    return out


def massif_snapshot(pid, path):
    r = subprocess.run(["vgdb", f"--pid={pid}", "snapshot", path], capture_output=True, text=True, timeout=60)
    end = time.monotonic() + 30
    while not os.path.exists(path) and time.monotonic() < end:
        time.sleep(0.05)
    with open(path) as f:
        text = f.read()
    heap = int(re.search(r"mem_heap_B=(\d+)", text).group(1))
    extra = int(re.search(r"mem_heap_extra_B=(\d+)", text).group(1))
    return heap + extra, r


def rss_anon(pid):
    with open(f"/proc/{pid}/status") as f:
        text = f.read()
    rss = int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) * 1024
    anon = int(re.search(r"RssAnon:\s+(\d+)", text).group(1)) * 1024
    return rss, anon


def idle_streams(port, count, hold_s=60):
    """streamcli in idle mode: `count` streams get one chunk and stay open until stdin closes."""
    cli = subprocess.Popen([os.path.join(BIN, "streamcli"), "127.0.0.1", str(port),
                            f"{PREFIX}/api/chat?n=1&gap=0&hold={hold_s * 1000}", str(count), "60", "idle",
                            str(hold_s)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    line = cli.stdout.readline()
    m = re.match(r"READY (\d+)/(\d+)", line or "")
    ready = int(m.group(1)) if m else 0
    if ready != count:
        cli.kill()
        _, err = cli.communicate()
        problems.append(f"idle streams: only {ready}/{count} got their first chunk: {line!r} {err.strip()[-300:]}")
    return cli, ready


def close_idle(cli):
    try:
        cli.communicate(input="", timeout=60)
    except subprocess.TimeoutExpired:
        cli.kill()
        cli.communicate()


def measure_heap(kind, stream_port):
    p, port, out = start_proxy(kind, "massif", stream_port, "heap")
    wait_ready(port, f"{PREFIX}/api/chat?n=1&gap=0", CHAT_BODY)
    run_streams(port, "ndjson", 3, 1, 20)           # warm: pools, caches, handles
    time.sleep(1.0)
    before, _ = massif_snapshot(p.pid, os.path.join(TMP, f"ms-{kind}-before"))
    cli, ready = idle_streams(port, HEAP_STREAMS)
    time.sleep(1.0)
    held, _ = massif_snapshot(p.pid, os.path.join(TMP, f"ms-{kind}-held"))
    close_idle(cli)
    time.sleep(2.0)
    after, _ = massif_snapshot(p.pid, os.path.join(TMP, f"ms-{kind}-after"))
    stop(f"{kind}-heap", p)
    return {"per_stream_bytes": (held - before) / max(1, ready), "before": before, "held": held,
            "after_close": after, "streams": ready}


def measure_rss(kind, stream_port):
    """RSS idle, with 1,000 open streams, and 10 s after they closed; then two more rounds.
    Olla logs at debug level here: its heap trims (MemoryTrimPolicy) are read from the log."""
    p, port, _ = start_proxy(kind, "bare", stream_port, "rss", level="debug")
    wait_ready(port, f"{PREFIX}/api/chat?n=1&gap=0", CHAT_BODY)
    run_streams(port, "ndjson", 3, 1, 20)
    time.sleep(2.0)
    idle, idle_anon = rss_anon(p.pid)
    cli, ready = idle_streams(port, RSS_STREAMS)
    time.sleep(1.0)
    held, held_anon = rss_anon(p.pid)
    close_idle(cli)
    time.sleep(10.0)
    after, after_anon = rss_anon(p.pid)
    rounds = []
    for _ in range(2 if kind == "olla" else 0):   # does RSS follow load down every time?
        cli, _ = idle_streams(port, RSS_STREAMS)
        time.sleep(0.5)
        peak = rss_anon(p.pid)[0]
        close_idle(cli)
        t = time.monotonic()
        while time.monotonic() - t < 15 and rss_anon(p.pid)[0] > 1.5 * idle:
            time.sleep(0.25)
        rounds.append((peak, rss_anon(p.pid)[0], time.monotonic() - t))
    stop(f"{kind}-rss", p)
    trims = []
    if kind == "olla":
        with open(os.path.join(TMP, f"{kind}-rss.log"), errors="replace") as f:
            for line in f:
                if "heap trimmed" in line:
                    m = re.search(r"duration\W+([\d.e-]+) seconds", line)
                    trims.append(float(m.group(1)) if m else None)
    return {"idle_rss": idle, "held_rss": held, "after_rss": after, "ratio": after / idle,
            "idle_anon": idle_anon, "held_anon": held_anon, "after_anon": after_anon,
            "anon_per_stream_bytes": (held_anon - idle_anon) / max(1, ready), "streams": ready,
            "rounds": rounds, "trims_seconds": trims}


# ---------------------------------------------------------------- callgrind breakdown
COMPONENTS = ("Olla (Swift)", "Swift runtime", "libcurl", "libmicrohttpd", "libc", "other")


def component(obj, fl):
    if "microhttpd" in fl:
        return "libmicrohttpd"
    if "libcurl-olla/" in fl:  # linked in statically (scripts/libcurl/build.sh)
        return "libcurl"
    if obj.endswith("proxy-under-test"):
        return "Olla (Swift)" if fl.endswith(".swift") or "compiler-generated" in fl or fl == "???" else "other"
    if "/swift/" in obj or "libswift" in obj or "libdispatch" in obj or "libBlocksRuntime" in obj:
        return "Swift runtime"
    if "libcurl" in obj:
        return "libcurl"
    if "libc.so" in obj or "libm.so" in obj:
        return "libc"
    return "other"


def parse_dump(path):
    """Reads a callgrind dump: self Ir per component, and {function: [inclusive Ir, file, object]}.

    Inclusive = self + the cost of the calls the function makes (the line after `calls=`), as
    callgrind_annotate --inclusive=yes counts it. Compressed names `(id) name` are resolved.
    """
    names = {"ob": {}, "fl": {}, "fn": {}}
    ob = fl = fn = ""
    in_call = False
    totals = dict.fromkeys(COMPONENTS, 0)
    funcs = {}

    def name(kind, rest):
        m = re.match(r"\((\d+)\)(?: (.*))?$", rest.strip())
        if not m:
            return rest.strip()
        if m.group(2) is not None:
            names[kind][m.group(1)] = m.group(2)
        return names[kind].get(m.group(1), "?")

    with open(path) as f:
        for line in f:
            key, _, rest = line.partition("=")
            if key == "ob":
                ob = name("ob", rest)
            elif key == "fl":
                fl = name("fl", rest)
            elif key in ("fi", "fe"):
                name("fl", rest)      # inlined code: keep the function's own file
            elif key == "fn":
                fn = name("fn", rest)
                entry = funcs.setdefault(fn, [0, fl, ob])
            elif key == "cob":
                name("ob", rest)
            elif key in ("cfi", "cfl"):
                name("fl", rest)
            elif key == "cfn":
                name("fn", rest)
            elif key == "calls":
                in_call = True
            elif line[:1].isdigit() or line[:1] in "+-*":
                parts = line.split()
                if len(parts) < 2 or not fn:
                    continue
                cost = int(parts[1])
                entry[0] += cost
                if in_call:
                    in_call = False
                else:
                    totals[component(ob, fl)] += cost
    return totals, funcs


def self_cost_by_component(path):
    return parse_dump(path)[0]


def demangle(names):
    try:
        r = subprocess.run(["swift", "demangle", "--simplified", "--compact"], input="\n".join(names),
                           capture_output=True, text=True, timeout=60)
        out = r.stdout.splitlines()
        if len(out) == len(names):
            return out
    except (OSError, subprocess.TimeoutExpired):
        pass
    return names


def inclusive(path):
    """{function: (inclusive Ir, file)} of Olla's Swift functions in one callgrind dump."""
    return {fn: (ir, os.path.basename(fl)) for fn, (ir, fl, ob) in parse_dump(path)[1].items()
            if fl.endswith(".swift") or "compiler-generated" in fl}


def top_functions(path_n, path_2n, n):
    """Olla's own functions by inclusive Ir per small request: (2N dump - N dump) / N."""
    a, b = inclusive(path_n), inclusive(path_2n)
    rows = [((ir - a.get(fn, (0, ""))[0]) / n, fn, fl) for fn, (ir, fl) in b.items()]
    rows.sort(key=lambda x: -x[0])
    uniq = rows[: TOP * 8]
    names = demangle([u[1] for u in uniq])
    out, shown = [], set()
    for (ir, _, fl), nm in zip(uniq, names):
        nm = nm.strip()
        # The @objc entry points of C callbacks and the thunks cost what their targets cost;
        # the worker loop's frames (run, runLoop, process) hold everything: leave them out.
        key = nm.removeprefix("specialized ")
        if (key in shown or nm.startswith(("thunk", "reabstraction thunk", "merged ", "@objc ", "protocol witness"))
                or nm.startswith(("CurlTransport.run", "closure #1 in CurlTransport.run"))):
            continue
        shown.add(key)
        out.append({"per_request_ir": ir, "function": nm, "file": fl})
        if len(out) == TOP:
            break
    return out


# ---------------------------------------------------------------- report
def k(v):
    if v is None:
        return "-"
    if abs(v) >= 1000:
        return f"{v / 1000:,.1f} K"
    return f"{v:,.1f}"


def f1(v, nd=1):
    return "-" if v is None else f"{v:,.{nd}f}"


def ratio(o, g):
    return "-" if o is None or g is None or g <= 0 else f"{o / g:.2f}"


def get(d, *path):
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


def main():
    facts = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "nproc": os.cpu_count(), "kernel": os.uname().release,
        "nginx": subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip(),
        "olla": subprocess.run([OLLA, "--version"], capture_output=True, text=True).stdout.strip(),
        "valgrind": subprocess.run(["valgrind", "--version"], capture_output=True, text=True).stdout.strip(),
        "commit": subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True,
                                 text=True).stdout.strip(),
        "N": N_SMALL, "S": S, "K": K, "olla_logging": "default" if DEFAULT_LOGGING else "request_logging off",
        "idle_streams": IDLE_STREAMS,
    }
    log(f"temp dir {TMP}; {facts}")
    shutil.copy2(OLLA, OLLA_COPY)
    fixed_port, stream_port = benchnet.free_port(), benchnet.free_port()
    start("nginx-fixed", ["nginx", "-p", TMP, "-c", nginx_conf("nginx-fixed", "nginx-fixed.conf.in", fixed_port),
                          "-g", "daemon off;"], fixed_port)
    backend = start("streamsrv", [os.path.join(BIN, "streamsrv"), str(stream_port)], stream_port)

    breakdown, top = {}, []
    for kind in ("nginx", "olla"):
        for tool in ("callgrind", "strace"):
            log(f"{kind} under {tool}")
            results[kind][tool] = {}
            try:
                out = measure_target(kind, tool, stream_port, fixed_port, backend, results[kind][tool])
            except Exception as e:   # noqa: BLE001 -- reported; the other measurements go on
                import traceback
                problems.append(f"{kind} {tool}: {e!r} {traceback.format_exc(limit=4)[-600:]}")
                continue
            if kind == "olla" and tool == "callgrind" and out.get("small_dumps"):
                dumps = dict(out["small_dumps"])
                a = self_cost_by_component(dumps[f"small-{N_SMALL}"])
                b = self_cost_by_component(dumps[f"small-{2 * N_SMALL}"])
                results["olla_small_dumps"] = [dumps[f"small-{N_SMALL}"], dumps[f"small-{2 * N_SMALL}"]]
                breakdown = {c: (b[c] - a[c]) / N_SMALL for c in COMPONENTS}
                top = top_functions(dumps[f"small-{N_SMALL}"], dumps[f"small-{2 * N_SMALL}"], N_SMALL)
        if "heap" in CASES:
            log(f"{kind}: heap per open stream (massif, {HEAP_STREAMS} streams)")
            try:
                results[kind]["heap"] = measure_heap(kind, stream_port)
            except Exception as e:   # noqa: BLE001
                problems.append(f"{kind} heap: {e!r}")
        if "rss" in CASES:
            log(f"{kind}: RSS 10 s after {RSS_STREAMS} streams closed")
            try:
                results[kind]["rss"] = measure_rss(kind, stream_port)
            except Exception as e:   # noqa: BLE001
                problems.append(f"{kind} rss: {e!r}")
    results["olla_small_breakdown"] = breakdown
    results["olla_top_functions"] = top
    report(facts)


def report(facts):
    rows, checks = [], []
    o, g = results["olla"], results["nginx"]

    def row(label, path, unit_fn=k, target=None, tkey=None):
        ov, gv = get(o, *path), get(g, *path)
        rows.append((label, unit_fn(gv), unit_fn(ov), ratio(ov, gv), "" if target is None else target))
        return ov, gv

    ov, gv = row("instructions per small request", ("callgrind", "small", "per_request"), target="≤ 125 K")
    checks.append(("small", ov, "instructions per small request ≤ 125 K", TARGETS["small_ir"], k, gv))
    ov, gv = row("syscalls per small request", ("strace", "small", "per_request"), lambda v: f1(v, 2), "≤ 8")
    checks.append(("small", ov, "syscalls per small request ≤ 8", TARGETS["small_sys"], lambda v: f1(v, 2), gv))
    for kd in CHUNK_KINDS:
        ov, gv = row(f"instructions per forwarded chunk, {kd}", ("callgrind", f"chunk {kd}", "per_chunk"),
                     target="≤ 5 K")
        checks.append(("chunk", ov, f"instructions per forwarded chunk, {kd} ≤ 5 K", TARGETS["chunk_ir"], k, gv))
        row(f"syscalls per forwarded chunk, {kd}", ("strace", f"chunk {kd}", "per_chunk"), lambda v: f1(v, 2))
    for kd in END_KINDS:
        ov, gv = row(f"instructions per stream end, {kd}", ("callgrind", f"end {kd}", "per_end"), target="≤ 50 K")
        checks.append(("end", ov, f"instructions per stream end, {kd} ≤ 50 K", TARGETS["end_ir"], k, gv))
        row(f"syscalls per stream end, {kd}", ("strace", f"end {kd}", "per_end"), lambda v: f1(v, 2))
    row("instructions per MiB of a 16 MiB answer", ("callgrind", "bulk", "per_mib"))
    row("syscalls per MiB of a 16 MiB answer", ("strace", "bulk", "per_mib"), lambda v: f1(v, 1))
    kib = lambda v: "-" if v is None else f"{v / 1024:,.1f}"   # noqa: E731
    ov, gv = row("heap KiB per open stream (massif)", ("heap", "per_stream_bytes"), kib, "≤ 40 KiB")
    checks.append(("heap", ov, "heap per open stream ≤ 40 KiB", TARGETS["heap_kib"] * 1024, kib, gv))
    row(f"anon RSS KiB per open stream ({RSS_STREAMS})", ("rss", "anon_per_stream_bytes"), kib)
    mb = lambda v: "-" if v is None else f"{v / 2**20:,.1f}"   # noqa: E731
    row("RSS MB idle", ("rss", "idle_rss"), mb)
    row(f"RSS MB with {RSS_STREAMS} open streams", ("rss", "held_rss"), mb)
    row(f"RSS MB 10 s after {RSS_STREAMS} streams closed", ("rss", "after_rss"), mb)
    ov, gv = row("  ÷ idle RSS", ("rss", "ratio"), lambda v: f1(v, 2), "≤ 1.5×")
    checks.append(("rss", ov, f"RSS 10 s after {RSS_STREAMS} streams closed ≤ 1.5 × idle RSS",
                   TARGETS["rss_ratio"], lambda v: f1(v, 2), gv))

    text = [f"Olla instruction benchmark — {facts['date']} — nproc {facts['nproc']}, kernel {facts['kernel']}; "
            f"{facts['nginx']}; olla {facts['olla']} ({facts['commit']}); {facts['valgrind']}; "
            f"N={N_SMALL}/{2 * N_SMALL} small requests, {S_CHUNK} streams x {K}/{2 * K} chunks "
            f"every {GAP_MS}/{GAP_2K_MS} ms, {S} stream ends per window"
            + (f"; {IDLE_STREAMS} idle streams open beside the chunk windows" if IDLE_STREAMS else "")
            + ("; Olla with the default logging (an access-log line per request)" if DEFAULT_LOGGING else "")]
    w = max(len(r[0]) for r in rows)
    hdr = f"| {'per ...':<{w}} | {'nginx':>9} | {'olla':>9} | {'olla/nginx':>10} | {'target':>9} |"
    text += [hdr, "|" + "|".join("-" * len(c) for c in hdr.split("|")[1:-1]) + "|"]
    for label, gv, ov, rt, tg in rows:
        text.append(f"| {label:<{w}} | {gv:>9} | {ov:>9} | {rt:>10} | {tg:>9} |")
    text.append("")
    verdicts = []
    for case, ov, name, limit, fmt, gv in checks:
        if case not in CASES:
            st = "SKIP"
        elif ov is None:
            st = "FAIL"
        else:
            st = "PASS" if ov <= limit else "FAIL"
        verdicts.append((st, name, ov))
        text.append(f"{st}  {name}: olla {fmt(ov)} (nginx {fmt(gv)})")
    r = get(o, "rss")
    if r:
        text.append("")
        text.append(f"Olla RSS over two more rounds of {RSS_STREAMS} streams (peak -> back under 1.5x idle, "
                    "after): " + ", ".join(f"{a / 2**20:.1f} -> {b / 2**20:.1f} MB after {t:.1f} s"
                                           for a, b, t in r["rounds"]) +
                    f"; heap trims: {len(r['trims_seconds'])}, " +
                    ", ".join("?" if t is None else f"{t * 1000:.2f} ms" for t in r["trims_seconds"]))
    bd = results.get("olla_small_breakdown") or {}
    if bd:
        text += ["", "Olla, instructions per small request by where they are spent (self cost):"]
        total = sum(bd.values()) or 1
        for c in COMPONENTS:
            text.append(f"  {c:<16} {k(bd[c]):>9}  {100 * bd[c] / total:5.1f} %")
    top = results.get("olla_top_functions") or []
    if top:
        text += ["", f"Olla's own functions by inclusive instructions per small request (top {len(top)}; "
                     "callgrind_annotate --inclusive=yes, demangled):"]
        for t in top:
            text.append(f"  {k(t['per_request_ir']):>9}  {t['function'][:150]}  ({t['file']})")
    sc = get(o, "strace", "small", "by_syscall_2N")
    if sc:
        per = {n: c / (2 * N_SMALL) for n, c in sc.items()}
        text += ["", "Olla syscalls per small request (2N window): " +
                 ", ".join(f"{n} {v:.2f}" for n, v in sorted(per.items(), key=lambda x: -x[1]) if v >= 0.01)]
    sc = get(g, "strace", "small", "by_syscall_2N")
    if sc:
        per = {n: c / (2 * N_SMALL) for n, c in sc.items()}
        text += ["nginx syscalls per small request (2N window): " +
                 ", ".join(f"{n} {v:.2f}" for n, v in sorted(per.items(), key=lambda x: -x[1]) if v >= 0.01)]
    if problems:
        text += ["", "Problems seen:"] + [f"- {p}" for p in problems]
    text += ["", f"total time {time.monotonic() - T0:.0f} s; instruction counts are stable between runs, "
                 "wall-clock figures on this shared machine are not"]
    table = "\n".join(text)
    print("\n" + table, flush=True)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "table.txt"), "w") as f:
        f.write(table + "\n")
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump({"facts": facts, "targets": TARGETS, "results": results,
                   "checks": [{"verdict": v, "name": n, "olla": x} for v, n, x in verdicts],
                   "problems": problems}, f, indent=1)
    print(f"\nresults: {OUT}/table.txt, {OUT}/results.json; logs and callgrind dumps in {TMP}")


if __name__ == "__main__":
    def on_signal(signum, frame):
        for name, p in reversed(list(procs)):
            stop(name, p)
        sys.exit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        main()
    finally:
        for name, p in reversed(list(procs)):
            stop(name, p)

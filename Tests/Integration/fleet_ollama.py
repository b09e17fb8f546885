#!/usr/bin/env python3
"""A simulated Ollama instance with model residency, for fleet routing tests and benchmarks.

Where ``mock_ollama.py`` scripts byte-level faults, this simulates *time*: what an Ollama
server does with a request before its first token. The rules follow Ollama's scheduler
(``ollama/ollama: server/sched.go``, ``server/routes.go``, ``envconfig/config.go``):

* **Residency.** A model must be loaded before it generates; loading takes ``load_s`` seconds
  (seeded jitter). At most ``max_loaded`` models are resident at once (OLLAMA_MAX_LOADED_MODELS).
* **Admission in arrival order.** Requests wait in one pending queue of ``max_queue`` entries
  (OLLAMA_MAX_QUEUE, default 512); when it is full the answer is
  ``503 {"error":"server busy, please try again.  maximum pending requests exceeded"}``.
  One request at a time is scheduled, and while it waits (for a model that is still loading,
  or for room to be made) every request behind it waits too, even for resident models.
* **Eviction.** Loading one more model than fits first unloads another: an idle one, the
  shortest keep-alive first, then (``eviction="ollama"``) by the path of the model's file, as
  Ollama does (server/sched.go ``ByDurationAndName``: the blob's digest, a fixed order unrelated
  to use; here a digest derived from the name, not the one ``/api/tags`` shows), or
  (``eviction="lru"``, the default) the least recently used. When none is idle, the load waits
  until the chosen one finishes its requests.
* **Parallel slots.** A resident model runs ``num_parallel`` requests at once
  (OLLAMA_NUM_PARALLEL, default 1); further admitted requests wait for a slot.
* **Keep-alive.** A model stays resident ``keep_alive_s`` (OLLAMA_KEEP_ALIVE, 5 min) after
  its last request ends; the request field ``keep_alive`` overrides it (``0`` unloads as soon
  as it is idle, negative keeps it forever). An empty prompt only loads (``done_reason:
  "load"``); an empty prompt with ``keep_alive: 0`` unloads (``done_reason: "unload"``).
* **Generation.** After the slot is taken: ``prompt_eval_s``, then one NDJSON chunk per token
  every ``s_per_token`` seconds. The number of tokens is the request's
  ``options.num_predict`` (``max_tokens`` on ``/v1``), else ``default_tokens``. The final chunk
  carries ``total_duration``, ``load_duration`` (time from arrival until the model was ready
  for this request, as routes.go measures it: ~0 when resident and the queue was empty),
  ``prompt_eval_count``, ``prompt_eval_duration``, ``eval_count``, ``eval_duration`` (ns).
  As with Ollama, the response head is written together with the first chunk.
* **A load runs beside the scheduler.** The request that loads a model no longer holds the line
  once its load has started (server/sched.go ``load`` waits for the runner in a goroutine), so
  requests for resident models behind it are admitted while it loads; a further request for the
  loading model waits for it (``useLoadedRunner`` takes the loading runner's lock), and so does
  a request that needs another load (one load at a time: ``updateFreeSpace`` takes every
  runner's lock first), and everything behind either. The load waits for the runner with its request's context
  (``WaitUntilRunning(req.ctx)``): a client that leaves during the load aborts it and the model
  is unloaded (``aborted_loads``).
* ``/api/ps`` lists a model from the start of its load, as Ollama up to 0.32.3 does
  (``load`` puts the runner in ``loaded`` before it runs; ``PsHandler`` lists ``loaded``), with
  ``expires_at`` now plus its keep-alive while it has never been idle (loading, or on its first
  requests), and the expiry set when it last went idle while later requests use it (Ollama sets
  ``expiresAt`` only when a runner goes idle). ``ps_waits_for_loads=True`` answers as Ollama from
  0.32.4 does instead (``loadedModels`` takes each runner's lock, which a load holds until the
  runner runs): not before every load in progress has ended.
* ``/api/ps`` (``expires_at``, ``size_vram``), ``/api/tags``, ``/api/version``, ``/api/show``,
  ``GET /`` and ``HEAD /``; ``/api/generate``, ``/api/chat``; ``/v1/chat/completions``
  (SSE when streaming).

Counters (``instance.stats``): ``loads`` (cold loads started), ``evictions`` (unloads to make
room), ``expirations`` (keep-alive ran out), ``unloads`` (keep_alive 0), ``rejected`` (503s),
``requests``, ``completed``, ``cut`` (streams broken by ``kill()``), ``restarts``,
``aborted_loads`` (loads whose client left before they ended).

Use it in-process, on a running asyncio loop::

    inst = FleetOllama("gpu-a", models=["llama3.2", "qwen2.5:7b"], max_loaded=1, load_s=1.5)
    await inst.start_async()         # 127.0.0.1, a free port -> inst.port / inst.url
    await inst.kill_async()          # the process dies: refused connections, streams cut,
    await inst.revive_async()        # ... and comes back on the same port with nothing loaded
    await inst.stop_async()

or from synchronous code (pytest): ``inst.start()`` runs it on its own thread; ``kill()``,
``revive()``, ``stop()``; ``with FleetOllama(...) as inst:``.
"""
from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import hashlib
import json
import random
import re
import socket
import struct
import sys
import threading
import time
from typing import Optional

# Ollama's own texts (server/sched.go ErrMaxQueue; server/routes.go).
SERVER_BUSY = "server busy, please try again.  maximum pending requests exceeded"
OLLAMA_VERSION = "0.6.2"
WORDS = ("The sky appears blue because molecules in the air scatter short blue wavelengths "
         "of sunlight far more than long red ones").split()


def normalize_model(name: str) -> str:
    """Ollama's name matching: case-insensitive, ``x`` is ``x:latest``."""
    n = name.strip().lower()
    return n if ":" in n.rsplit("/", 1)[-1] else n + ":latest"


def model_file(model: str) -> str:
    """The path of a model's file as Ollama names it (``.../blobs/sha256-<digest>``), here from
    a digest derived from the name: the order Ollama breaks eviction ties in."""
    return "blobs/sha256-" + hashlib.sha256(("model file " + normalize_model(model)).encode()).hexdigest()


def model_entry(name: str) -> dict:
    """An ``/api/tags`` entry; digest, size and date derive from the name, so every instance
    that holds a model describes it the same way."""
    n = normalize_model(name)
    h = hashlib.sha256(n.encode()).hexdigest()
    base = n.split(":", 1)[0].rsplit("/", 1)[-1]
    return {"name": n, "model": n, "modified_at": "2025-03-01T10:00:00.000000000Z",
            "size": 2_000_000_000 + int(h[:6], 16), "digest": h,
            "details": {"parent_model": "", "format": "gguf", "family": base, "families": [base],
                        "parameter_size": "7B", "quantization_level": "Q4_K_M"}}


def rfc3339(unix: float) -> str:
    """Go's time.Time JSON form (RFC 3339 with nanoseconds), in UTC."""
    whole = int(unix)
    frac = int((unix - whole) * 1e9)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{frac:09d}Z"


_DURATION = re.compile(r"(-?\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_keep_alive(value) -> Optional[float]:
    """``keep_alive`` as Ollama reads it (api/types.go Duration): a number of seconds or a Go
    duration string; negative means forever (returned as ``-1``). ``None`` when absent."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("keep_alive")
    if isinstance(value, (int, float)):
        return -1.0 if value < 0 else float(value)
    if isinstance(value, str):
        s = value.strip()
        try:
            v = float(s)
            return -1.0 if v < 0 else v
        except ValueError:
            pass
        parts = _DURATION.findall(s)
        if not parts or "".join(a + b for a, b in parts) != s.replace(" ", ""):
            raise ValueError("keep_alive")
        total = sum(float(a) * _UNIT[b] for a, b in parts)
        return -1.0 if total < 0 else total
    raise ValueError("keep_alive")


@dataclasses.dataclass
class Stats:
    """Counters an instance keeps over its whole life (restarts included)."""
    requests: int = 0
    completed: int = 0
    rejected: int = 0
    loads: int = 0
    evictions: int = 0
    expirations: int = 0
    unloads: int = 0
    cut: int = 0
    restarts: int = 0
    max_pending: int = 0
    aborted_loads: int = 0

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class Runner:
    """One resident (or loading) model: Ollama's runnerRef."""

    def __init__(self, model: str, session_s: float, num_parallel: int):
        self.model = model
        self.loading = True
        self.ready = asyncio.Event()
        self.ref_count = 1           # the request that triggers the load holds it
        self.session_s = session_s   # keep-alive once idle; <= 0 unloads when idle (0) / never (-1)
        self.expiring = False        # chosen to make room: unload as soon as idle
        self.expire_handle: Optional[asyncio.TimerHandle] = None
        self.expires_at: Optional[float] = None  # unix seconds, set when it goes idle
        self.last_used = time.monotonic()
        self.slots = asyncio.Semaphore(num_parallel)


class Pending:
    """A request waiting for the scheduler (an entry of Ollama's pendingReqCh)."""

    def __init__(self, model: str, keep_alive: Optional[float]):
        self.model = model
        self.keep_alive = keep_alive
        self.future: asyncio.Future = asyncio.get_running_loop().create_future()


class PeerGone(Exception):
    pass


class Conn:
    """A server-side connection with its own read pump, so a request that waits can notice
    its client going away (Ollama cancels a pending request when its context ends)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer
        self.buf = bytearray()
        self.eof = False
        self._data = asyncio.Event()
        self.gone = asyncio.Event()
        self.head_sent = False
        self.pump = asyncio.ensure_future(self._pump())

    async def _pump(self):
        try:
            while True:
                data = await self.reader.read(65536)
                if not data:
                    break
                self.buf += data
                self._data.set()
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        self.eof = True
        self.gone.set()
        self._data.set()

    async def read_until(self, sep: bytes, limit: int = 1 << 16) -> bytes:
        while True:
            i = self.buf.find(sep)
            if i >= 0:
                out = bytes(self.buf[:i])
                del self.buf[:i + len(sep)]
                return out
            if self.eof or len(self.buf) > limit:
                raise PeerGone()
            self._data.clear()
            await self._data.wait()

    async def read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if self.eof:
                raise PeerGone()
            self._data.clear()
            await self._data.wait()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    async def write(self, data: bytes):
        if self.writer.is_closing():
            raise PeerGone()
        self.writer.write(data)
        try:
            await self.writer.drain()
        except (ConnectionError, OSError) as e:
            raise PeerGone() from e

    def abort(self):
        """Close with a TCP RST, like a process that died."""
        sock = self.writer.get_extra_info("socket")
        try:
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.writer.transport.abort()
        self.pump.cancel()

    def close(self):
        try:
            self.writer.close()
        except Exception:
            pass
        self.pump.cancel()


class FleetOllama:
    """One simulated Ollama instance. Times are seconds; see the module docstring."""

    def __init__(self, name: str, models: list, *, max_loaded: int = 3, num_parallel: int = 1,
                 max_queue: int = 512, keep_alive_s: float = 300.0, load_s: float = 1.5,
                 load_jitter: float = 0.1, s_per_token: float = 0.02, prompt_eval_s: float = 0.05,
                 default_tokens: int = 32, size_vram: int = 4_000_000_000, seed: int = 1,
                 host: str = "127.0.0.1", port: int = 0, eviction: str = "lru",
                 ps_waits_for_loads: bool = False):
        if eviction not in ("lru", "ollama"):
            raise ValueError(f"eviction must be 'lru' or 'ollama', not {eviction!r}")
        self.name = name
        self.eviction = eviction
        self.ps_waits_for_loads = ps_waits_for_loads
        self.models = {normalize_model(m): model_entry(m) for m in models}
        self.max_loaded, self.num_parallel, self.max_queue = max_loaded, num_parallel, max_queue
        self.keep_alive_s, self.load_s, self.load_jitter = keep_alive_s, load_s, load_jitter
        self.s_per_token, self.prompt_eval_s = s_per_token, prompt_eval_s
        self.default_tokens, self.size_vram = default_tokens, size_vram
        self.host, self.port = host, port
        self.rng = random.Random(f"{seed}:{name}")
        self.stats = Stats()
        self.load_log: list = []     # (monotonic time, model) of every cold load started
        self.evict_log: list = []    # (monotonic time, model evicted)
        self.unload_log: list = []   # (monotonic time, model) of every unload request (keep_alive 0)
        self.ps_log: list = []       # monotonic time of every GET /api/ps
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self._server: Optional[asyncio.AbstractServer] = None
        self._thread: Optional[threading.Thread] = None
        self._conns: set = set()
        self._tasks: set = set()
        self.alive = False
        self._reset_scheduler()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ---- lifecycle -------------------------------------------------------------------

    def _reset_scheduler(self):
        """A fresh process: nothing loaded, nothing pending."""
        self.runners: dict = {}
        self.pending: Optional[asyncio.Queue] = None
        self._unloaded: Optional[asyncio.Event] = None
        self._sched_task: Optional[asyncio.Task] = None

    async def start_async(self) -> "FleetOllama":
        """Listen (on ``port``, or a free one when 0) and start the scheduler."""
        self.loop = asyncio.get_running_loop()
        self.pending = asyncio.Queue(maxsize=self.max_queue)
        self._unloaded = asyncio.Event()
        self._sched_task = asyncio.ensure_future(self._process_pending())
        last = None
        for _ in range(100):  # the port may linger for a moment after a kill
            try:
                self._server = await asyncio.start_server(self._handle_conn, self.host, self.port,
                                                          reuse_address=True, backlog=256)
                break
            except OSError as e:
                last = e
                await asyncio.sleep(0.05)
        else:
            raise last
        self.port = self._server.sockets[0].getsockname()[1]
        self.alive = True
        return self

    async def kill_async(self):
        """Die like a process: refuse connections, reset every open one (streams in flight
        are cut), forget every resident model and pending request."""
        if not self.alive:
            return
        self.alive = False
        self._server.close()
        for c in list(self._conns):
            if c.head_sent:
                self.stats.cut += 1
            c.abort()
        self._conns.clear()
        self._sched_task.cancel()
        for r in self.runners.values():
            if r.expire_handle:
                r.expire_handle.cancel()
        for t in list(self._tasks):
            t.cancel()
        self._reset_scheduler()
        await asyncio.sleep(0)

    async def revive_async(self):
        """Restart on the same port with nothing loaded (a restarted Ollama)."""
        if self.alive:
            return
        self.stats.restarts += 1
        await self.start_async()

    async def stop_async(self):
        if self.alive:
            self.alive = False
            self._server.close()
            for c in list(self._conns):
                c.close()
            self._sched_task.cancel()
            for r in self.runners.values():
                if r.expire_handle:
                    r.expire_handle.cancel()
            for t in list(self._tasks):
                t.cancel()
            await asyncio.sleep(0)

    # Synchronous wrappers: the instance runs on its own thread and loop.
    def start(self) -> "FleetOllama":
        ready = threading.Event()
        err: list = []

        def run():
            self.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self.loop)
            try:
                self.loop.run_until_complete(self.start_async())
            except Exception as e:  # pragma: no cover
                err.append(e)
                ready.set()
                return
            ready.set()
            self.loop.run_forever()
            self.loop.close()

        self._thread = threading.Thread(target=run, name=f"fleet-ollama-{self.name}", daemon=True)
        self._thread.start()
        ready.wait(10)
        if err:
            raise err[0]
        return self

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def kill(self):
        self._call(self.kill_async())

    def revive(self):
        self._call(self.revive_async())

    def stall(self, seconds: float):
        """Freeze the instance for ``seconds`` and return at once: its event loop is blocked,
        as a process starved of CPU (the bench's simulator under others' builds). The kernel
        still accepts connections into the listen backlog; nothing is read, answered or
        streamed until the stall ends, then everything goes on where it stopped."""
        self.loop.call_soon_threadsafe(time.sleep, seconds)

    def snapshot(self) -> dict:
        """Thread-safe view: ``stats`` and what is resident, from the instance's own loop."""
        async def snap():
            return {"stats": self.stats.to_dict(),
                    "resident": sorted(m for m, r in self.runners.items() if not r.loading),
                    "loading": sorted(m for m, r in self.runners.items() if r.loading),
                    "pending": self.pending.qsize() if self.pending else 0}
        return self._call(snap())

    def stop(self):
        if self._thread is None:
            return
        try:
            self._call(self.stop_async())
        except Exception:
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- the scheduler (server/sched.go processPending / processCompleted) ----------

    def _spawn(self, coro) -> asyncio.Task:
        t = asyncio.ensure_future(coro)
        self._tasks.add(t)
        t.add_done_callback(self._tasks.discard)
        return t

    async def _process_pending(self):
        while True:
            req: Pending = await self.pending.get()
            if req.future.done():          # the client went away while it waited
                continue
            while not req.future.done():
                r = self.runners.get(req.model)
                if r is not None and r.loading:
                    await r.ready.wait()    # Ollama blocks on the loading runner's lock
                    continue
                if r is not None and r.expiring:
                    await self._wait_unload()
                    continue
                if r is not None:
                    self._use(r, req)
                    break
                if len(self.runners) >= self.max_loaded:
                    victim = self._runner_to_unload()
                    victim.expiring = True
                    victim.session_s = 0.0
                    if victim.expire_handle:
                        victim.expire_handle.cancel()
                        victim.expire_handle = None
                    ev = self._unloaded
                    if victim.ref_count <= 0:
                        self._unload(victim, "evicted")
                    await ev.wait()          # every request behind this one waits too
                    continue
                busy = next((x for x in self.runners.values() if x.loading), None)
                if busy is not None:
                    # One load at a time: Ollama's updateFreeSpace takes every runner's lock
                    # before a load, and a loading runner holds its own until it runs; every
                    # request behind this one waits too.
                    await busy.ready.wait()
                    continue
                self._load(req)
                break

    async def _wait_unload(self):
        await self._unloaded.wait()

    def _runner_to_unload(self) -> Runner:
        """An idle runner first; the shortest keep-alive first, then the model file's path
        (``eviction="ollama"``) or the least recently used. With none idle, the first in that
        order (the load waits for it)."""
        def tie(r: Runner):
            return model_file(r.model) if self.eviction == "ollama" else r.last_used
        order = sorted(self.runners.values(),
                       key=lambda r: (r.session_s if r.session_s >= 0 else float("inf"), tie(r)))
        for r in order:
            if r.ref_count == 0:
                return r
        return order[0]

    def _use(self, r: Runner, req: Pending):
        r.ref_count += 1
        r.last_used = time.monotonic()
        if r.expire_handle:
            r.expire_handle.cancel()
            r.expire_handle = None
        if req.keep_alive is not None:
            r.session_s = req.keep_alive
        req.future.set_result(r)

    def _load(self, req: Pending):
        session = self.keep_alive_s if req.keep_alive is None else req.keep_alive
        r = Runner(req.model, session, self.num_parallel)
        self.runners[req.model] = r
        self.stats.loads += 1
        self.load_log.append((time.monotonic(), req.model))
        seconds = max(0.0, self.load_s * (1 + self.load_jitter * self.rng.uniform(-1, 1)))

        async def finish():
            # Ollama waits for the runner with the request's context (WaitUntilRunning(req.ctx)):
            # a client that leaves during the load aborts it, and the runner is unloaded.
            loaded = asyncio.ensure_future(asyncio.sleep(seconds))
            await asyncio.wait({loaded, req.future}, return_when=asyncio.FIRST_COMPLETED)
            if req.future.done():
                loaded.cancel()
                r.ready.set()         # the runner's lock is released (its waiters find it gone)
                self._unload(r, "aborted")
                return
            r.loading = False
            r.last_used = time.monotonic()
            r.ready.set()
            req.future.set_result(r)
        self._spawn(finish())

    def _release(self, r: Runner):
        """A request using ``r`` ended (processCompleted's finishedReqCh)."""
        r.ref_count -= 1
        r.last_used = time.monotonic()
        if r.ref_count > 0 or self.runners.get(r.model) is not r:
            return
        if r.session_s == 0:
            self._unload(r, "evicted" if r.expiring else "unloaded")
        elif r.session_s > 0:
            r.expires_at = time.time() + r.session_s
            r.expire_handle = self.loop.call_later(r.session_s, self._expire, r)

    def _expire(self, r: Runner):
        r.expire_handle = None
        if r.ref_count <= 0 and self.runners.get(r.model) is r:
            self._unload(r, "expired")

    def _unload(self, r: Runner, reason: str):
        if self.runners.get(r.model) is not r:
            return
        del self.runners[r.model]
        if r.expire_handle:
            r.expire_handle.cancel()
        if reason == "evicted":
            self.stats.evictions += 1
            self.evict_log.append((time.monotonic(), r.model))
        elif reason == "expired":
            self.stats.expirations += 1
        elif reason == "aborted":
            self.stats.aborted_loads += 1
        else:
            self.stats.unloads += 1
        ev, self._unloaded = self._unloaded, asyncio.Event()
        ev.set()

    async def _acquire(self, conn: Conn, model: str, keep_alive: Optional[float]) -> Optional[Runner]:
        """Queue for the scheduler. None when the queue is full (answer 503). Raises PeerGone
        when the client left while waiting (its slot in the queue is skipped)."""
        req = Pending(model, keep_alive)
        try:
            self.pending.put_nowait(req)
        except asyncio.QueueFull:
            return None
        self.stats.max_pending = max(self.stats.max_pending, self.pending.qsize())
        gone = asyncio.ensure_future(conn.gone.wait())
        try:
            await asyncio.wait({req.future, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
        if req.future.done():
            return req.future.result()
        req.future.cancel()
        raise PeerGone()

    # ---- HTTP -----------------------------------------------------------------------

    async def _handle_conn(self, reader, writer):
        try:
            writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except Exception:
            pass
        conn = Conn(reader, writer)
        self._conns.add(conn)
        task = asyncio.current_task()
        self._tasks.add(task)
        try:
            while self.alive and await self._serve_one(conn):
                pass
        except (PeerGone, asyncio.CancelledError):
            pass
        finally:
            self._conns.discard(conn)
            self._tasks.discard(task)
            conn.close()

    async def _serve_one(self, conn: Conn) -> bool:
        while conn.buf[:2] == b"\r\n":
            del conn.buf[:2]
        head = (await conn.read_until(b"\r\n\r\n")).decode("latin-1")
        lines = head.split("\r\n")
        method, target, version = (lines[0].split(" ") + ["", ""])[:3]
        headers = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            headers[k.strip().lower()] = v.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = bytearray()
            while True:
                size = int((await conn.read_until(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await conn.read_until(b"\r\n")
                    break
                body += await conn.read_exact(size)
                await conn.read_exact(2)
            body = bytes(body)
        else:
            body = await conn.read_exact(int(headers.get("content-length", "0") or 0))
        keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        conn.head_sent = False
        path = target.split("?", 1)[0]
        return await self._dispatch(conn, method, path, body, keep)

    @staticmethod
    def _head(status: int, ctype: str, length: Optional[int], keep: bool) -> bytes:
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
                  500: "Internal Server Error", 503: "Service Unavailable"}.get(status, "OK")
        h = [f"HTTP/1.1 {status} {reason}", f"Content-Type: {ctype}",
             f"Date: {email.utils.formatdate(usegmt=True)}"]
        h.append(f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked")
        if not keep:
            h.append("Connection: close")
        return ("\r\n".join(h) + "\r\n\r\n").encode()

    async def _send(self, conn: Conn, status: int, obj, keep: bool, ctype="application/json; charset=utf-8",
                    head_only=False) -> bool:
        body = obj if isinstance(obj, bytes) else json.dumps(obj, separators=(",", ":")).encode()
        conn.head_sent = True
        await conn.write(self._head(status, ctype, len(body), keep) + (b"" if head_only else body))
        conn.head_sent = False
        return keep

    async def _error(self, conn, status, msg, keep):
        return await self._send(conn, status, {"error": msg}, keep)

    async def _dispatch(self, conn: Conn, method: str, path: str, body: bytes, keep: bool) -> bool:
        if path == "/" and method in ("GET", "HEAD"):
            return await self._send(conn, 200, b"Ollama is running", keep, "text/plain; charset=utf-8",
                                    head_only=method == "HEAD")
        if method == "HEAD" and path in ("/api/version", "/api/tags"):
            return await self._send(conn, 200, b"", keep, head_only=True)
        if method == "GET" and path == "/api/version":
            return await self._send(conn, 200, {"version": OLLAMA_VERSION}, keep)
        if method == "GET" and path == "/api/tags":
            return await self._send(conn, 200, {"models": list(self.models.values())}, keep)
        if method == "GET" and path == "/api/ps":
            self.ps_log.append(time.monotonic())
            if self.ps_waits_for_loads:
                # Ollama from 0.32.4: loadedModels takes each runner's lock, held by a load until it runs.
                while (loading := next((r for r in self.runners.values() if r.loading), None)) is not None:
                    await loading.ready.wait()
            return await self._send(conn, 200, {"models": self._ps()}, keep)
        if method == "GET" and path == "/v1/models":
            data = [{"id": n, "object": "model", "created": 1740823200, "owned_by": "library"}
                    for n in self.models]
            return await self._send(conn, 200, {"object": "list", "data": data}, keep)
        if method == "POST" and path in ("/api/generate", "/api/chat", "/v1/chat/completions", "/api/show"):
            try:
                req = json.loads(body or b"{}")
                if not isinstance(req, dict):
                    raise ValueError
            except ValueError:
                return await self._error(conn, 400, "invalid request body", keep)
            if path == "/api/show":
                return await self._show(conn, req, keep)
            return await self._inference(conn, path, req, keep)
        return await self._send(conn, 404, b"404 page not found", keep, "text/plain")

    def _ps(self) -> list:
        out = []
        now = time.time()
        for m, r in self.runners.items():
            e = dict(self.models[m])
            if r.session_s < 0:
                exp = now + 10 * 365 * 86400
            elif r.expires_at is None:     # never idle yet: loading, or on its first requests
                exp = now + max(r.session_s, 0)
            else:
                exp = r.expires_at
            out.append({"name": m, "model": m, "size": e["size"], "digest": e["digest"],
                        "details": e["details"], "expires_at": rfc3339(exp),
                        "size_vram": self.size_vram, "context_length": 4096})
        return out

    async def _show(self, conn, req, keep):
        name = req.get("model") or req.get("name") or ""
        m = self.models.get(normalize_model(name)) if name else None
        if m is None:
            return await self._error(conn, 404, f"model '{name}' not found", keep)
        return await self._send(conn, 200, {"modelfile": "", "parameters": "", "template": "{{ .Prompt }}",
                                            "details": m["details"], "model_info": {},
                                            "capabilities": ["completion"]}, keep)

    async def _inference(self, conn: Conn, path: str, req: dict, keep: bool) -> bool:
        t0 = time.monotonic()
        self.stats.requests += 1
        openai = path.startswith("/v1/")
        name = req.get("model") or ""
        if not isinstance(name, str) or not name:
            return await self._error(conn, 400, "model is required", keep)
        model = normalize_model(name)
        if model not in self.models:
            return await self._error(conn, 404, f"model '{name}' not found", keep)
        try:
            keep_alive = None if openai else parse_keep_alive(req.get("keep_alive"))
        except ValueError:
            return await self._error(conn, 400, "invalid keep_alive", keep)
        chat = path != "/api/generate"
        empty = (not req.get("messages")) if chat else (not req.get("prompt"))
        created = rfc3339(time.time())
        if empty and not openai:
            if keep_alive == 0:     # routes.go: an empty prompt with keep_alive 0 unloads
                self.unload_log.append((time.monotonic(), model))
                r = self.runners.get(model)
                if r is not None:
                    r.session_s = 0.0
                    if r.ref_count <= 0 and not r.loading:
                        self._unload(r, "unloaded")
                return await self._send(conn, 200, self._done_only(chat, model, created, "unload"), keep)
        runner = await self._acquire(conn, model, keep_alive)
        if runner is None:
            self.stats.rejected += 1
            return await self._error(conn, 503, SERVER_BUSY, keep)
        try:
            load_ns = int((time.monotonic() - t0) * 1e9)
            if empty and not openai:
                return await self._send(conn, 200, self._done_only(chat, model, created, "load"), keep)
            opts = req.get("options") if isinstance(req.get("options"), dict) else {}
            n = opts.get("num_predict", req.get("max_tokens", self.default_tokens))
            n = max(1, int(n)) if isinstance(n, (int, float)) and n > 0 else self.default_tokens
            stream = req.get("stream", not openai) is not False
            await runner.slots.acquire()
            try:
                keep = await self._generate(conn, model, chat, openai, stream, n, t0, load_ns, keep)
            finally:
                runner.slots.release()
            self.stats.completed += 1
            return keep
        finally:
            self._release(runner)

    @staticmethod
    def _done_only(chat: bool, model: str, created: str, reason: str) -> dict:
        out = {"model": model, "created_at": created}
        if chat:
            out["message"] = {"role": "assistant", "content": ""}
        else:
            out["response"] = ""
        out.update({"done_reason": reason, "done": True})
        return out

    async def _generate(self, conn, model, chat, openai, stream, n, t0, load_ns, keep) -> bool:
        slot_at = time.monotonic()
        await asyncio.sleep(self.prompt_eval_s)
        eval_start = time.monotonic()
        tokens = [WORDS[i % len(WORDS)] + " " for i in range(n)]

        def piece(tok: str) -> dict:
            if openai:
                return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": int(time.time()),
                        "model": model, "system_fingerprint": "fp_ollama",
                        "choices": [{"index": 0, "delta": {"role": "assistant", "content": tok},
                                     "finish_reason": None}]}
            out = {"model": model, "created_at": rfc3339(time.time())}
            if chat:
                out["message"] = {"role": "assistant", "content": tok}
            else:
                out["response"] = tok
            out["done"] = False
            return out

        def frame(obj) -> bytes:
            data = json.dumps(obj, separators=(",", ":")).encode()
            data = b"data: " + data + b"\n\n" if openai else data + b"\n"
            return f"{len(data):x}\r\n".encode() + data + b"\r\n"

        if stream:
            ctype = "text/event-stream" if openai else "application/x-ndjson"
        for i, tok in enumerate(tokens):
            target = eval_start + (i + 1) * self.s_per_token
            delay = target - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if stream:
                data = frame(piece(tok))
                if i == 0:
                    conn.head_sent = True
                    data = self._head(200, ctype, None, keep) + data
                await conn.write(data)
        end = time.monotonic()
        prompt_tokens = 26
        metrics = {"total_duration": int((end - t0) * 1e9), "load_duration": load_ns,
                   "prompt_eval_count": prompt_tokens, "prompt_eval_duration": int((eval_start - slot_at) * 1e9),
                   "eval_count": n, "eval_duration": int((end - eval_start) * 1e9)}
        text = "".join(tokens)
        if openai:
            usage = {"prompt_tokens": prompt_tokens, "completion_tokens": n, "total_tokens": prompt_tokens + n}
            if not stream:
                return await self._send(conn, 200, {
                    "id": "chatcmpl-1", "object": "chat.completion", "created": int(time.time()), "model": model,
                    "system_fingerprint": "fp_ollama",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                 "finish_reason": "stop"}], "usage": usage}, keep)
            last = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": int(time.time()),
                    "model": model, "system_fingerprint": "fp_ollama",
                    "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": "stop"}]}
            done = b"data: [DONE]\n\n"
            await conn.write(frame(last) + f"{len(done):x}\r\n".encode() + done + b"\r\n0\r\n\r\n")
            conn.head_sent = False
            return keep
        final = {"model": model, "created_at": rfc3339(time.time())}
        if chat:
            final["message"] = {"role": "assistant", "content": "" if stream else text}
        else:
            final["response"] = "" if stream else text
        final.update({"done": True, "done_reason": "stop"})
        if not chat:
            final["context"] = [1, 2, 3]
        final.update(metrics)
        if not stream:
            return await self._send(conn, 200, final, keep)
        await conn.write(frame(final) + b"0\r\n\r\n")
        conn.head_sent = False
        return keep


def main(argv=None) -> int:
    """Run one instance in the foreground: ``python fleet_ollama.py --models a,b --port N``."""
    import argparse
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--name", default="fleet")
    p.add_argument("--port", type=int, default=11434)
    p.add_argument("--models", default="llama3.2,qwen2.5:7b")
    p.add_argument("--max-loaded", type=int, default=3)
    p.add_argument("--num-parallel", type=int, default=1)
    p.add_argument("--max-queue", type=int, default=512)
    p.add_argument("--load-s", type=float, default=1.5)
    p.add_argument("--s-per-token", type=float, default=0.02)
    a = p.parse_args(argv)
    inst = FleetOllama(a.name, a.models.split(","), max_loaded=a.max_loaded, num_parallel=a.num_parallel,
                       max_queue=a.max_queue, load_s=a.load_s, s_per_token=a.s_per_token, port=a.port)

    async def run():
        await inst.start_async()
        print(f"fleet_ollama {a.name} on {inst.url}", file=sys.stderr)
        await asyncio.Event().wait()
    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Small, dependency-free helpers shared by the integration tests.

The centre piece is ``RawClient``: an HTTP/1.x client on a plain socket that records the
arrival time of every body piece, decodes chunked framing itself and reports whether a
response was terminated properly (last-chunk seen / Content-Length satisfied / EOF).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Optional


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DeadPort:
    """A port bound on 127.0.0.1 with no listener: connecting to it is refused (ECONNREFUSED)
    and, as we hold the bind, nobody else can start listening on it meanwhile."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self):
        self.sock.close()


class SilentPort:
    """A port on 127.0.0.1 that accepts connections (the kernel completes the handshake into
    the listen backlog) and never answers: an instance that is up but hangs."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)
        self.port = self.sock.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self):
        self.sock.close()


_GO_DUR = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_go_duration(s: str) -> float:
    """'12ms' -> 0.012, '1.5s' -> 1.5, '1m2s' -> 62. Raises ValueError otherwise."""
    s = s.strip()
    if not s:
        raise ValueError("empty duration")
    pos, total = 0, 0.0
    for m in _GO_DUR.finditer(s):
        if m.start() != pos:
            raise ValueError(f"bad duration {s!r}")
        total += float(m.group(1)) * _GO_UNITS[m.group(2)]
        pos = m.end()
    if pos != len(s):
        raise ValueError(f"bad duration {s!r}")
    return total


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class RawResponse:
    status: int = 0
    reason: str = ""
    version: str = ""
    headers: list = field(default_factory=list)
    raw_head: bytes = b""
    head_at: float = 0.0
    framing: str = ""          # chunked | length | close | none
    complete: bool = False     # terminated as its framing requires
    error: str = ""            # why it was not complete
    events: list = field(default_factory=list)   # [(monotonic time, decoded body bytes)]
    body_len: int = 0
    eof_at: Optional[float] = None   # when the server closed the connection, if seen
    keep_body: bool = True
    _body: bytearray = field(default_factory=bytearray)
    _hash: object = field(default_factory=hashlib.sha256)

    def header(self, name: str, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name: str) -> list:
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def body(self) -> bytes:
        return bytes(self._body)

    @property
    def body_sha256(self) -> str:
        return self._hash.hexdigest()

    def json(self):
        return json.loads(self.body)

    def lines(self) -> list:
        """[(arrival time, line bytes without the newline)] for newline-terminated lines; an
        unterminated tail is returned as a last line too."""
        return split_lines(self.events)

    def sse_events(self) -> list:
        """[(arrival time, data payload str)] for each SSE event (blank-line separated)."""
        out, buf, t_last = [], b"", 0.0
        for t, data in self.events:
            buf += data
            t_last = t
            while True:
                idx = buf.find(b"\n\n")
                if idx < 0:
                    break
                ev, buf = buf[:idx], buf[idx + 2:]
                datas = [ln[5:].lstrip(b" ") for ln in ev.split(b"\n") if ln.startswith(b"data:")]
                if datas:
                    out.append((t, b"\n".join(datas).decode()))
        if buf.strip():
            datas = [ln[5:].lstrip(b" ") for ln in buf.split(b"\n") if ln.startswith(b"data:")]
            if datas:
                out.append((t_last, b"\n".join(datas).decode()))
        return out

    def describe(self) -> str:
        return (f"HTTP {self.status} framing={self.framing} complete={self.complete} "
                f"error={self.error!r} body_len={self.body_len} headers={self.headers} "
                f"body[:300]={self.body[:300]!r}")


def split_lines(events: Iterable) -> list:
    out, buf, t_last = [], b"", 0.0
    for t, data in events:
        buf += data
        t_last = t
        while True:
            idx = buf.find(b"\n")
            if idx < 0:
                break
            out.append((t, buf[:idx]))
            buf = buf[idx + 1:]
    if buf:
        out.append((t_last, buf))
    return out


class ResponseTimeout(AssertionError):
    pass


class RawClient:
    """One TCP connection; send requests byte-exactly, read responses with deadlines."""

    def __init__(self, host: str, port: int, timeout: float = 10.0):
        self.host, self.port = host, port
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.eof = False
        self.closed_at: Optional[float] = None
        self.max_piece = 1 << 16

    # ---- sending -------------------------------------------------------------------
    def send(self, data: bytes):
        self.sock.sendall(data)

    def send_request(self, method: str, target: str, headers: Optional[list] = None,
                     body: Optional[bytes] = None, version: str = "HTTP/1.1", chunked: bool = False,
                     chunk_size: int = 65536, host: Optional[str] = "auto"):
        headers = list(headers or [])
        names = {k.lower() for k, _ in headers}
        if host == "auto":
            host = f"{self.host}:{self.port}"
        if host is not None and "host" not in names:
            headers.insert(0, ("Host", host))
        if body is not None:
            if chunked:
                if "transfer-encoding" not in names:
                    headers.append(("Transfer-Encoding", "chunked"))
            elif "content-length" not in names:
                headers.append(("Content-Length", str(len(body))))
        head = f"{method} {target} {version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
        self.sock.sendall(head.encode("latin-1"))
        if body is not None:
            if chunked:
                mv = memoryview(body)
                for off in range(0, len(body), chunk_size):
                    piece = mv[off: off + chunk_size]
                    self.sock.sendall(b"%x\r\n" % len(piece))
                    self.sock.sendall(piece)
                    self.sock.sendall(b"\r\n")
                self.sock.sendall(b"0\r\n\r\n")
            else:
                self.sock.sendall(body)

    # ---- receiving -----------------------------------------------------------------
    def _fill(self, deadline: float, want: int = 1 << 16) -> bool:
        """Read more into the buffer. False on EOF. Raises ResponseTimeout past deadline."""
        if self.eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ResponseTimeout("deadline passed while waiting for data")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(max(want, 1 << 16))
        except socket.timeout:
            raise ResponseTimeout(f"no data within the deadline ({len(self.buf)} bytes buffered)")
        except (ConnectionResetError, BrokenPipeError) as e:
            self.eof = True
            self.closed_at = time.monotonic()
            self.reset_error = repr(e)
            return False
        if not data:
            self.eof = True
            self.closed_at = time.monotonic()
            return False
        self.buf += data
        return True

    def _read_until(self, sep: bytes, deadline: float, limit: int = 1 << 20) -> Optional[bytes]:
        while True:
            idx = self.buf.find(sep)
            if idx >= 0:
                out = bytes(self.buf[: idx + len(sep)])
                del self.buf[: idx + len(sep)]
                return out
            if len(self.buf) > limit:
                raise AssertionError(f"no {sep!r} within {limit} bytes")
            if not self._fill(deadline):
                return None

    def read_head(self, timeout: float = 10.0, method: str = "GET") -> RawResponse:
        deadline = time.monotonic() + timeout
        while True:
            head = self._read_until(b"\r\n\r\n", deadline)
            if head is None:
                raise AssertionError(f"connection closed before a response head arrived "
                                     f"(got {bytes(self.buf)[:200]!r})")
            lines = head[:-4].decode("latin-1").split("\r\n")
            parts = lines[0].split(" ", 2)
            resp = RawResponse(version=parts[0], status=int(parts[1]),
                               reason=parts[2] if len(parts) > 2 else "", raw_head=head,
                               head_at=time.monotonic())
            for ln in lines[1:]:
                k, _, v = ln.partition(":")
                resp.headers.append((k.strip(), v.strip()))
            if 100 <= resp.status < 200 and resp.status != 101:
                continue  # interim response (100 Continue)
            break
        resp._method = method
        te = (resp.header("Transfer-Encoding") or "").lower()
        if method == "HEAD" or resp.status in (204, 304):
            resp.framing = "none"
        elif "chunked" in te:
            resp.framing = "chunked"
        elif resp.header("Content-Length") is not None:
            resp.framing = "length"
        else:
            resp.framing = "close"
        return resp

    def iter_body(self, resp: RawResponse, timeout: float = 10.0) -> Iterator[tuple]:
        """Yield (time, bytes) decoded body pieces as they arrive; fills resp as it goes.
        Ends when the response is complete or the connection closed; raises ResponseTimeout
        if the deadline passes first. Pieces are at most ``self.max_piece`` bytes (may be
        changed between iterations to read slowly, then fast)."""
        deadline = time.monotonic() + timeout

        def emit(data: bytes):
            t = time.monotonic()
            resp.events.append((t, data))
            resp.body_len += len(data)
            resp._hash.update(data)
            if resp.keep_body:
                resp._body += data
            return t, data

        if resp.framing == "none":
            resp.complete = True
            return
        if resp.framing == "length":
            remaining = int(resp.header("Content-Length"))
            while remaining > 0:
                if not self.buf and not self._fill(deadline, min(remaining, self.max_piece)):
                    resp.error = f"EOF with {remaining} Content-Length bytes missing"
                    resp.eof_at = self.closed_at
                    return
                take = min(remaining, len(self.buf), self.max_piece)
                data = bytes(self.buf[:take])
                del self.buf[:take]
                remaining -= take
                yield emit(data)
            resp.complete = True
            return
        if resp.framing == "close":
            while True:
                if not self.buf and not self._fill(deadline, self.max_piece):
                    resp.complete = True
                    resp.eof_at = self.closed_at
                    return
                take = min(len(self.buf), self.max_piece)
                data = bytes(self.buf[:take])
                del self.buf[:take]
                yield emit(data)
        # chunked
        while True:
            line = self._read_until(b"\r\n", deadline, limit=4096)
            if line is None:
                resp.error = "EOF before the last chunk (0\\r\\n\\r\\n)"
                resp.eof_at = self.closed_at
                return
            try:
                size = int(line[:-2].split(b";", 1)[0].strip(), 16)
            except ValueError:
                resp.error = f"bad chunk-size line {line!r}"
                return
            if size == 0:
                while True:
                    t = self._read_until(b"\r\n", deadline, limit=65536)
                    if t is None:
                        resp.error = "EOF inside the trailer section"
                        return
                    if t == b"\r\n":
                        break
                resp.complete = True
                return
            remaining = size
            while remaining > 0:
                if not self.buf and not self._fill(deadline, min(remaining, self.max_piece)):
                    resp.error = f"EOF inside a chunk ({remaining} bytes missing)"
                    resp.eof_at = self.closed_at
                    return
                take = min(remaining, len(self.buf), self.max_piece)
                data = bytes(self.buf[:take])
                del self.buf[:take]
                remaining -= take
                yield emit(data)
            crlf = self._read_until(b"\r\n", deadline, limit=2)
            if crlf != b"\r\n":
                resp.error = f"chunk not followed by CRLF ({crlf!r})"
                return

    def read_body(self, resp: RawResponse, timeout: float = 10.0) -> RawResponse:
        for _ in self.iter_body(resp, timeout):
            pass
        return resp

    def read_response(self, timeout: float = 10.0, method: str = "GET") -> RawResponse:
        deadline = time.monotonic() + timeout
        resp = self.read_head(timeout, method)
        return self.read_body(resp, max(0.01, deadline - time.monotonic()))

    def wait_closed(self, timeout: float) -> bool:
        """True if the peer closes the connection within timeout (data is discarded)."""
        deadline = time.monotonic() + timeout
        try:
            while self._fill(deadline):
                self.buf.clear()
        except ResponseTimeout:
            return False
        return True

    def close(self, rst: bool = False):
        try:
            if rst:
                import struct
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def raw_request(addr: str, port: int, method: str, target: str, headers: Optional[list] = None,
                body: Optional[bytes] = None, timeout: float = 10.0, **kw) -> RawResponse:
    """One request on a fresh connection. ``kw`` goes to send_request (host=, version=, chunked=)."""
    with RawClient(addr, port, timeout=timeout) as c:
        c.send_request(method, target, headers, body, **kw)
        return c.read_response(timeout=timeout, method=method)


def strip_keys(obj, keys: set):
    """Recursively drop dict keys in ``keys`` (for comparing objects with volatile fields)."""
    if isinstance(obj, dict):
        return {k: strip_keys(v, keys) for k, v in obj.items() if k not in keys}
    if isinstance(obj, list):
        return [strip_keys(v, keys) for v in obj]
    return obj


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


# --------------------------------------------------------------------------------------
# Multi-instance tests (test_2*_*.py)
# --------------------------------------------------------------------------------------

JSON_CT = [("Content-Type", "application/json")]


def jreq(target, method: str, path: str, obj=None, headers: Optional[list] = None,
         timeout: float = 10.0, raw: Optional[bytes] = None) -> RawResponse:
    """One request through ``target`` (a conftest.Target) to backend path ``path``; ``obj`` is
    sent as a JSON body. The response is read fully; ``resp.elapsed`` is the wall time."""
    body = raw if raw is not None else (json.dumps(obj).encode() if obj is not None else None)
    hdrs = (JSON_CT if body is not None and raw is None else []) + list(headers or [])
    t0 = time.monotonic()
    r = raw_request(target.host, target.port, method, target.path(path), hdrs, body, timeout=timeout)
    r.elapsed = time.monotonic() - t0
    return r


def ndjson_lines(resp: RawResponse) -> list:
    """The parsed JSON objects of an NDJSON (or single-JSON) body."""
    return [json.loads(ln) for _, ln in resp.lines() if ln.strip()]


def wait_until(pred, timeout: float, interval: float = 0.05):
    """Poll ``pred()`` until truthy; returns its last value (falsy on timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


# --------------------------------------------------------------------------------------
# Operations tests (test_3*_*.py)
# --------------------------------------------------------------------------------------

_PROM_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$')
_PROM_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


class PromText:
    """A parsed Prometheus text exposition (format 0.0.4): ``samples`` is a list of
    (name, {label: value}, float); ``help``/``types`` map family names to their text."""

    def __init__(self, text: str):
        self.text = text
        self.samples: list = []
        self.help: dict = {}
        self.types: dict = {}
        self.errors: list = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            if line.startswith("# HELP "):
                parts = line[7:].split(" ", 1)
                self.help[parts[0]] = parts[1] if len(parts) > 1 else ""
                continue
            if line.startswith("# TYPE "):
                parts = line[7:].split()
                self.types[parts[0]] = parts[1] if len(parts) > 1 else ""
                continue
            if line.startswith("#"):
                continue
            m = _PROM_LINE.match(line)
            if not m:
                self.errors.append(f"line {n}: unparsable sample {line!r}")
                continue
            labels, raw = {}, m.group(3) or ""
            pos = 0
            while pos < len(raw):
                lm = _PROM_LABEL.match(raw, pos)
                if not lm or lm.end() == pos:
                    self.errors.append(f"line {n}: bad labels {raw!r}")
                    break
                labels[lm.group(1)] = lm.group(2).replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
                pos = lm.end()
            v = m.group(4)
            try:
                value = float({"+Inf": "inf", "-Inf": "-inf", "NaN": "nan"}.get(v, v))
            except ValueError:
                self.errors.append(f"line {n}: bad value {v!r}")
                continue
            self.samples.append((m.group(1), labels, value))

    def find(self, name: str, **labels) -> list:
        """[(labels, value)] of samples named ``name`` whose labels include ``labels``."""
        return [(lb, v) for n, lb, v in self.samples
                if n == name and all(lb.get(k) == str(val) for k, val in labels.items())]

    def value(self, name: str, **labels) -> Optional[float]:
        """The value of the one sample matching exactly (None if absent; error if several)."""
        hits = self.find(name, **labels)
        exact = [v for lb, v in hits if set(lb) == set(labels)]
        if not exact:
            return None
        assert len(exact) == 1, f"{name}{labels} appears {len(exact)} times"
        return exact[0]

    def total(self, name: str, **labels) -> float:
        return sum(v for _, v in self.find(name, **labels))

    def show(self, name: str) -> str:
        """The sample lines of one metric, for failure messages."""
        return "\n".join(ln for ln in self.text.splitlines()
                         if ln.startswith(name) and not ln.startswith(name + "_bucket")) or f"(no {name} samples)"


def exchange(port: int, data: bytes, timeout: float = 5.0) -> tuple[bytes, bool]:
    """Sends `data`, reads until the server closes (or `timeout`); returns (bytes, closed)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    out = b""
    try:
        s.sendall(data)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                piece = s.recv(65536)
            except socket.timeout:
                return out, False
            except ConnectionResetError:
                return out, True
            if not piece:
                return out, True
            out += piece
        return out, False
    finally:
        s.close()


def split_responses(data: bytes) -> list[tuple[int, dict, bytes]]:
    """Splits a byte stream into (status, headers, body) by Content-Length framing.
    Raises on anything that is not a well-formed sequence of length-framed responses."""
    out = []
    rest = data
    while rest:
        head, sep, rest = rest.partition(b"\r\n\r\n")
        assert sep, f"truncated response head: {head[:200]!r}"
        lines = head.decode("latin-1").split("\r\n")
        version, status, _ = (lines[0].split(" ", 2) + [""])[:3]
        assert version == "HTTP/1.1" and status.isdigit(), f"not a status line: {lines[0]!r}"
        headers: dict = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            assert colon and name and name == name.strip(), f"malformed header line {line!r} in {head!r}"
            headers.setdefault(name.lower(), []).append(value.strip())
        lengths = headers.get("content-length", [])
        assert len(lengths) == 1, f"expected one Content-Length, got {lengths}: {head!r}"
        n = int(lengths[0])
        assert len(rest) >= n, f"body shorter than Content-Length {n}: {rest!r}"
        out.append((int(status), headers, rest[:n]))
        rest = rest[n:]
    return out


class RawBackend:
    """A loopback HTTP/1.1 backend on plain sockets, for scenarios whose answers must be written
    byte for byte as some real server writes them (odd header case, records split across
    writes): it reads each request (head and Content-Length body) on a keep-alive connection
    and hands it to ``answer``, which writes the whole answer and returns whether to keep the
    connection. ``accepted`` counts connections; ``answer`` gets the connection's number."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.accepted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def answer(self, conn: socket.socket, method: str, path: str, number: int) -> bool:
        raise NotImplementedError

    def received(self, number: int, method: str, path: str, headers: list, body: bytes):
        """Called with each request's head lines (``[(name, value)]``) and body before
        ``answer``; for scenarios that check what reached the backend."""

    @staticmethod
    def answer_basics(conn: socket.socket, method: str, path: str, tags: dict):
        """What Olla's health checks and catalogue refreshes ask, answered as Ollama does:
        `/` (text), `/api/tags` (``tags``), `/api/ps` (nothing loaded), `/api/version`;
        anything else ``{"status": "ok"}``; no body for HEAD."""
        body = {"/api/tags": tags, "/api/ps": {"models": []}, "/api/version": {"version": "0.12.0"}}.get(
            path, {"status": "ok"})
        data = json.dumps(body).encode() if path != "/" else b"Ollama is running"
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                     % len(data) + (b"" if method == "HEAD" else data))

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._serve, args=(conn, self.accepted), daemon=True).start()

    def _serve(self, conn: socket.socket, number: int):
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode().split("\r\n")
                method, path, _ = lines[0].split(" ")
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                while len(buf) < length:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                body, buf = buf[:length], buf[length:]
                self.received(number, method, path,
                              [(n.strip(), v.strip()) for n, _, v in (line.partition(":") for line in lines[1:])], body)
                if not self.answer(conn, method, path, number):
                    return
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.sock.close()

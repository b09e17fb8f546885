"""The benchmark's HTTP client: raw HTTP/1.1 on asyncio streams, one connection per request,
timing the first body byte of a streamed `/api/chat`."""
from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Optional

PREFIX = "/olla/ollama"

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
    reason: str = ""                  # X-Olla-Routing-Reason (BENCH_TRACE)
    ended: Optional[float] = None     # loop time the stream ended (BENCH_TRACE: when the slot freed)
    user: int = -1                    # which user sent it, and its how-manieth request (BENCH_TRACE:
    seq: int = -1                     # the same request under two policies, paired)


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
        out.reason = headers.get("x-olla-routing-reason", "")
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
        out.ended = loop.time()
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

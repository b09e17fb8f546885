"""Scenario 36: configuration reload on SIGHUP.

With three streams in flight (30 chunks x 100 ms each), the config file is rewritten to add a
second endpoint and SIGHUP is sent: no stream may break (all complete, every NDJSON line valid,
final done:true), the new endpoint shows up in /internal/status/endpoints within a few seconds
and gets the traffic for a model only it has. An invalid file (unknown key) is refused: the
daemon keeps serving with the old configuration and logs an error naming the key.
"""
from __future__ import annotations

import copy
import json
import signal
import threading
import time

import pytest

from conftest import PATIENT_HEALTH, DaemonFactory, endpoint_ex
from helpers import RawClient, jreq, ndjson_lines, raw_request, wait_until
from mock_ollama import MockOllama

pytestmark = pytest.mark.daemon_only

CHUNKS, DELAY_MS = 30, 100


class Env:
    pass


@pytest.fixture(scope="module")
def env(tmp_root):
    e = Env()
    e.a = MockOllama(name="r-a").start()
    e.b = MockOllama(name="r-b").start()
    e.a.set_models(["llama3.2"])
    e.b.set_models(["only-b-model"])
    f = DaemonFactory(tmp_root, None)
    try:
        e.d = f.start(endpoints=[endpoint_ex("r-a", e.a.url, **PATIENT_HEALTH)])
        e.cfg = copy.deepcopy(e.d.config)
        yield e
    finally:
        f.cleanup()
        e.a.stop()
        e.b.stop()


def endpoint_names(e) -> list:
    r = raw_request("127.0.0.1", e.d.port, "GET", "/internal/status/endpoints", timeout=5)
    assert r.status == 200, r.describe()
    return [(x["name"], x["routable"]) for x in r.json()["endpoints"]]


def write_config(e, cfg: dict):
    tmp = e.d.config_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(cfg, indent=2))
    tmp.replace(e.d.config_path)


def stream(e, idx: int, out: dict):
    try:
        with RawClient("127.0.0.1", e.d.port, timeout=15) as c:
            body = json.dumps({"model": "llama3.2", "messages": [{"role": "user", "content": f"stream {idx}"}]}).encode()
            c.send_request("POST", e.d.target.path("/api/chat"),
                           [("Content-Type", "application/json"), ("X-Mock-Chunks", str(CHUNKS)),
                            ("X-Mock-Chunk-Delay-Ms", str(DELAY_MS)), ("X-Request-ID", f"reload-stream-{idx}")], body)
            out[idx] = c.read_response(timeout=15)
    except Exception as ex:  # reported by the test
        out[idx] = ex


def check_stream(idx, r):
    assert not isinstance(r, Exception), f"stream {idx} failed: {r!r}"
    assert r.status == 200, f"stream {idx}: {r.describe()}"
    assert r.complete, f"stream {idx} was cut: {r.error} after {r.body_len} bytes"
    lines = [ln for _, ln in r.lines()]
    objs = []
    for n, ln in enumerate(lines):
        try:
            objs.append(json.loads(ln))
        except ValueError:
            raise AssertionError(f"stream {idx}: line {n} is not JSON: {ln[:200]!r}")
    assert len(objs) == CHUNKS + 1, f"stream {idx}: {len(objs)} lines, expected {CHUNKS + 1}"
    assert all(o["done"] is False for o in objs[:-1]) and objs[-1]["done"] is True, f"stream {idx}: last {objs[-1]}"
    times = [t for t, _ in r.lines()]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert max(gaps) < 1.0, f"stream {idx}: a {max(gaps):.2f}s pause around the reload (chunks every {DELAY_MS} ms)"


def test_reload_adds_endpoint_without_breaking_streams(env):
    assert endpoint_names(env) == [("r-a", True)]
    r = jreq(env.d.target, "POST", "/api/chat", {"model": "only-b-model", "stream": False,
                                                  "messages": [{"role": "user", "content": "hi"}]})
    assert r.status == 404, f"before the reload nobody has only-b-model: {r.describe()}"

    out: dict = {}
    threads = [threading.Thread(target=stream, args=(env, i, out), daemon=True) for i in range(3)]
    for t in threads:
        t.start()
    ok = env.a.wait_for(lambda: len([x for x in env.a.find_requests(path="/api/chat")
                                      if (x.header("X-Olla-Request-ID") or "").startswith("reload-stream-")
                                      and len(x.chunk_times) >= 3]) == 3, 5)
    assert ok, "the three streams did not start"

    new = copy.deepcopy(env.cfg)
    new["discovery"]["static"]["endpoints"].append(endpoint_ex("r-b", env.b.url, priority=50, **PATIENT_HEALTH))
    write_config(env, new)
    t_hup = time.monotonic()
    env.d.signal(signal.SIGHUP)

    appeared = wait_until(lambda: ("r-b", True) in endpoint_names(env), 5, 0.1)
    assert appeared, f"5 s after SIGHUP /internal/status/endpoints shows {endpoint_names(env)}; expected r-b routable" \
                     f"\n--- log ---\n{env.d.log_tail(20)}"
    took = time.monotonic() - t_hup
    assert env.d.proc.poll() is None, "olla exited on SIGHUP"

    def routed():
        r = jreq(env.d.target, "POST", "/api/chat", {"model": "only-b-model", "stream": False,
                                                      "messages": [{"role": "user", "content": "hi"}]},
                 headers=[("X-Request-ID", "after-reload")])
        return r if r.status == 200 else None
    r = wait_until(routed, 10, 0.1)
    assert r, "only-b-model (on the new endpoint) is not served 10 s after it appeared"
    assert r.header("X-Olla-Endpoint") == "r-b", r.describe()
    assert env.b.find_requests(header=("X-Olla-Request-ID", "after-reload")), "mock r-b never got the request"

    for t in threads:
        t.join(15)
    for i in range(3):
        check_stream(i, out.get(i, AssertionError("no result")))
    # they were really in flight across the reload
    ends = [out[i].events[-1][0] for i in range(3)]
    assert all(end > t_hup for end in ends), "the streams ended before the SIGHUP; the test proved nothing"
    assert took < 5
    env.cfg = new
    logs = [x for x in env.d.log_json() if "reload" in x.get("msg", "")]
    assert logs, f"no log line about the reload:\n{env.d.log_tail(20)}"


def test_invalid_config_is_refused(env):
    names_before = endpoint_names(env)
    bad = copy.deepcopy(env.cfg)
    bad["server"]["bogus_reload_key"] = 1
    bad["discovery"]["static"]["endpoints"].append(endpoint_ex("r-c", env.b.url, **PATIENT_HEALTH))
    lines_before = len(env.d.log_text().splitlines())
    write_config(env, bad)

    out: dict = {}
    th = threading.Thread(target=stream, args=(env, 9, out), daemon=True)
    th.start()
    assert env.a.wait_for(lambda: env.a.find_requests(header=("X-Olla-Request-ID", "reload-stream-9")), 3)
    env.d.signal(signal.SIGHUP)

    def error_line():
        new = env.d.log_text().splitlines()[lines_before:]
        return [ln for ln in new if "bogus_reload_key" in ln]
    lines = wait_until(error_line, 3, 0.05)
    assert lines, f"no log line naming the unknown key bogus_reload_key within 3 s of SIGHUP:\n{env.d.log_tail(15)}"
    parsed = [json.loads(ln) for ln in lines if ln.startswith("{")]
    assert any(p.get("level") in ("error", "critical") for p in parsed), f"not logged as an error: {lines}"
    time.sleep(0.5)
    assert env.d.proc.poll() is None, f"olla exited ({env.d.proc.returncode}) on an invalid reload"
    assert endpoint_names(env) == names_before, "an invalid file must change nothing"
    r = jreq(env.d.target, "POST", "/api/chat", {"model": "only-b-model", "stream": False,
                                                  "messages": [{"role": "user", "content": "still"}]})
    assert r.status == 200, f"the old configuration must keep serving: {r.describe()}"
    th.join(15)
    check_stream(9, out.get(9, AssertionError("no result")))
    write_config(env, env.cfg)  # leave a valid file behind

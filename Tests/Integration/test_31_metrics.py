"""Scenario 31: GET /internal/metrics (docs/operations.md "GET /internal/metrics").

A private daemon in front of two mocks (priority balancer: "m-a" first, "m-b" the failover).
After known traffic, every counter must match exactly: request counts per route/status,
histogram counts, response bytes (what the client received), tokens (the sums of the mock's
prompt_eval_count / eval_count, and OpenAI `usage`), tokens per second, failovers,
rejections, in-flight gauges.
"""
from __future__ import annotations

import json
import threading
import time

import pytest

from conftest import PATIENT_HEALTH, DaemonFactory, endpoint_ex
from helpers import PromText, jreq, ndjson_lines, raw_request, wait_until
from mock_ollama import MockOllama

pytestmark = pytest.mark.daemon_only

FAMILIES = {
    "olla_requests_total": "counter",
    "olla_requests_in_flight": "gauge",
    "olla_request_ttfb_seconds": "histogram",
    "olla_request_duration_seconds": "histogram",
    "olla_response_bytes_total": "counter",
    "olla_endpoint_up": "gauge",
    "olla_endpoint_state": "gauge",
    "olla_endpoint_in_flight": "gauge",
    "olla_failovers_total": "counter",
    "olla_rejections_total": "counter",
    "olla_tokens_total": "counter",
    "olla_tokens_per_second": "gauge",
}
STATES = ("healthy", "busy", "unhealthy", "offline", "unknown")


class Env:
    pass


@pytest.fixture(scope="module")
def env(tmp_root):
    e = Env()
    e.a = MockOllama(name="m-a").start()
    e.b = MockOllama(name="m-b").start()
    # Patient probes: the gauges must read "healthy" for idle mocks, and with a 200 ms
    # check_timeout a probe slower than 100 ms on a loaded machine reads "busy" (or, missed,
    # "offline"). A killed m-b (connection refused) is still seen at its next probe.
    eps = [endpoint_ex("m-a", e.a.url, priority=200, **PATIENT_HEALTH),
           endpoint_ex("m-b", e.b.url, priority=100, **PATIENT_HEALTH)]
    f = DaemonFactory(tmp_root, None)
    try:
        e.d = f.start(endpoints=eps, overrides={"proxy": {"load_balancer": "priority"}})
        e.t = e.d.target
        e.first = scrape(e)  # before any proxied traffic
        yield e
    finally:
        f.cleanup()
        e.a.stop()
        e.b.stop()


def scrape(e) -> PromText:
    r = raw_request("127.0.0.1", e.d.port, "GET", "/internal/metrics", timeout=5)
    assert r.status == 200, r.describe()
    ct = r.header("Content-Type") or ""
    assert ct.replace(" ", "") == "text/plain;version=0.0.4;charset=utf-8", f"metrics Content-Type {ct!r}"
    p = PromText(r.body.decode())
    assert not p.errors, "unparsable metrics text:\n" + "\n".join(p.errors[:10])
    return p


def proxied_total(p: PromText) -> float:
    return sum(v for lb, v in p.find("olla_requests_total") if lb.get("endpoint") != "none")


def settled(e, before: PromText, n_new: int, timeout: float = 5.0) -> PromText:
    """Scrape until the ``n_new`` proxied requests sent since ``before`` are all recorded.
    Olla records a request once its exchange is finished, which may be a moment after the
    client has read the last byte; the lag (if any) is reported on failure."""
    deadline = time.monotonic() + timeout
    t0 = time.monotonic()
    while True:
        p = scrape(e)
        if proxied_total(p) - proxied_total(before) >= n_new or time.monotonic() >= deadline:
            lag = time.monotonic() - t0
            if lag > 0.2:
                print(f"metrics lagged {lag:.3f}s behind the responses")
            return p
        time.sleep(0.01)


def model_value(p: PromText, name: str, model_names=("llama3.2", "llama3.2:latest"), **labels) -> float:
    hits = [v for lb, v in p.find(name, **labels) if lb.get("model") in model_names]
    return sum(hits)


def test_families_declared_before_samples(env):
    p = env.first
    for fam, typ in FAMILIES.items():
        assert fam in p.help, f"# HELP {fam} missing before traffic"
        assert p.types.get(fam) == typ, f"# TYPE {fam}: expected {typ}, got {p.types.get(fam)!r}"
    assert p.value("olla_requests_in_flight") == 0, p.show("olla_requests_in_flight")
    for reason in ("rate_limit", "body_too_large", "header_too_large", "unauthorized", "bad_framing"):
        v = p.value("olla_rejections_total", reason=reason)
        assert v in (None, 0), f"olla_rejections_total{{reason={reason}}} = {v} before any rejection"
    assert not p.find("olla_tokens_total"), p.show("olla_tokens_total")


def test_counters_after_known_traffic(env):
    before = scrape(env)
    received = 0
    prompt_tokens = completion_tokens = 0
    last_speed = None
    prompts = ["why is the sky blue", "hello", "a considerably longer prompt about Rayleigh scattering"]
    for i, text in enumerate(prompts):
        r = jreq(env.t, "POST", "/api/chat", {"model": "llama3.2", "messages": [{"role": "user", "content": text}]},
                 headers=[("X-Mock-Chunks", str(3 + i))])
        assert r.status == 200 and r.complete, r.describe()
        final = ndjson_lines(r)[-1]
        assert final["done"] is True, final
        received += r.body_len
        prompt_tokens += final["prompt_eval_count"]
        completion_tokens += final["eval_count"]
        last_speed = final["eval_count"] / (final["eval_duration"] / 1e9)
    for i, text in enumerate(["tell me a story", "x" * 80]):
        r = jreq(env.t, "POST", "/api/generate", {"model": "llama3.2", "prompt": text, "stream": False},
                 headers=[("X-Mock-Chunks", str(7 + i))])
        assert r.status == 200, r.describe()
        final = r.json()
        received += r.body_len
        prompt_tokens += final["prompt_eval_count"]
        completion_tokens += final["eval_count"]
        last_speed = final["eval_count"] / (final["eval_duration"] / 1e9)
    p = settled(env, before, 5)
    b = before

    def delta(name, **labels):
        return model_value(p, name, **labels) - model_value(b, name, **labels)

    chats = delta("olla_requests_total", endpoint="m-a", route="/api/chat", status="200")
    gens = delta("olla_requests_total", endpoint="m-a", route="/api/generate", status="200")
    assert (chats, gens) == (3, 2), \
        f"3 chats + 2 generates sent: olla_requests_total says chat={chats} generate={gens}\n" + \
        p.show("olla_requests_total")
    series = [lb for lb, _ in p.find("olla_requests_total", endpoint="m-a", route="/api/chat")]
    assert len(series) == 1, f"one model, one status: expected one /api/chat series, got {series}"

    tok_p = delta("olla_tokens_total", endpoint="m-a", kind="prompt")
    tok_c = delta("olla_tokens_total", endpoint="m-a", kind="completion")
    assert (tok_p, tok_c) == (prompt_tokens, completion_tokens), \
        f"tokens: mock reported prompt={prompt_tokens} completion={completion_tokens}, metrics say " \
        f"prompt={tok_p} completion={tok_c}\n" + p.show("olla_tokens_total")
    speed = model_value(p, "olla_tokens_per_second", endpoint="m-a")
    assert abs(speed - last_speed) < 1e-6 * max(1, last_speed), \
        f"olla_tokens_per_second {speed}, expected {last_speed}\n" + p.show("olla_tokens_per_second")

    got_bytes = (p.value("olla_response_bytes_total", endpoint="m-a") or 0) - \
        (b.value("olla_response_bytes_total", endpoint="m-a") or 0)
    assert got_bytes == received, f"client received {received} body bytes from m-a; " \
                                  f"olla_response_bytes_total{{endpoint=m-a}} grew by {got_bytes}"

    for fam in ("olla_request_ttfb_seconds", "olla_request_duration_seconds"):
        for route, n in (("/api/chat", 3), ("/api/generate", 2)):
            cnt = (p.value(fam + "_count", endpoint="m-a", route=route) or 0) - \
                (b.value(fam + "_count", endpoint="m-a", route=route) or 0)
            assert cnt == n, f"{fam}_count{{endpoint=m-a,route={route}}} grew by {cnt}, expected {n}"
            buckets = [(lb["le"], v) for lb, v in p.find(fam + "_bucket", endpoint="m-a", route=route)]
            les = [float(le.replace("+Inf", "inf")) for le, _ in buckets]
            vals = [v for _, v in buckets]
            assert les == sorted(les) and les[-1] == float("inf"), f"{fam} buckets {buckets}"
            assert vals == sorted(vals), f"{fam} bucket counts not cumulative: {buckets}"
            assert vals[-1] == p.value(fam + "_count", endpoint="m-a", route=route), f"{fam} +Inf != _count"
            lo, hi = (0.005, 300) if "ttfb" in fam else (0.01, 1800)
            assert les[0] == lo and les[-2] == hi, f"{fam} buckets should span {lo} … {hi}s: {les}"
            s = p.value(fam + "_sum", endpoint="m-a", route=route)
            assert s is not None and 0 <= s < 30, f"{fam}_sum {s}"


def test_openai_usage_tokens(env):
    before = scrape(env)
    names = ("qwen2.5:0.5b",)
    exp_p = exp_c = 0
    r = jreq(env.t, "POST", "/v1/chat/completions",
             {"model": "qwen2.5:0.5b", "messages": [{"role": "user", "content": "count the tokens please"}]},
             headers=[("X-Mock-Chunks", "6")])
    assert r.status == 200, r.describe()
    u = r.json()["usage"]
    exp_p += u["prompt_tokens"]
    exp_c += u["completion_tokens"]
    r = jreq(env.t, "POST", "/v1/chat/completions",
             {"model": "qwen2.5:0.5b", "stream": True, "stream_options": {"include_usage": True},
              "messages": [{"role": "user", "content": "streamed with usage at the end"}]},
             headers=[("X-Mock-Chunks", "4")])
    assert r.status == 200 and r.complete, r.describe()
    usage = [json.loads(d)["usage"] for _, d in r.sse_events() if d != "[DONE]" and json.loads(d).get("usage")]
    assert len(usage) == 1, r.body[-400:]
    exp_p += usage[0]["prompt_tokens"]
    exp_c += usage[0]["completion_tokens"]
    p = settled(env, before, 2)
    got_p = model_value(p, "olla_tokens_total", names, endpoint="m-a", kind="prompt") - \
        model_value(before, "olla_tokens_total", names, endpoint="m-a", kind="prompt")
    got_c = model_value(p, "olla_tokens_total", names, endpoint="m-a", kind="completion") - \
        model_value(before, "olla_tokens_total", names, endpoint="m-a", kind="completion")
    assert (got_p, got_c) == (exp_p, exp_c), \
        f"OpenAI usage: expected prompt={exp_p} completion={exp_c}, metrics grew by prompt={got_p} " \
        f"completion={got_c}\n" + p.show("olla_tokens_total")
    n = model_value(p, "olla_requests_total", names, endpoint="m-a", route="/v1/chat/completions", status="200")
    assert n == 2, p.show("olla_requests_total")


def test_error_status_and_local_answers(env):
    before = scrape(env)
    r = jreq(env.t, "POST", "/api/chat", {"model": "llama3.2", "stream": False,
                                           "messages": [{"role": "user", "content": "fail"}]},
             headers=[("X-Mock-Status", "500")])
    assert r.status == 500, r.describe()
    r = jreq(env.t, "GET", "/api/tags?verbose=1")
    assert r.status == 200, r.describe()
    p = settled(env, before, 1)

    def d(name, **labels):
        return (p.value(name, **labels) or 0) - (before.value(name, **labels) or 0)

    n500 = model_value(p, "olla_requests_total", endpoint="m-a", route="/api/chat", status="500") - \
        model_value(before, "olla_requests_total", endpoint="m-a", route="/api/chat", status="500")
    assert n500 == 1, "one 500 from the backend:\n" + p.show("olla_requests_total")
    tags = d("olla_requests_total", endpoint="none", model="none", route="/api/tags", status="200")
    assert tags == 1, "GET /api/tags?verbose=1 (answered by Olla, no model) should count under " \
                      "endpoint=none, model=none, route=/api/tags:\n" + p.show("olla_requests_total")
    bad = [lb for _, lb, _ in p.samples if "?" in lb.get("route", "")]
    assert not bad, f"a route label carries the raw query: {bad}"


def test_route_label_is_not_the_raw_path(env):
    r = jreq(env.t, "GET", "/api/zz-random-path-8342/abc")
    assert r.status in (404, 405), r.describe()
    p = scrape(env)
    bad = [lb for _, lb, _ in p.samples if "zz-random-path-8342" in json.dumps(lb)]
    assert not bad, f"an unknown raw path became a label value: {bad}"


def test_in_flight_gauges(env):
    res = {}

    def run():
        res["r"] = jreq(env.t, "POST", "/api/chat", {"model": "llama3.2",
                                                      "messages": [{"role": "user", "content": "slow"}]},
                        headers=[("X-Mock-Chunks", "8"), ("X-Mock-Chunk-Delay-Ms", "100")])

    th = threading.Thread(target=run, daemon=True)
    th.start()
    try:
        assert env.a.wait_for(lambda: any(r.path == "/api/chat" and r.outcome is None for r in env.a.requests), 3)
        time.sleep(0.1)
        p = scrape(env)
        assert p.value("olla_requests_in_flight") == 1, p.show("olla_requests_in_flight")
        assert p.value("olla_endpoint_in_flight", endpoint="m-a") == 1, p.show("olla_endpoint_in_flight")
        assert p.value("olla_endpoint_in_flight", endpoint="m-b") == 0, p.show("olla_endpoint_in_flight")
    finally:
        th.join(5)
    assert res["r"].status == 200
    wait_until(lambda: scrape(env).value("olla_requests_in_flight") == 0, 1.0, 0.01)
    p = scrape(env)
    assert p.value("olla_requests_in_flight") == 0, p.show("olla_requests_in_flight")
    assert p.value("olla_endpoint_in_flight", endpoint="m-a") == 0, p.show("olla_endpoint_in_flight")


def test_endpoint_gauges_and_failover(env):
    p = scrape(env)
    for ep in ("m-a", "m-b"):
        assert p.value("olla_endpoint_up", endpoint=ep) == 1, p.show("olla_endpoint_up")
        states = {s: p.value("olla_endpoint_state", endpoint=ep, state=s) for s in STATES}
        assert states == {"healthy": 1, "busy": 0, "unhealthy": 0, "offline": 0, "unknown": 0}, \
            f"{ep}: {states}"
    before_total = p.total("olla_failovers_total", endpoint="m-a")
    env.a.add_rule(path="/api/chat", times=1, status=503)
    r = jreq(env.t, "POST", "/api/chat", {"model": "llama3.2", "stream": False,
                                           "messages": [{"role": "user", "content": "failover"}]})
    assert r.status == 200 and r.header("X-Olla-Endpoint") == "m-b", r.describe()
    p2 = settled(env, p, 1)
    grew = p2.total("olla_failovers_total", endpoint="m-a") - before_total
    assert grew == 1, "one request moved from m-a (503) to m-b:\n" + p2.show("olla_failovers_total")
    assert all("reason" in lb for lb, _ in p2.find("olla_failovers_total")), p2.show("olla_failovers_total")
    nb = model_value(p2, "olla_requests_total", endpoint="m-b", route="/api/chat", status="200") - \
        model_value(p, "olla_requests_total", endpoint="m-b", route="/api/chat", status="200")
    assert nb == 1, p2.show("olla_requests_total")


def test_endpoint_down_gauges(env):
    env.b.kill()
    try:
        # Its next probe (check_interval 2 s) is refused; 10 s leaves room for a loaded machine.
        ok = wait_until(lambda: scrape(env).value("olla_endpoint_up", endpoint="m-b") == 0, 10, 0.1)
        p = scrape(env)
        assert ok, "m-b killed: olla_endpoint_up{endpoint=m-b} still 1 after 10 s\n" + p.show("olla_endpoint_up")
        states = {s: p.value("olla_endpoint_state", endpoint="m-b", state=s) for s in STATES}
        assert sum(states.values()) == 1 and (states["offline"] == 1 or states["unhealthy"] == 1), states
    finally:
        env.b.revive()


def test_model_label_cap(tmp_root, env):
    """operations.md: label sets are capped at 1000 per metric; beyond that new models count
    under model="other". Optimistic routing forwards unknown models, so each is a new label."""
    from helpers import RawClient
    f = DaemonFactory(tmp_root, None)
    try:
        d = f.start(endpoints=[endpoint_ex("m-a", env.a.url, **PATIENT_HEALTH)],
                    overrides={"model_registry": {"routing_strategy": {"type": "optimistic"}},
                               "server": {"request_logging": False}})
        n = 1100
        statuses = {}
        with RawClient("127.0.0.1", d.port, timeout=10) as c:
            for i in range(n):
                body = json.dumps({"model": f"rnd-{i:05d}", "stream": False,
                                   "messages": [{"role": "user", "content": "x"}]}).encode()
                c.send_request("POST", d.target.path("/api/chat"), [("Content-Type", "application/json")], body)
                r = c.read_response(10)
                statuses[r.status] = statuses.get(r.status, 0) + 1
        holder = Env()
        holder.d = d
        p = scrape(holder)
        series = p.find("olla_requests_total")
        rnd = [lb for lb, _ in series if lb.get("model", "").startswith("rnd-")]
        own = [lb for lb, _ in series if lb.get("model") != "other"]
        assert len(own) <= 1000, f"olla_requests_total has {len(own)} label sets besides model=other (cap 1000); " \
                                 f"statuses {statuses}"
        assert len(series) <= 1010, f"olla_requests_total has {len(series)} label sets"
        other = sum(v for lb, v in series if lb.get("model") == "other")
        assert len(rnd) + other >= n - 5 and other > 0, \
            f"{n} distinct models sent: {len(rnd)} own series + {other} under model=other (statuses {statuses})"
    finally:
        f.cleanup()

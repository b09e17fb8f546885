"""Scenario 33: server.rate_limits (docs/operations.md "Rate limits", "Trusted proxies").

Rates are a few per minute (one token per 10 s or more) so that nothing refills during a test;
buckets start full with burst_size tokens. Each test runs its own daemon. Distinct
X-Forwarded-For values stand for distinct clients behind a trusted proxy (the test runner at
127.0.0.1).
"""
from __future__ import annotations

import json
import time

import pytest

from conftest import PATIENT_HEALTH, endpoint_ex
from helpers import PromText, jreq, raw_request

pytestmark = pytest.mark.daemon_only

RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def start(olla_factory, **rate_limits):
    eps = [endpoint_ex("mock-a", olla_factory.mock.url, **PATIENT_HEALTH)]
    return olla_factory.start(endpoints=eps, overrides={"server": {"rate_limits": rate_limits}})


def chat(d, xff=None, path="/api/chat", marker=None):
    hdrs = []
    if xff is not None:
        hdrs.append(("X-Forwarded-For", xff))
    if marker:
        hdrs.append(("X-Request-ID", marker))
    body = {"model": "llama3.2", "stream": False, "messages": [{"role": "user", "content": "hi"}]}
    return jreq(d.target, "POST", path, body, headers=hdrs)


def get(d, path, headers=None, method="GET"):
    return raw_request("127.0.0.1", d.port, method, path, headers or [], timeout=5)


def statuses(d, n, xff=None):
    return [chat(d, xff).status for _ in range(n)]


def assert_429(r, limit: int, what: str, max_retry: float):
    assert r.status == 429, f"{what}: expected 429, got {r.describe()}"
    ct = r.header("Content-Type") or ""
    assert ct.startswith("application/json"), f"{what}: 429 Content-Type {ct!r}"
    body = r.json()
    assert isinstance(body, dict) and body.get("error"), f"{what}: 429 body {body}"
    missing = [h for h in ("Retry-After",) + RATE_HEADERS if r.header(h) is None]
    assert not missing, f"{what}: 429 lacks {missing}; headers {r.headers}"
    ra = r.header("Retry-After")
    assert ra.isdigit() and 1 <= int(ra) <= max_retry, f"{what}: Retry-After {ra!r}, expected 1..{max_retry}"
    assert r.header("X-RateLimit-Limit") == str(limit), f"{what}: X-RateLimit-Limit {r.header('X-RateLimit-Limit')!r}"
    assert r.header("X-RateLimit-Remaining") == "0", f"{what}: X-RateLimit-Remaining {r.header('X-RateLimit-Remaining')!r}"
    rs = r.header("X-RateLimit-Reset")
    assert rs.isdigit() and int(rs) >= 1, f"{what}: X-RateLimit-Reset {rs!r}"


def test_global_limit(olla_factory, mock):
    d = start(olla_factory, global_requests_per_minute=6, burst_size=3)
    got = statuses(d, 3)
    assert got == [200, 200, 200], f"burst_size 3: the first three requests must pass, got {got}"
    r = chat(d, marker="over-global")
    # 6/min = one token per 10 s; the bucket is full again after 3 tokens = 30 s
    assert_429(r, 6, "4th request with global_requests_per_minute 6, burst 3", max_retry=10)
    assert int(r.header("X-RateLimit-Reset")) <= 30, r.headers
    assert not mock.find_requests(header=("X-Olla-Request-ID", "over-global")), "a refused request was forwarded"
    r = chat(d, path="/v1/chat/completions")
    assert r.status == 429 and "error" in r.json(), f"OpenAI route while exhausted: {r.describe()}"
    # a different client address changes nothing for the global bucket
    assert chat(d, xff="198.51.100.9").status == 429
    p = PromText(get(d, "/internal/metrics").body.decode())
    assert p.value("olla_rejections_total", reason="rate_limit") == 3, p.show("olla_rejections_total")


def test_allowed_responses_carry_rate_headers(olla_factory, mock):
    """configuration.md: "every limited response carries X-RateLimit-Limit, X-RateLimit-Remaining
    and X-RateLimit-Reset" - not only the 429s."""
    d = start(olla_factory, global_requests_per_minute=6, burst_size=3)
    seen = []
    for _ in range(3):
        r = chat(d)
        assert r.status == 200, r.describe()
        seen.append({h: r.header(h) for h in RATE_HEADERS})
    assert all(all(v is not None for v in s.values()) for s in seen), \
        f"200 answers under global_requests_per_minute 6 lack the X-RateLimit-* headers: {seen}"
    assert [s["X-RateLimit-Remaining"] for s in seen] == ["2", "1", "0"], seen
    assert all(s["X-RateLimit-Limit"] == "6" for s in seen), seen


def test_no_headers_without_limits(olla):
    r = jreq(olla, "GET", "/api/version")
    assert r.status == 200
    present = [h for h in RATE_HEADERS + ("Retry-After",) if r.header(h) is not None]
    assert not present, f"no rate limit configured, yet the response carries {present}"


def test_monitoring_works_while_proxy_exhausted(olla_factory, mock):
    d = start(olla_factory, global_requests_per_minute=6, per_ip_requests_per_minute=6, burst_size=2)
    assert statuses(d, 3) == [200, 200, 429]
    for _ in range(3):
        for p in ("/internal/health", "/internal/status", "/internal/status/endpoints", "/internal/status/models",
                  "/internal/metrics", "/olla/ollama/"):
            r = get(d, p)
            assert r.status == 200, f"GET {p} while the proxy budget is exhausted: {r.describe()}"
        r = get(d, "/olla/ollama/", method="HEAD")
        assert r.status == 200, f"HEAD heartbeat while the proxy budget is exhausted: {r.describe()}"
        r = get(d, "/version")
        assert r.status == 200, f"GET /version while the proxy budget is exhausted: {r.describe()}"


def test_health_bucket_is_separate(olla_factory, mock):
    burst = 4
    d = start(olla_factory, global_requests_per_minute=6, health_requests_per_minute=6, burst_size=burst)
    # wait_ready took one health token with its GET /olla/ollama/ heartbeat
    got = [get(d, "/internal/status").status for _ in range(burst)]
    assert got == [200] * (burst - 1) + [429], \
        f"health bucket of {burst} (one token used by the start-up heartbeat): got {got}"
    r = get(d, "/internal/metrics")
    assert_429(r, 6, "/internal/metrics with the health bucket empty", max_retry=10)
    r = get(d, "/olla/ollama/")
    assert r.status == 429, f"the heartbeat draws from the health bucket too: {r.describe()}"
    got = statuses(d, burst)
    assert got == [200] * burst, f"proxied requests must not be affected by the health bucket: {got}"
    assert chat(d).status == 429


def test_per_ip_with_trusted_proxy(olla_factory, mock):
    d = start(olla_factory, per_ip_requests_per_minute=6, burst_size=2, trust_proxy_headers=True,
              trusted_proxy_cidrs=["127.0.0.0/8"])
    a = statuses(d, 3, xff="203.0.113.1")
    assert a == [200, 200, 429], f"client 203.0.113.1 (burst 2): {a}"
    r = chat(d, xff="203.0.113.1")
    assert_429(r, 6, "per-IP limit of 203.0.113.1", max_retry=10)
    b = statuses(d, 3, xff="203.0.113.2")
    assert b == [200, 200, 429], \
        f"203.0.113.2 is another client behind the trusted proxy 127.0.0.1 and has its own bucket: {b}"
    # read right to left, skipping trusted proxies: the client is 203.0.113.3
    c = [chat(d, xff="203.0.113.3, 127.0.0.7").status, chat(d, xff="203.0.113.3, 127.0.0.7").status,
         chat(d, xff="203.0.113.3").status]
    assert c == [200, 200, 429], \
        f"'203.0.113.3, 127.0.0.7' and '203.0.113.3' are the same client (127.0.0.7 is a trusted proxy): {c}"
    # without the header the peer itself is the client
    assert statuses(d, 3) == [200, 200, 429]


def test_per_ip_ignores_xff_from_untrusted_peer(olla_factory, mock):
    d = start(olla_factory, per_ip_requests_per_minute=6, burst_size=2, trust_proxy_headers=True,
              trusted_proxy_cidrs=["10.0.0.0/8"])
    got = [chat(d, xff=f"203.0.113.{i}").status for i in range(1, 4)]
    assert got == [200, 200, 429], \
        f"peer 127.0.0.1 is not in trusted_proxy_cidrs: X-Forwarded-For must be ignored and the three " \
        f"requests share one bucket (burst 2), got {got}"


def test_per_ip_ignores_xff_when_trust_is_off(olla_factory, mock):
    d = start(olla_factory, per_ip_requests_per_minute=6, burst_size=2, trust_proxy_headers=False,
              trusted_proxy_cidrs=["127.0.0.1/32"])
    got = [chat(d, xff=f"203.0.113.{i}").status for i in range(1, 4)]
    assert got == [200, 200, 429], \
        f"trust_proxy_headers false: X-Forwarded-For must be ignored (one bucket, burst 2), got {got}"


def test_global_refusal_for_a_fresh_client(olla_factory, mock):
    d = start(olla_factory, global_requests_per_minute=6, per_ip_requests_per_minute=6, burst_size=3,
              trust_proxy_headers=True, trusted_proxy_cidrs=["127.0.0.1/32"])
    assert statuses(d, 3, xff="192.0.2.10") == [200, 200, 200]
    r = chat(d, xff="192.0.2.20")
    assert_429(r, 6, "global bucket (burst 3) empty, fresh client", max_retry=10)


def test_refused_by_client_bucket_takes_no_global_token(olla_factory, mock):
    """"A request refused by one bucket takes nothing from the other": global 120/min (refills
    2 tokens in 1 s), per-client 6/min, burst 2."""
    d = start(olla_factory, global_requests_per_minute=120, per_ip_requests_per_minute=6, burst_size=2,
              trust_proxy_headers=True, trusted_proxy_cidrs=["127.0.0.1/32"])
    assert statuses(d, 2, xff="192.0.2.10") == [200, 200]
    time.sleep(1.1)  # the global bucket is full again (2 tokens); client A's is still empty
    a = statuses(d, 3, xff="192.0.2.10")
    assert a == [429, 429, 429], f"client A's own bucket is empty: {a}"
    b = statuses(d, 2, xff="192.0.2.20")
    assert b == [200, 200], \
        f"A's three refused requests must not have taken global tokens: a fresh client B got {b}"

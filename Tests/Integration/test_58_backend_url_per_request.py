"""Scenario 58: every forwarded request reaches the instance and request-target it was routed to,
while pooled libcurl handles keep their last URL's parse.

libcurl-olla's patch 0005 (scripts/libcurl/) keeps an easy handle's parse of its URL when the
next transfer on that handle sets the same URL string again, instead of parsing it once per
transfer. A parse kept for the wrong URL would send a request to the wrong instance, path or
query. Here one keep-alive client connection (one worker, one pool of easy handles) sends a
sequence that changes instance (round-robin over two mocks on different ports, weights 3 and 1:
sometimes the same instance twice), path and query from one request to the next, repeats URLs
(where the parse is kept) and goes back to earlier ones; each request must arrive at the
instance Olla names in X-Olla-Endpoint, with the request-target as the client sent it (prefix
stripped, query raw)."""
import uuid

import pytest

from conftest import PATIENT_HEALTH
from helpers import RawClient

pytestmark = pytest.mark.daemon_only

CLUSTER_HEALTH = PATIENT_HEALTH
MODEL = "llama3.2"
TARGETS = [
    "/api/show",
    "/api/show",
    "/api/show?a=%2F&b=1+2",
    "/api/show?a=%2F&b=1+2",
    "/api/show?a=%2F&b=1+3",
    "/api/embed",
    "/api/show",
    "/api/show?q=%E2%9C%93&empty=&flag",
    "/api/embed",
    "/api/embed",
]


def test_each_request_reaches_its_instance_and_target(cluster):
    cl = cluster([
        {"name": "a", "models": [MODEL], "loaded": [MODEL], "weight": 3},
        {"name": "b", "models": [MODEL], "loaded": [MODEL]},
    ], overrides={"proxy": {"load_balancer": "round-robin"}})
    seen = {"a": 0, "b": 0}
    previous, repeats = None, 0
    with RawClient(cl.t.host, cl.t.port, timeout=10) as c:
        for round_ in range(3):
            for i, target in enumerate(TARGETS):
                marker = f"u{round_}-{i}-" + uuid.uuid4().hex[:12]
                body = b'{"model":"llama3.2","input":"x"}' if target.startswith("/api/embed") \
                    else b'{"model":"llama3.2"}'
                c.send_request("POST", cl.t.path(target),
                               [("X-Mock-Echo", "1"), ("X-Test-Marker", marker),
                                ("Content-Type", "application/json")], body)
                r = c.read_response(10)
                assert r.status == 200, f"{target} (request {i}, round {round_}): {r.describe()}"
                endpoint = r.header("X-Olla-Endpoint")
                assert endpoint in cl.mocks, f"{target}: X-Olla-Endpoint {endpoint!r}"
                seen[endpoint] += 1
                repeats += (endpoint, target) == previous
                previous = (endpoint, target)
                assert r.json()["target"] == target, \
                    f"{endpoint} saw request-target {r.json()['target']!r}, the client sent {target!r}"
                got = {name: len([x for x in cl.client_requests(name) if x.header("X-Test-Marker") == marker])
                       for name in cl.mocks}
                want = {name: int(name == endpoint) for name in cl.mocks}
                assert got == want, f"{target}: routed to {endpoint}, the instances received {got}"
    assert seen["a"] and seen["b"], f"round-robin used one instance only: {seen}"
    assert repeats, "no URL was sent twice in a row: the kept parse was never used"

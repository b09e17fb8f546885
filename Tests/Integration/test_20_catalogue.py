"""Scenario 20: one catalogue over many instances.

/api/tags, /api/ps, /v1/models, /v1/models/{m} and /api/version are answered from memory,
merged across the routable instances (docs/routing.md, "One catalogue"); a hanging instance
never delays them.
"""
import time
import uuid

import pytest

from helpers import jreq, wait_until
from mock_ollama import model_entry, unix_of

pytestmark = pytest.mark.daemon_only

A_MODELS = ["llama3.2", "qwen2.5:0.5b"]
B_MODELS = ["qwen2.5:0.5b", "nomic-embed-text", "mistral:7b"]
C_MODELS = ["mistral:7b", "phi3:mini", "llama3.2"]
ALL = ["llama3.2:latest", "qwen2.5:0.5b", "nomic-embed-text:latest", "mistral:7b", "phi3:mini"]

SPEC = [
    {"name": "a", "models": A_MODELS, "loaded": ["llama3.2:latest"], "version": "0.12.6"},
    {"name": "b", "models": B_MODELS, "loaded": ["qwen2.5:0.5b"], "version": "0.9.10"},
    {"name": "c", "models": C_MODELS, "loaded": ["mistral:7b", "llama3.2:latest"], "version": "0.11.2"},
]


def names(objs, key="name"):
    return [o[key] for o in objs]


def test_merged_tags_full_entries_newest_first(cluster):
    cl = cluster(SPEC)
    r = jreq(cl.t, "GET", "/api/tags")
    assert r.status == 200, r.describe()
    models = r.json()["models"]
    got = names(models)
    assert sorted(got) == sorted(ALL), (
        f"/api/tags should list every model of a, b and c once (same name+digest -> one entry)\n"
        f"  want {sorted(ALL)}\n  got  {sorted(got)}")
    for m in models:
        assert m == model_entry(m["name"]), (
            f"entry for {m['name']} is not Ollama's full entry as the instances report it:\n"
            f"  got  {m}\n  want {model_entry(m['name'])}")
    times = [unix_of(m["modified_at"]) for m in models]
    assert times == sorted(times, reverse=True), (
        f"/api/tags must be newest first; order was {[(m['name'], m['modified_at']) for m in models]}")


def test_merged_ps_is_union(cluster):
    cl = cluster(SPEC)
    r = jreq(cl.t, "GET", "/api/ps")
    assert r.status == 200, r.describe()
    got = names(r.json()["models"])
    want = {"llama3.2:latest", "qwen2.5:0.5b", "mistral:7b"}
    assert set(got) == want, f"/api/ps should be the union of a, b, c's loaded models: want {want}, got {got}"
    assert len(got) == len(set(got)), f"llama3.2 is loaded on a and c; the union lists it once, got {got}"
    for e in r.json()["models"]:
        for k in ("name", "model", "size", "digest", "details", "expires_at", "size_vram"):
            assert k in e, f"/api/ps entry lacks {k!r} (Ollama's shape): {e}"


def test_version_is_lowest(cluster):
    cl = cluster(SPEC)
    r = jreq(cl.t, "GET", "/api/version")
    assert r.status == 200, r.describe()
    got = r.json().get("version")
    # string order would pick 0.11.2; numeric order picks 0.9.10
    assert got == "0.9.10", f"/api/version must be the LOWEST of 0.12.6, 0.9.10, 0.11.2 (numerically), got {got!r}"


def test_v1_models_and_single_model(cluster):
    cl = cluster(SPEC)
    r = jreq(cl.t, "GET", "/v1/models")
    assert r.status == 200, r.describe()
    body = r.json()
    assert body.get("object") == "list", body
    ids = names(body["data"], "id")
    assert sorted(ids) == sorted(ALL), f"/v1/models ids: want {sorted(ALL)}, got {sorted(ids)}"
    for d in body["data"]:
        assert d.get("object") == "model" and isinstance(d.get("created"), int) and isinstance(d.get("owned_by"), str), d
    r = jreq(cl.t, "GET", "/v1/models/phi3:mini")  # only c has it
    assert r.status == 200, f"/v1/models/phi3:mini (on c only): {r.describe()}"
    assert r.json().get("id") == "phi3:mini" and r.json().get("object") == "model", r.json()
    r = jreq(cl.t, "GET", "/v1/models/no-such-model:1b")
    assert r.status == 404, f"/v1/models/<unknown> should be 404: {r.describe()}"
    err = r.json().get("error")
    assert isinstance(err, dict) and isinstance(err.get("message"), str), f"want an OpenAI error object, got {r.json()}"


def test_answered_from_memory_not_forwarded(cluster):
    cl = cluster(SPEC)
    rid = "cat-" + uuid.uuid4().hex[:12]
    for p in ("/api/tags", "/api/ps", "/api/version", "/v1/models", "/v1/models/llama3.2:latest"):
        r = jreq(cl.t, "GET", p, headers=[("X-Request-ID", rid)])
        assert r.status == 200, f"{p}: {r.describe()}"
    time.sleep(0.1)
    for n, m in cl.mocks.items():
        fwd = [(x.method, x.target) for x in m.requests if x.header("X-Olla-Request-ID") == rid]
        assert not fwd, f"catalogue requests must be answered from memory, but mock {n} received {fwd}"


def test_hanging_instance_never_delays_catalogue(cluster):
    spec = [dict(SPEC[0]), dict(SPEC[1]), dict(SPEC[2])]
    cl = cluster(spec, overrides={"discovery": {"model_discovery": {"interval": "300ms", "timeout": "5s"}}})
    cl["c"].configure(hang=True)  # c accepts connections and reads requests, never answers anything
    worst = {}
    t_end = time.monotonic() + 1.5
    while time.monotonic() < t_end:
        for p in ("/api/tags", "/api/ps", "/api/version", "/v1/models"):
            r = jreq(cl.t, "GET", p, timeout=5)
            assert r.status == 200, f"{p} while c hangs: {r.describe()}"
            worst[p] = max(worst.get(p, 0), r.elapsed)
        time.sleep(0.05)
    slow = {p: round(t * 1000) for p, t in worst.items() if t >= 0.2}
    assert not slow, f"catalogue answers took >= 200 ms while instance c hangs (ms): {slow}"
    hung = [x.path for x in cl["c"].requests if x.outcome in ("hanging", "hung-peer-gone")]
    assert hung, "test setup: Olla never sent c a request during the window (probe/discovery expected)"
    # c is not routable any more (its probes time out): its own model leaves the catalogue,
    # models also held by a or b stay.
    def tags():
        return set(names(jreq(cl.t, "GET", "/api/tags").json()["models"]))
    gone = wait_until(lambda: "phi3:mini" not in tags(), 3.0)
    assert gone, f"phi3:mini (only on the hanging c) still listed 3 s after c stopped answering: {sorted(tags())}"
    assert {"llama3.2:latest", "mistral:7b"} <= tags(), f"models held by a/b too must stay listed: {sorted(tags())}"


def test_startup_inventory_complete_every_time(cluster):
    """Repeated start-ups: every endpoint's model list must be in the catalogue when the port
    opens (a lost /api/tags answer would leave the endpoint without models until the next
    model_discovery.interval, 5 minutes by default)."""
    bad = []
    for i in range(30):
        try:
            cluster(SPEC)  # the fixture checks the start-up inventory
        except AssertionError as e:
            lines = str(e).splitlines()
            bad.append(f"start-up {i}: " + "; ".join(ln.strip() for ln in lines[1:] if ln.startswith("  ") and not ln.startswith("assert")))
    assert not bad, f"{len(bad)} of 30 start-ups lost an endpoint's model list:\n" + "\n".join(bad)


def test_hanging_instance_goes_offline_whatever_its_discovery_does(cluster):
    """A hung instance's model discovery (each read waits up to model_discovery.timeout) must
    not starve its health probes: with one claim per endpoint for both, 2 s / 1500 ms probes
    and discovery every 300 ms, c stayed routable for more than 10 s (issue #10). Probes run
    on their own schedule, and at most one probe and one discovery read wait on c at a time."""
    from conftest import PATIENT_HEALTH
    from helpers import raw_request
    spec = [{**s, **PATIENT_HEALTH} for s in SPEC]
    cl = cluster(spec, overrides={"discovery": {"model_discovery": {"interval": "300ms", "timeout": "5s"}}})

    def state():
        r = raw_request(cl.t.host, cl.t.port, "GET", "/internal/status/endpoints", timeout=5)
        assert r.status == 200, r.describe()
        return {e["name"]: e["status"] for e in r.json()["endpoints"]}["c"]

    time.sleep(0.5)  # discovery rounds are running
    cl["c"].configure(hang=True)
    t0 = time.monotonic()
    most = {"probe": 0, "discovery": 0}
    went_offline = None
    # the worst case: a probe succeeded just before the hang; the next one comes 2 s later
    # and times out after 1.5 s (late: c answered just before), the re-probe 1 s after that
    # times out too: offline after 6 s
    while time.monotonic() < t0 + 8.0:
        waiting = [x.path for x in cl["c"].requests if x.outcome == "hanging"]
        most["probe"] = max(most["probe"], sum(1 for p in waiting if p == "/"))
        most["discovery"] = max(most["discovery"], sum(1 for p in waiting if p != "/"))
        if went_offline is None and state() == "offline":
            went_offline = time.monotonic() - t0
        time.sleep(0.1)
    assert went_offline is not None, (
        f"c hangs: it should be offline within check_interval + 2 x check_timeout + 1 s (the re-probe "
        f"after a late probe) = 6 s plus slack, still {state()} after 8 s: its probes were starved")
    assert most["probe"] <= 1 and most["discovery"] <= 1, (
        f"requests waiting on the hung c at once (at most one probe and one discovery read): {most}")
    r = jreq(cl.t, "POST", "/api/chat", {"model": "phi3:mini", "stream": False,
                                         "messages": [{"role": "user", "content": "hi"}]})
    assert r.status == 503 and "c (offline: probe timed out)" in r.json()["error"], r.describe()

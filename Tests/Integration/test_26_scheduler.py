"""Scenario 26: the residency-aware scheduler (docs/routing.md "The residency-aware scheduler"):
late binding in Olla's hold queue, its bounds, clients leaving it, priority tiers as the docs'
example says (routing.md's and configuration.md's), an instance that streams while its probe times
out stays busy, not offline, and the metrics of the loads Olla caused and of its estimates' error."""
import json
import re
import socket
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from conftest import PATIENT_HEALTH, endpoint_ex
from fleet_ollama import FleetOllama
from helpers import PromText, jreq, raw_request, wait_until

pytestmark = pytest.mark.daemon_only

MODEL = "llama3.2:3b"
REPO = Path(__file__).resolve().parent.parent.parent


def chat(tokens: int, model: str = MODEL) -> dict:
    return {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": True,
            "options": {"num_predict": tokens}}


def preload(inst: FleetOllama, model: str = MODEL):
    """An empty prompt only loads (Ollama's done_reason "load"): the model is resident before Olla starts."""
    import urllib.request
    req = urllib.request.Request(inst.url + "/api/generate", data=json.dumps({"model": model}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        r.read()


@pytest.fixture
def fleet():
    started = []

    def make(*specs):
        out = []
        for name, kw in specs:
            inst = FleetOllama(name, [MODEL], **kw)
            inst.start()
            started.append(inst)
            out.append(inst)
        return out
    yield make
    for inst in started:
        inst.stop()


def start_olla(olla_factory, instances, overrides=None, **endpoint_keys):
    # Health is not under test here: patient probes, so a loaded machine cannot take an
    # instance offline and change where the scheduler sends requests.
    eps = [endpoint_ex(i.name, i.url, **PATIENT_HEALTH, **endpoint_keys) for i in instances]
    cfg = {"proxy": {"load_balancer": "residency-aware"}}
    for key, value in (overrides or {}).items():
        cfg.setdefault(key, {}).update(value)
    return olla_factory.start(endpoints=eps, overrides=cfg)


def in_thread(fn, *args):
    box = {}

    def run():
        try:
            box["r"] = fn(*args)
        except Exception as e:  # pragma: no cover - reported by the caller
            box["e"] = e
    th = threading.Thread(target=run, daemon=True)
    th.start()
    return th, box


def test_late_binding_gives_a_held_request_to_the_first_instance_that_frees(fleet, olla_factory):
    a, b = fleet(("a", {"max_loaded": 1, "load_s": 0.2, "s_per_token": 0.05}),
                 ("b", {"max_loaded": 1, "load_s": 0.2, "s_per_token": 0.05}))
    preload(a)
    preload(b)
    d = start_olla(olla_factory, [a, b], num_parallel=1, max_loaded_models=1)
    # Two long generations take both slots: 100 tokens on a (5 s), 8 tokens on b (0.4 s).
    # Each starts once the previous one reached its instance (preload was request 1).
    t1, r1 = in_thread(jreq, d.target, "POST", "/api/chat", chat(100))
    assert wait_until(lambda: a.stats.requests >= 2, 10, 0.01), "the first chat never reached a"
    t2, r2 = in_thread(jreq, d.target, "POST", "/api/chat", chat(8))
    assert wait_until(lambda: b.stats.requests >= 2, 10, 0.01), "the second chat never reached b"
    # Both are busy: the third is held in Olla, not queued inside either instance, and goes to
    # b, which frees first (a request sent at once to a would have waited ~2 s there).
    t0 = time.monotonic()
    r3 = jreq(d.target, "POST", "/api/chat", chat(4))
    took = time.monotonic() - t0
    for th in (t1, t2):
        th.join(15)
    assert r1["r"].header("X-Olla-Endpoint") == "a" and r2["r"].header("X-Olla-Endpoint") == "b", (
        r1["r"].headers, r2["r"].headers)
    assert r3.status == 200 and r3.complete, r3.describe()
    assert r3.header("X-Olla-Endpoint") == "b", r3.headers
    reason = r3.header("X-Olla-Routing-Reason")
    assert reason.startswith("held ") and "loaded on b" in reason, reason
    # Timing is the point: b frees ~0.4 s after its chat began, a only ~5 s after its own;
    # 3 s tells the two apart with room for a loaded machine's stalls.
    assert took < 3.0, f"the held request took {took:.2f}s; b freed after ~0.4 s, a after ~5 s"
    assert a.stats.to_dict()["requests"] == 2, "preload and the first chat only: the held request never reached a"


def test_hold_queue_bounds_answer_503_with_retry_after(fleet, olla_factory):
    (a,) = fleet(("a", {"max_loaded": 1, "load_s": 0.2, "s_per_token": 0.05}))
    preload(a)
    d = start_olla(olla_factory, [a], num_parallel=1,
                   overrides={"proxy": {"scheduler": {"queue_length": 1, "queue_timeout": "2s"}}})
    t1, r1 = in_thread(jreq, d.target, "POST", "/api/chat", chat(100))  # 5 s on the only slot
    assert wait_until(lambda: a.stats.requests >= 2, 10, 0.01), "the first chat never reached a"
    t2, r2 = in_thread(jreq, d.target, "POST", "/api/chat", chat(2))    # held (queue of 1)

    def held():
        return json.loads(_get(d, "/internal/status/models"))["held"]
    assert wait_until(lambda: held() == [{"model": "llama3.2:3b", "count": 1}], 10, 0.01), held()
    full = jreq(d.target, "POST", "/api/chat", chat(2))                 # queue full: at once
    assert full.status == 503, full.describe()
    assert full.header("Retry-After") and int(full.header("Retry-After")) >= 1, full.headers
    assert "too many requests waiting for model" in full.json()["error"], full.body
    # Timing is the point: a refusal that waited in the queue would take its 2 s timeout;
    # 1 s tells the two apart with room for a loaded machine's stalls.
    assert full.elapsed < 1.0, f"a refusal for a full queue must be immediate, took {full.elapsed:.2f}s"
    # Calls that need no slot never wait, even with the model's queue full (held, it would
    # wait the 2 s queue timeout; 1 s as above).
    show = jreq(d.target, "POST", "/api/show", {"model": MODEL})
    assert show.status == 200 and show.elapsed < 1.0, f"/api/show must not be held: {show.describe()} in {show.elapsed:.2f}s"
    # The held one passes its 2 s bound (a frees only after 5 s): 503, Retry-After, Ollama's error shape.
    t2.join(10)
    late = r2["r"]
    assert late.status == 503 and late.header("Retry-After"), late.describe()
    assert set(late.json()) == {"error"} and "within 2s" in late.json()["error"], late.body
    # On /v1 the refusal is in OpenAI's shape.
    v1 = jreq(d.target, "POST", "/v1/chat/completions",
              {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]})
    assert v1.status in (200, 503), v1.describe()
    t1.join(15)
    assert r1["r"].status == 200 and r1["r"].complete


def test_a_client_that_leaves_while_held_is_removed_at_once(fleet, olla_factory):
    (a,) = fleet(("a", {"max_loaded": 1, "load_s": 0.2, "s_per_token": 0.05}))
    preload(a)
    d = start_olla(olla_factory, [a], num_parallel=1)
    t1, r1 = in_thread(jreq, d.target, "POST", "/api/chat", chat(100))  # 5 s on the only slot
    assert wait_until(lambda: a.stats.requests >= 2, 10, 0.01), "the first chat never reached a"
    body = json.dumps(chat(2)).encode()
    s = socket.create_connection((d.target.host, d.target.port))
    s.sendall((f"POST {d.target.path('/api/chat')} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body)

    def status():
        return json.loads(_get(d, "/internal/status/models"))
    assert wait_until(lambda: status()["held"] == [{"model": "llama3.2:3b", "count": 1}], 10), status()["held"]
    s.close()
    # "At once": a leaves the slot only after ~5 s; 2 s is room for a loaded machine.
    assert wait_until(lambda: status()["held"] == [], 2), f"still held after the client left: {status()['held']}"
    t1.join(15)
    time.sleep(0.3)
    assert a.stats.to_dict()["requests"] == 2, "preload and the first chat only: the request whose client left never reached a"


def _get(d, path: str) -> bytes:
    import urllib.request
    with urllib.request.urlopen(f"http://{d.target.host}:{d.target.port}{path}", timeout=5) as r:
        return r.read()


def _example_spec(example: dict) -> list:
    """The cluster of a docs example: its endpoints' keys as written, each with llama3.2 loaded
    and patient probes (a probe missed on a loaded machine would hand chats to the fallback)."""
    spec = []
    for ep in example["discovery"]["static"]["endpoints"]:
        item = {k: v for k, v in ep.items() if k not in ("url", "type")}
        item.update({"models": ["llama3.2"], "loaded": ["llama3.2"], **PATIENT_HEALTH})
        spec.append(item)
    return spec


def _serves(cl, name: str) -> bool:
    """Whether a chat goes to `name` within 10 s (the others' outage seen by their probes)."""
    return wait_until(lambda: jreq(cl.t, "POST", "/api/chat", {"model": "llama3.2", "stream": False,
                                                             "messages": [{"role": "user", "content": "x"}]}
                                   ).header("X-Olla-Endpoint") == name, 10, 0.2)


def _three_clients_chat(cl) -> tuple[Counter, list]:
    """Three clients at once, three streamed chats each (0.4 s per answer): where the nine
    went (by X-Olla-Endpoint), and the answers that were not 200."""
    got = Counter()
    errors = []

    def client(n):
        for i in range(3):
            r = jreq(cl.t, "POST", "/api/chat", {"model": "llama3.2", "stream": True,
                                                "messages": [{"role": "user", "content": f"{n}-{i}"}]},
                     headers=[("X-Mock-Chunks", "4"), ("X-Mock-Chunk-Delay-Ms", "100")], timeout=15)
            if r.status != 200:
                errors.append(r.describe())
            got[r.header("X-Olla-Endpoint")] += 1
    threads = [threading.Thread(target=client, args=(n,)) for n in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    return got, errors


def docs_example(page: str, heading: str) -> dict:
    """The first JSON block after `heading` in docs/`page`, as written there."""
    text = (REPO / "docs" / page).read_text()
    section = text[text.index(heading):]
    return json.loads(re.search(r"```json\n(.*?)\n```", section, re.S).group(1))


def test_docs_fallback_example_laptop_serves_only_when_needed(cluster):
    example = docs_example("routing.md", "## Example: three instances")
    spec = _example_spec(example)
    overrides = {"proxy": example["proxy"], "model_registry": {"routing_strategy": {"type": "strict"}}}
    cl = cluster(spec, overrides=overrides)
    got, errors = _three_clients_chat(cl)
    assert not errors, errors
    assert sum(got.values()) == 9 and got["laptop"] == 0, f"three clients, nine chats: the laptop is a fallback: {dict(got)}"
    # With both higher-priority instances down, the laptop serves.
    cl["gpu-box"].stop()
    cl["workstation"].stop()
    assert _serves(cl, "laptop"), "with gpu-box and workstation down the laptop must serve"


def test_configuration_fallback_example_workstation_serves_only_when_the_gpu_box_cannot(cluster):
    # configuration.md's "A GPU box with a workstation as fallback", as written (the default
    # balancer, its proxy keys and priorities): three clients at once all go to the GPU box,
    # queueing there rather than spilling over; with the GPU box down the workstation serves.
    example = docs_example("configuration.md", "A GPU box with a workstation as fallback")
    spec = _example_spec(example)
    cl = cluster(spec, overrides={"proxy": example["proxy"]})
    got, errors = _three_clients_chat(cl)
    assert not errors, errors
    assert sum(got.values()) == 9 and got["workstation"] == 0, (
        f"three clients, nine chats: the workstation is a fallback: {dict(got)}")
    cl["gpu-box"].stop()
    assert _serves(cl, "workstation"), "with the GPU box down the workstation must serve"


def test_metrics_count_the_loads_olla_caused_and_the_error_of_its_estimates(fleet, olla_factory):
    # Nothing loaded: the first chat loads the model (0.3 s, reported in load_duration) where
    # Olla expected default_load_time (5 s): a cold load caused, an estimate ~4.7 s off.
    # The second finds it loaded and free: estimated 0, no load.
    (a,) = fleet(("a", {"max_loaded": 1, "load_s": 0.3, "s_per_token": 0.01}))
    d = start_olla(olla_factory, [a], num_parallel=1, max_loaded_models=1,
                   overrides={"proxy": {"scheduler": {"default_load_time": "5s"}}})
    for _ in range(2):
        r = jreq(d.target, "POST", "/api/chat", chat(3))
        assert r.status == 200 and r.complete, r.describe()

    def scrape() -> PromText:
        m = raw_request("127.0.0.1", d.port, "GET", "/internal/metrics", timeout=5)
        assert m.status == 200, m.describe()
        return PromText(m.body.decode())
    # Both are counted once their exchanges complete (just after the client's last byte).
    assert wait_until(lambda: scrape().value("olla_scheduler_wait_error_seconds_count") == 2, 5, 0.05), (
        scrape().show("olla_scheduler_wait_error_seconds"))
    p = scrape()
    assert p.value("olla_scheduler_cold_loads_total", endpoint="a") == 1, p.show("olla_scheduler_cold_loads_total")
    # The first estimate was 5 s against ~0.3 s (more on a loaded machine); the second ~0.
    error = p.value("olla_scheduler_wait_error_seconds_sum")
    assert 2.5 < error < 5.0, p.show("olla_scheduler_wait_error_seconds")


def test_probe_timeout_while_streaming_is_busy_not_offline(cluster):
    cl = cluster([{"name": "solo", "models": ["llama3.2"], "loaded": ["llama3.2"],
                   "check_interval": "500ms", "check_timeout": "200ms"}],
                 overrides={"proxy": {"load_balancer": "residency-aware"}})
    # The health route answers only after 1 s (as llama.cpp's waits behind a generation),
    # while a 3 s stream runs.
    cl["solo"].add_rule(path="/", method="GET", head_delay_ms=1000)
    th, box = in_thread(jreq, cl.t, "POST", "/api/chat",
                        {"model": "llama3.2", "stream": True, "messages": [{"role": "user", "content": "long"}]},
                        [("X-Mock-Chunks", "30"), ("X-Mock-Chunk-Delay-Ms", "100")], 15)
    states = []
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        eps = json.loads(_get(cl.daemon, "/internal/status/endpoints"))
        states.append(eps["endpoints"][0]["status"] if "endpoints" in eps else eps)
        time.sleep(0.1)
    assert "offline" not in states and "busy" in states, f"states while streaming: {states}"
    # A request for the model meanwhile is served (it waits for the busy instance), not refused.
    r = jreq(cl.t, "POST", "/api/chat", {"model": "llama3.2", "stream": False,
                                         "messages": [{"role": "user", "content": "short"}]}, timeout=15)
    assert r.status == 200, r.describe()
    th.join(15)
    assert box["r"].status == 200 and box["r"].complete

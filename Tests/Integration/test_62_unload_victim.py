"""Scenario 62: Olla chooses what a load evicts (docs/routing.md "Olla chooses the victim").

One instance with room for two models offers qwen2.5, phi3 and gemma2. qwen2.5 is wanted most
(the placement plan keeps it there); phi3 and gemma2 take turns in the second slot. qwen2.5 is
resident but idle longest, so Ollama, asked for gemma2, would evict it (its least recently used
idle model). With `proxy.scheduler.unload_victims` on, Olla first sends the
instance `{"model": "phi3:mini", "keep_alive": 0}` (Ollama's unload), waits for the answer, then
the request: the mock shows the unload arriving before gemma2's load, and qwen2.5 survives.
Turned off, Ollama's own choice evicts qwen2.5."""
import pytest

from conftest import PATIENT_HEALTH, endpoint_ex
from fleet_ollama import FleetOllama
from helpers import PromText, jreq, raw_request, wait_until

pytestmark = pytest.mark.daemon_only

KEPT, TURN, ASKING = "qwen2.5:7b", "phi3:mini", "gemma2:2b"


def chat(model: str) -> dict:
    return {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": True,
            "options": {"num_predict": 2}}


@pytest.fixture
def instance():
    inst = FleetOllama("a", [KEPT, TURN, ASKING], max_loaded=2, load_s=0.2, s_per_token=0.01)
    inst.start()
    yield inst
    inst.stop()


def start(olla_factory, inst, unload_victims=None):
    scheduler = {} if unload_victims is None else {"unload_victims": unload_victims}
    return olla_factory.start(
        endpoints=[endpoint_ex(inst.name, inst.url, **PATIENT_HEALTH, num_parallel=1, max_loaded_models=2)],
        overrides={"proxy": {"load_balancer": "residency-aware", "scheduler": scheduler}})


def ask(d, model: str):
    r = jreq(d.target, "POST", "/api/chat", chat(model))
    assert r.status == 200 and r.complete, r.describe()
    return r


def fill(d):
    """qwen2.5 three times, then phi3: both resident, qwen2.5 idle longest."""
    for model in (KEPT, KEPT, KEPT, TURN):
        ask(d, model)


def test_olla_unloads_the_turn_before_the_load_and_the_kept_model_survives(instance, olla_factory):
    d = start(olla_factory, instance, unload_victims=True)
    fill(d)
    assert set(instance.runners) == {KEPT, TURN}
    r = ask(d, ASKING)
    reason = r.header("X-Olla-Routing-Reason")
    assert f"after unloading {TURN}" in reason, reason
    # The unload arrived before gemma2's load started, and evicted nothing else.
    assert [m for _, m in instance.unload_log] == [TURN], instance.unload_log
    loads = {m: t for t, m in instance.load_log}
    assert instance.unload_log[0][0] < loads[ASKING], (instance.unload_log, instance.load_log)
    assert set(instance.runners) == {KEPT, ASKING}, instance.runners
    assert instance.evict_log == [], instance.evict_log
    assert [m for _, m in instance.load_log] == [KEPT, TURN, ASKING], instance.load_log
    # The kept model answers without a load.
    ask(d, KEPT)
    assert len(instance.load_log) == 3, instance.load_log

    def scrape() -> PromText:
        m = raw_request("127.0.0.1", d.port, "GET", "/internal/metrics", timeout=5)
        assert m.status == 200, m.describe()
        return PromText(m.body.decode())
    p = scrape()
    assert p.value("olla_scheduler_unloads_total", endpoint="a") == 1, p.show("olla_scheduler_unloads_total")


def test_turned_off_ollama_evicts_its_least_recently_used_model(instance, olla_factory):
    d = start(olla_factory, instance, unload_victims=False)
    fill(d)
    ask(d, ASKING)
    assert instance.unload_log == [], instance.unload_log
    assert [m for _, m in instance.evict_log] == [KEPT], instance.evict_log
    assert wait_until(lambda: set(instance.runners) == {TURN, ASKING}, 5, 0.05), instance.runners

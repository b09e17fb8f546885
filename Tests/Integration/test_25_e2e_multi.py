"""Scenario 25: the real `ollama` and `openai` Python clients against three instances through
one Olla: the merged catalogue, model-routed chat/generate streams, Ollama's errors."""
import ollama
import openai
import pytest

from conftest import PATIENT_HEALTH
from mock_ollama import tokens_for

pytestmark = pytest.mark.daemon_only

# Health is not under test here: patient probes, so a busy machine cannot mark an idle mock
# offline (a missed 200 ms probe turned a chat into a 503 under a loaded full-suite run).
SPEC = [
    {"name": "a", "models": ["llama3.2", "qwen2.5:0.5b"], "loaded": ["llama3.2:latest"], **PATIENT_HEALTH},
    {"name": "b", "models": ["qwen2.5:0.5b", "nomic-embed-text"], "loaded": [], **PATIENT_HEALTH},
    {"name": "c", "models": ["nomic-embed-text", "mistral:7b"], "loaded": ["mistral:7b"], **PATIENT_HEALTH},
]
ALL = {"llama3.2:latest", "qwen2.5:0.5b", "nomic-embed-text:latest", "mistral:7b"}
MSGS = [{"role": "user", "content": "Why is the sky blue?"}]
TEXT = "".join(tokens_for(5))


@pytest.fixture
def cl(cluster):
    return cluster(SPEC)


@pytest.fixture
def oc(cl):
    return ollama.Client(host=cl.t.base, timeout=20)


@pytest.fixture
def oai(cl):
    return openai.OpenAI(base_url=cl.t.base + "/v1", api_key="x", max_retries=0, timeout=20)


def test_ollama_list_ps_show(cl, oc):
    got = {m.model for m in oc.list().models}
    assert got == ALL, f"ollama list through Olla: want the union of a, b, c {sorted(ALL)}, got {sorted(got)}"
    got = {m.model for m in oc.ps().models}
    assert got == {"llama3.2:latest", "mistral:7b"}, f"ollama ps: want the union of loaded models, got {sorted(got)}"
    s = oc.show("mistral:7b")  # only c has it
    assert s.details.family == "mistral" and "completion" in (s.capabilities or []), s
    assert len(cl.client_requests("c", "/api/show")) == 1 and not cl.client_requests("a", "/api/show")


def test_ollama_chat_and_generate_streams_routed(cl, oc):
    parts = list(oc.chat(model="mistral:7b", messages=MSGS, stream=True))
    assert "".join(p.message.content for p in parts) == TEXT and parts[-1].done, parts
    assert len(cl.client_requests("c", "/api/chat")) == 1, "mistral:7b is only on c"
    parts = list(oc.generate(model="llama3.2", prompt="hello", stream=True))
    assert "".join(p.response for p in parts) == TEXT and parts[-1].done and parts[-1].eval_count == 5, parts
    assert len(cl.client_requests("a", "/api/generate")) == 1, "llama3.2 is only on a"
    r = oc.chat(model="qwen2.5:0.5b", messages=MSGS)
    assert r.message.content == TEXT
    e = oc.embed(model="nomic-embed-text", input=["x", "y"])
    assert len(e.embeddings) == 2
    assert not cl.client_requests("a", "/api/embed"), "nomic-embed-text is on b and c, not a"


def test_ollama_unknown_model_error(cl, oc):
    with pytest.raises(ollama.ResponseError) as ei:
        oc.chat(model="ghost:1b", messages=MSGS)
    assert ei.value.status_code == 404 and ei.value.error == 'model "ghost:1b" not found, try pulling it first', (
        f"status {ei.value.status_code}, error {ei.value.error!r}")
    with pytest.raises(ollama.ResponseError) as ei:
        list(oc.generate(model="ghost:1b", prompt="x", stream=True))
    assert ei.value.status_code == 404, ei.value


def test_openai_models_and_chat_stream(cl, oai):
    ids = {m.id for m in oai.models.list()}
    assert ids == ALL, f"OpenAI models.list through Olla: want {sorted(ALL)}, got {sorted(ids)}"
    m = oai.models.retrieve("mistral:7b")
    assert m.id == "mistral:7b", m
    stream = oai.chat.completions.create(model="mistral:7b", messages=MSGS, stream=True)
    text = "".join((ch.choices[0].delta.content or "") for ch in stream if ch.choices)
    assert text == TEXT, text
    assert len(cl.client_requests("c", "/v1/chat/completions")) == 1
    r = oai.chat.completions.create(model="llama3.2", messages=MSGS)
    assert r.choices[0].message.content == TEXT
    assert len(cl.client_requests("a", "/v1/chat/completions")) == 1
    with pytest.raises(openai.NotFoundError):
        oai.chat.completions.create(model="ghost:1b", messages=MSGS)

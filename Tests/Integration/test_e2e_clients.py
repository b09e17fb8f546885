"""End to end with the real client libraries: the `ollama` and `openai` Python SDKs get the
same parsed objects through Olla as when talking to the backend directly."""
import ollama
import openai
import pytest

from helpers import strip_keys

# The mock is deterministic (fixed timestamps, ids derived from the request body), so
# nothing legitimately differs; this set is for fields a real backend would vary.
VOLATILE = {"created_at", "created", "id", "expires_at"}

CHAT_MSGS = [{"role": "user", "content": "Why is the sky blue?"}]


def dump(obj):
    if hasattr(obj, "model_dump"):
        obj = obj.model_dump()
    return strip_keys(obj, VOLATILE)


@pytest.fixture
def clients(olla, mock):
    via = ollama.Client(host=olla.base, timeout=20)
    direct = ollama.Client(host=mock.url, timeout=20)
    return via, direct


@pytest.fixture
def oai(olla, mock):
    via = openai.OpenAI(base_url=olla.base + "/v1", api_key="x", max_retries=0, timeout=20)
    direct = openai.OpenAI(base_url=mock.url + "/v1", api_key="x", max_retries=0, timeout=20)
    return via, direct


def same(call):
    """Run ``call(client)`` via Olla and directly; assert equal parsed results."""
    def run(pair):
        via, direct = pair
        a, b = dump(call(via)), dump(call(direct))
        assert a == b, f"through Olla:\n{a}\ndirect:\n{b}"
        return a
    return run


# --------------------------------------------------------------------------------------
# ollama SDK
# --------------------------------------------------------------------------------------

def test_ollama_list(clients):
    got = same(lambda c: c.list())(clients)
    assert [m["model"] for m in got["models"]][:2] == ["llama3.2:latest", "qwen2.5:0.5b"]


def test_ollama_show(clients):
    got = same(lambda c: c.show("llama3.2"))(clients)
    assert got["details"]["family"] == "llama"


def test_ollama_ps(clients):
    got = same(lambda c: c.ps())(clients)
    assert got["models"][0]["name"] == "llama3.2:latest"


def test_ollama_chat(clients):
    got = same(lambda c: c.chat(model="llama3.2", messages=CHAT_MSGS))(clients)
    assert got["done"] is True and got["message"]["content"]


def test_ollama_chat_stream(clients):
    got = same(lambda c: [p.model_dump() for p in c.chat(model="llama3.2", messages=CHAT_MSGS, stream=True)])(clients)
    assert len(got) == 6 and got[-1]["done"] is True


def test_ollama_generate(clients):
    got = same(lambda c: c.generate(model="llama3.2", prompt="hello"))(clients)
    assert got["response"] and got["eval_count"] == 5


def test_ollama_generate_stream(clients):
    got = same(lambda c: [p.model_dump() for p in c.generate(model="llama3.2", prompt="hello", stream=True)])(clients)
    assert "".join(p["response"] for p in got).strip()


def test_ollama_embed(clients):
    got = same(lambda c: c.embed(model="nomic-embed-text", input=["a", "b"]))(clients)
    assert len(got["embeddings"]) == 2


def test_ollama_embeddings(clients):
    got = same(lambda c: c.embeddings(model="nomic-embed-text", prompt="a"))(clients)
    assert len(got["embedding"]) == 8


def test_ollama_pull_stream(fresh):
    mock, target = fresh

    def call(c):
        out = [p.model_dump() for p in c.pull("tinyllama", stream=True)]
        mock.reset()
        return out
    got = same(call)((ollama.Client(host=target.base, timeout=20), ollama.Client(host=mock.url, timeout=20)))
    assert got[-1]["status"] == "success"


@pytest.mark.parametrize("op", ["show", "chat", "generate"])
def test_ollama_404_is_response_error(clients, op):
    via, direct = clients

    def call(c):
        with pytest.raises(ollama.ResponseError) as ei:
            if op == "show":
                c.show("no-such-model")
            elif op == "chat":
                c.chat(model="no-such-model", messages=CHAT_MSGS)
            else:
                list(c.generate(model="no-such-model", prompt="x", stream=True))
        return ei.value

    ev, ed = call(via), call(direct)
    assert ev.status_code == 404, f"status_code {ev.status_code}"
    assert ev.error == ed.error, f"error text through Olla {ev.error!r}, direct {ed.error!r}"


# --------------------------------------------------------------------------------------
# openai SDK
# --------------------------------------------------------------------------------------

def test_openai_models_list(oai):
    got = same(lambda c: [m.model_dump() for m in c.models.list()])(oai)
    assert got[0]["object"] == "model"


def test_openai_models_retrieve(oai):
    same(lambda c: c.models.retrieve("llama3.2"))(oai)


def test_openai_chat(oai):
    got = same(lambda c: c.chat.completions.create(model="llama3.2", messages=CHAT_MSGS))(oai)
    assert got["choices"][0]["message"]["content"]


def test_openai_chat_stream(oai):
    def call(c):
        return [ch.model_dump() for ch in c.chat.completions.create(
            model="llama3.2", messages=CHAT_MSGS, stream=True, stream_options={"include_usage": True})]
    got = same(call)(oai)
    assert got[-1]["usage"]["completion_tokens"] == 5
    assert "".join((ch["choices"][0]["delta"]["content"] or "") for ch in got if ch["choices"]).strip()


def test_openai_completions(oai):
    got = same(lambda c: c.completions.create(model="llama3.2", prompt="hello"))(oai)
    assert got["choices"][0]["text"]


def test_openai_completions_stream(oai):
    got = same(lambda c: [ch.model_dump() for ch in c.completions.create(model="llama3.2", prompt="hi",
                                                                         stream=True)])(oai)
    assert got[-1]["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize("fmt", ["float", None])
def test_openai_embeddings(oai, fmt):
    kw = {"encoding_format": fmt} if fmt else {}  # the SDK asks for base64 by default
    got = same(lambda c: c.embeddings.create(model="nomic-embed-text", input=["a", "b"], **kw))(oai)
    assert len(got["data"]) == 2 and len(got["data"][0]["embedding"]) == 8


def test_openai_error_is_sdk_error(oai):
    via, direct = oai
    errs = []
    for c in (via, direct):
        with pytest.raises(openai.NotFoundError) as ei:
            c.chat.completions.create(model="no-such-model", messages=CHAT_MSGS)
        errs.append(ei.value)
    ev, ed = errs
    assert ev.status_code == 404
    assert ev.body == ed.body, f"error body through Olla {ev.body!r}, direct {ed.body!r}"


def test_openai_error_stream(oai):
    via, _ = oai
    with pytest.raises(openai.NotFoundError):
        for _ in via.chat.completions.create(model="no-such-model", messages=CHAT_MSGS, stream=True):
            pass

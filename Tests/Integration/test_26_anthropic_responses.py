"""Scenario 26: Anthropic Messages, OpenAI Responses and every route that names a model.

A fleet where each model lives on exactly one instance. The real `anthropic` and `openai`
SDKs talk to Olla (ANTHROPIC_BASE_URL = .../olla/ollama, the SDK appends /v1/messages) and
must reach the one holder, with Olla's X-Olla-* headers; errors Olla makes itself use each
API's own shape, so the SDKs raise their own exception classes; a stream that breaks ends
with an error event in its own framing; token counts reach the metrics. docs/api.md "Routes".
"""
import json
import time
import urllib.request
import uuid

import anthropic
import openai
import pytest

from conftest import PATIENT_HEALTH
from helpers import PromText, RawClient, jreq, wait_until

pytestmark = pytest.mark.daemon_only

# Health is not under test here: probes patient enough not to mark idle mocks offline
# while a shared machine is busy.
RELAXED = PATIENT_HEALTH
SPEC = [
    {"name": "a", "models": ["qwen2.5:0.5b"], **RELAXED},
    {"name": "b", "models": ["llama3.2"], **RELAXED},
    {"name": "c", "models": ["mistral:7b"], **RELAXED},
]
MODEL, HOLDER = "llama3.2", "b"
TOOL = {"name": "get_weather", "description": "Weather of a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


def mark() -> str:
    return "m-" + uuid.uuid4().hex[:12]


def anthropic_client(cl, **kw) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=cl.t.base, api_key="unused", max_retries=0, **kw)


def openai_client(cl) -> openai.OpenAI:
    return openai.OpenAI(base_url=cl.t.base + "/v1", api_key="unused", max_retries=0)


def only_holder_got(cl, path: str, marker: str, holder: str = HOLDER):
    got = {n: c for n, c in cl.who_got(path, "POST", marker).items() if c}
    assert got == {holder: 1}, f"POST {path}: exactly one request to {holder} expected, instances that got it: {got}"


def raw_stream(cl, path: str, body: dict, headers=()):
    with RawClient(cl.t.host, cl.t.port, timeout=20) as c:
        c.send_request("POST", cl.t.path(path), [("Content-Type", "application/json")] + list(headers),
                       json.dumps(body).encode())
        resp = c.read_head(20)
        c.read_body(resp, 20)
    return resp


def named_events(resp) -> list:
    """[(event name, data dict)] of an `event:`-named SSE body."""
    out = []
    for block in resp.body.decode().split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line)
        out.append((fields.get("event"), json.loads(fields["data"])))
    return out


def test_anthropic_sdk_reaches_the_one_holder(cluster, monkeypatch):
    cl = cluster(SPEC)
    # the way Claude Code is pointed at Olla: the SDK appends /v1/messages itself
    monkeypatch.setenv("ANTHROPIC_BASE_URL", cl.t.base)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "unused")
    client = anthropic.Anthropic(max_retries=0)
    mk = mark()
    raw = client.messages.with_raw_response.create(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "Why is the sky blue?"}],
        extra_headers={"X-Test-Marker": mk})
    msg = raw.parse()
    assert raw.headers.get("X-Olla-Endpoint") == HOLDER, dict(raw.headers)
    assert raw.headers.get("X-Olla-Model") == MODEL
    assert raw.headers.get("X-Olla-Routing-Decision") == "routed", dict(raw.headers)
    assert msg.type == "message" and msg.content[0].type == "text" and msg.content[0].text
    assert msg.usage.output_tokens == 5 and msg.stop_reason == "end_turn"
    only_holder_got(cl, "/v1/messages", mk)


def test_anthropic_stream_passes_event_by_event(cluster):
    cl = cluster(SPEC)
    client = anthropic_client(cl)
    mk = mark()
    with client.messages.stream(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "Count"}],
                                extra_headers={"X-Test-Marker": mk, "X-Mock-Chunks": "7"}) as stream:
        assert stream.response.headers.get("X-Olla-Endpoint") == HOLDER
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text and final.content[0].text == text
    assert final.usage.output_tokens == 7 and final.stop_reason == "end_turn"
    only_holder_got(cl, "/v1/messages", mk)

    # one event per chunk, each passed on as the backend writes it: with 150 ms between the
    # backend's deltas, the client sees each delta ~150 ms after the previous one
    body = {"model": MODEL, "max_tokens": 64, "stream": True, "messages": [{"role": "user", "content": "x"}]}
    for attempt in range(2):  # one retry for a scheduling hiccup on a loaded machine
        with RawClient(cl.t.host, cl.t.port, timeout=20) as c:
            c.send_request("POST", cl.t.path("/v1/messages"),
                           [("Content-Type", "application/json"), ("X-Mock-Chunks", "4"),
                            ("X-Mock-Chunk-Delay-Ms", "150")], json.dumps(body).encode())
            resp = c.read_head(20)
            pieces = [(t, data) for t, data in c.iter_body(resp, 20)]
        deltas = [t for t, data in pieces if b"content_block_delta" in data]
        gaps = [b - a for a, b in zip(deltas, deltas[1:])]
        if len(deltas) == 4 and all(0.08 < g < 0.4 for g in gaps):
            break
    assert len(deltas) == 4 and all(0.08 < g < 0.4 for g in gaps), (
        f"content_block_delta events should arrive one by one, ~150 ms apart: gaps ms "
        f"{[round(g * 1000) for g in gaps]} over {len(pieces)} pieces")
    names = [n for n, _ in named_events(resp)]
    assert names[:3] == ["message_start", "ping", "content_block_start"], names
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"], names


def test_anthropic_tool_call_round_trip(cluster):
    cl = cluster(SPEC)
    client = anthropic_client(cl)
    question = {"role": "user", "content": "Weather in Paris?"}
    first = client.messages.create(model=MODEL, max_tokens=64, tools=[TOOL], messages=[question])
    assert first.stop_reason == "tool_use", first
    call = next(b for b in first.content if b.type == "tool_use")
    assert call.name == "get_weather" and call.input == {"city": "mock-city"}
    answer = client.messages.create(model=MODEL, max_tokens=64, tools=[TOOL], messages=[
        question, {"role": "assistant", "content": [b.model_dump() for b in first.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "sunny"}]}])
    assert answer.stop_reason == "end_turn" and "sunny" in answer.content[0].text, answer
    # streamed, the tool input arrives as input_json_delta pieces the SDK reassembles
    with client.messages.stream(model=MODEL, max_tokens=64, tools=[TOOL], messages=[question]) as stream:
        final = stream.get_final_message()
    streamed = next(b for b in final.content if b.type == "tool_use")
    assert streamed.input == {"city": "mock-city"} and final.stop_reason == "tool_use"
    assert {n: c for n, c in cl.who_got("/v1/messages", "POST").items() if c} == {HOLDER: 3}


def test_unknown_model_is_the_sdks_own_not_found(cluster):
    cl = cluster(SPEC)
    mk = mark()
    with pytest.raises(anthropic.NotFoundError) as err:
        anthropic_client(cl).messages.create(model="ghost:1b", max_tokens=8, extra_headers={"X-Test-Marker": mk},
                                             messages=[{"role": "user", "content": "hi"}])
    assert err.value.body["type"] == "error", err.value.body
    assert err.value.body["error"]["type"] == "not_found_error", err.value.body
    assert "ghost:1b" in err.value.body["error"]["message"]
    assert not any(cl.who_got("/v1/messages", "POST", mk).values()), "strict routing asks no instance"
    r = jreq(cl.t, "POST", "/v1/messages", {"model": "ghost:1b", "max_tokens": 8, "messages": []})
    assert r.status == 404 and r.json()["error"]["type"] == "not_found_error", r.describe()
    assert r.json().get("request_id") == r.header("X-Olla-Request-ID"), r.describe()

    with pytest.raises(openai.NotFoundError) as oerr:
        openai_client(cl).responses.create(model="ghost:1b", input="hi")
    assert oerr.value.body["type"] == "not_found_error", oerr.value.body


def test_olla_errors_take_each_apis_shape(cluster):
    cl = cluster(SPEC, overrides={"server": {"request_limits": {"max_body_size": 4096}}})
    big = "x" * 8192
    with pytest.raises(anthropic.APIStatusError) as err:
        anthropic_client(cl).messages.create(model=MODEL, max_tokens=8, messages=[{"role": "user", "content": big}])
    assert err.value.status_code == 413
    assert err.value.body["error"]["type"] == "request_too_large", err.value.body
    with pytest.raises(openai.APIStatusError) as oerr:
        openai_client(cl).responses.create(model=MODEL, input=big)
    assert oerr.value.status_code == 413 and oerr.value.body["type"] == "invalid_request_error", oerr.value.body
    r = jreq(cl.t, "POST", "/api/chat", {"model": MODEL, "messages": [{"role": "user", "content": big}]})
    assert r.status == 413 and isinstance(r.json()["error"], str), r.describe()


def test_broken_streams_end_with_an_error_event(cluster):
    cl = cluster(SPEC)
    die = [("X-Mock-Chunks", "6"), ("X-Mock-Die-After", "2")]
    resp = raw_stream(cl, "/v1/messages", {"model": MODEL, "max_tokens": 8, "stream": True,
                                           "messages": [{"role": "user", "content": "hi"}]}, die)
    assert resp.status == 200 and resp.complete, f"stream not terminated properly: {resp.error}"
    name, data = named_events(resp)[-1]
    assert name == "error" and data["type"] == "error" and data["error"]["type"] == "api_error", (name, data)
    with pytest.raises(anthropic.APIStatusError):
        with anthropic_client(cl).messages.stream(model=MODEL, max_tokens=8, extra_headers=dict(die),
                                                  messages=[{"role": "user", "content": "hi"}]) as stream:
            for _ in stream.text_stream:
                pass

    resp = raw_stream(cl, "/v1/responses", {"model": MODEL, "input": "hi", "stream": True}, die)
    assert resp.status == 200 and resp.complete, f"stream not terminated properly: {resp.error}"
    events = named_events(resp)
    name, data = events[-1]
    assert name == "error" and data["type"] == "error" and data["message"] and data["error"]["message"], data
    assert data["sequence_number"] == events[-2][1]["sequence_number"] + 1, events[-2:]
    with pytest.raises(openai.APIError):
        for _ in openai_client(cl).responses.create(model=MODEL, input="hi", stream=True, extra_headers=dict(die)):
            pass


def test_openai_responses_create_and_stream(cluster):
    cl = cluster(SPEC)
    client = openai_client(cl)
    mk = mark()
    raw = client.responses.with_raw_response.create(model=MODEL, input="Why is the sky blue?",
                                                    extra_headers={"X-Test-Marker": mk})
    resp = raw.parse()
    assert raw.headers.get("X-Olla-Endpoint") == HOLDER and resp.output_text, dict(raw.headers)
    assert resp.usage.output_tokens == 5
    only_holder_got(cl, "/v1/responses", mk)

    mk = mark()
    with client.responses.stream(model=MODEL, input="Count", extra_headers={"X-Test-Marker": mk}) as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert len(deltas) == 5 and final.output_text == "".join(deltas)
    only_holder_got(cl, "/v1/responses", mk)


def test_token_counts_reach_the_metrics(cluster):
    cl = cluster(SPEC)
    anthropic_client(cl).messages.create(model=MODEL, max_tokens=8, messages=[{"role": "user", "content": "hi"}],
                                         extra_headers={"X-Mock-Chunks": "3"})
    with anthropic_client(cl).messages.stream(model=MODEL, max_tokens=8, messages=[{"role": "user", "content": "hi"}],
                                              extra_headers={"X-Mock-Chunks": "4"}) as stream:
        stream.until_done()
    openai_client(cl).responses.create(model=MODEL, input="hi", extra_headers={"X-Mock-Chunks": "6"})
    for _ in openai_client(cl).responses.create(model=MODEL, input="hi", stream=True,
                                                extra_headers={"X-Mock-Chunks": "10"}):
        pass
    expected = 3 + 4 + 6 + 10

    def completion():
        with urllib.request.urlopen(cl.t.origin + "/internal/metrics", timeout=5) as r:
            p = PromText(r.read().decode())
        return p.total("olla_tokens_total", endpoint=HOLDER, kind="completion"), p
    deadline = time.monotonic() + 5
    got, p = completion()
    while got < expected and time.monotonic() < deadline:
        time.sleep(0.05)
        got, p = completion()
    assert got == expected, f"completion tokens {got}, expected {expected}\n" + p.show("olla_tokens_total")
    assert p.total("olla_tokens_total", endpoint=HOLDER, kind="prompt") > 0, p.show("olla_tokens_total")
    for route in ("/v1/messages", "/v1/responses"):
        assert p.find("olla_requests_total", route=route), f"no requests counted for {route}\n" + \
            p.show("olla_requests_total")


def test_routes_newer_than_olla_are_routed_by_their_model(cluster):
    cl = cluster(SPEC)
    for path in ("/v1/some/new/route", "/api/experimental/next-thing"):
        mk = mark()
        r = jreq(cl.t, "POST", path, {"model": "mistral:7b", "prompt": "hi"}, headers=[("X-Test-Marker", mk)])
        assert r.header("X-Olla-Endpoint") == "c", r.describe()
        assert r.header("X-Olla-Routing-Decision") == "routed", r.describe()
        assert r.header("X-Olla-Model") == "mistral:7b"
        only_holder_got(cl, path, mk, holder="c")
        r = jreq(cl.t, "POST", path, {"model": "ghost:1b"})
        assert r.status == 404 and "ghost:1b" in r.body.decode(), r.describe()
    # audio transcriptions name the model in a multipart form field
    boundary = "olla-test-boundary"
    form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
            f"Content-Type: audio/wav\r\n\r\nRIFF....WAVE\r\n--{boundary}\r\n"
            f"Content-Disposition: form-data; name=\"model\"\r\n\r\nmistral:7b\r\n--{boundary}--\r\n").encode()
    with RawClient(cl.t.host, cl.t.port, timeout=10) as c:
        c.send_request("POST", cl.t.path("/v1/audio/transcriptions"),
                       [("Content-Type", f"multipart/form-data; boundary={boundary}")], form)
        resp = c.read_response(10)
    assert resp.status == 200 and resp.header("X-Olla-Endpoint") == "c", resp.describe()
    assert resp.json()["text"] == "12 bytes of audio heard by c"


def test_keys_and_dead_holders_answer_in_anthropics_words(cluster):
    spec = [dict(s) for s in SPEC]
    spec[2] = {"name": "c", "models": ["mistral:7b"]}  # fast probes: c's death is seen at once
    cl = cluster(spec, overrides={"server": {"auth": {"api_keys": ["sk-olla-test-key-1234"]}}}, check_inventory=False)
    # the Anthropic SDK sends its key as x-api-key
    with pytest.raises(anthropic.AuthenticationError) as err:
        anthropic_client(cl).messages.create(model=MODEL, max_tokens=8, messages=[{"role": "user", "content": "hi"}])
    assert err.value.body["error"]["type"] == "authentication_error", err.value.body
    client = anthropic.Anthropic(base_url=cl.t.base, api_key="sk-olla-test-key-1234", max_retries=0)
    msg = client.messages.create(model=MODEL, max_tokens=8, messages=[{"role": "user", "content": "hi"}])
    assert msg.content[0].text

    cl["c"].kill()
    gone = wait_until(lambda: jreq(cl.t, "POST", "/v1/messages", {"model": "mistral:7b", "max_tokens": 8, "messages": []},
                                   headers=[("x-api-key", "sk-olla-test-key-1234")]).status == 503, 10.0)
    # bounded poll: the first refused connect marks c offline; 10 s is room for a loaded machine
    assert gone, "mistral:7b, only on the dead c, should be refused with 503 within 10 s"
    with pytest.raises(anthropic.InternalServerError) as err:
        client.messages.create(model="mistral:7b", max_tokens=8, messages=[{"role": "user", "content": "hi"}])
    assert err.value.status_code == 503 and err.value.body["error"]["type"] == "overloaded_error", err.value.body
    assert err.value.response.headers.get("Retry-After"), dict(err.value.response.headers)


def test_streamed_answers_teach_the_scheduler_their_speed(cluster):
    cl = cluster(SPEC)
    # 6 output tokens, 150 ms apart: 5 tokens over ~750 ms after the head, ~6.7 tokens/s
    with anthropic_client(cl).messages.stream(
            model=MODEL, max_tokens=8, messages=[{"role": "user", "content": "hi"}],
            extra_headers={"X-Mock-Chunks": "6", "X-Mock-Chunk-Delay-Ms": "150"}) as stream:
        stream.until_done()

    def learned():
        with urllib.request.urlopen(cl.t.origin + "/internal/status/models", timeout=5) as r:
            instances = json.loads(r.read()).get("instances") or []
        rows = [row for inst in instances if inst["endpoint"] == HOLDER for row in inst["learned"]
                if row["model"].startswith(MODEL) and row["generations_seen"]]
        return rows[0] if rows else None
    deadline = time.monotonic() + 5
    row = learned()
    while row is None and time.monotonic() < deadline:
        time.sleep(0.05)
        row = learned()
    assert row is not None, "the scheduler learned nothing from a streamed /v1/messages answer"
    assert row["tokens_per_second"] is not None and 3 <= row["tokens_per_second"] <= 7.5, row
    assert row["generation_time_ms"] >= 600, row

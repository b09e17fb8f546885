"""Self-tests of the mock Ollama (no daemon needed): the fault switches and the records the
other tests rely on, and the subprocess mode with its /__mock/ control endpoints."""
import json
import os
import subprocess
import sys
import time

import httpx

from helpers import RawClient, free_port, raw_request
from mock_ollama import HUGE_BLOCK, huge_body_sha256

HERE = os.path.dirname(os.path.abspath(__file__))
CHAT = json.dumps({"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}]}).encode()
JSON = [("Content-Type", "application/json")]


def test_stream_pacing_and_chunk_times(mock):
    r = raw_request("127.0.0.1", mock.port, "POST", "/api/chat",
                    JSON + [("X-Mock-Chunks", "4"), ("X-Mock-Chunk-Delay-Ms", "100")], CHAT)
    assert r.status == 200 and r.framing == "chunked" and r.complete
    rec = mock.requests[-1]
    assert len(rec.chunk_times) == 5
    gaps = [b - a for a, b in zip(rec.chunk_times, rec.chunk_times[1:])]
    # The mock never sends early; late only when the (shared, loaded) machine stalls it.
    assert all(g > 0.09 for g in gaps), gaps
    assert sorted(gaps)[len(gaps) // 2] < 0.2, gaps


def test_die_stall_hang_status(mock):
    r = raw_request("127.0.0.1", mock.port, "POST", "/api/chat", JSON + [("X-Mock-Die-After", "2")], CHAT)
    assert not r.complete and len(r.lines()) == 2 and mock.requests[-1].outcome == "died"
    with RawClient("127.0.0.1", mock.port) as c:
        c.send_request("POST", "/api/chat", JSON + [("X-Mock-Stall-After", "1")], CHAT)
        resp = c.read_head(2)
        try:
            c.read_body(resp, 0.5)
            raise AssertionError("stall did not stall")
        except AssertionError as e:
            assert "deadline" in str(e) or "no data" in str(e), e
    assert mock.wait_for(lambda: mock.requests[-1].outcome == "stalled-peer-gone", 2)
    r = raw_request("127.0.0.1", mock.port, "GET", "/api/tags", [("X-Mock-Status", "503")])
    assert r.status == 503 and r.json() == {"error": "mock injected status 503"}
    mock.fail_next(2, status=429, path="/v1/")
    for _ in range(2):
        r = raw_request("127.0.0.1", mock.port, "GET", "/v1/models")
        assert r.status == 429 and r.json()["error"]["type"] == "api_error"
    assert raw_request("127.0.0.1", mock.port, "GET", "/v1/models").status == 200


def test_hang_and_connection_close_recorded(mock):
    c = RawClient("127.0.0.1", mock.port)
    c.send_request("GET", "/api/tags", [("X-Mock-Hang", "1"), ("X-Test-Marker", "hang-1")])
    rec = mock.wait_request(("X-Test-Marker", "hang-1"), 2)
    time.sleep(0.1)
    conn = mock.conn(rec.conn_id)
    assert conn.closed_at is None
    t = time.monotonic()
    c.close()
    closed = mock.wait_for(lambda: conn.closed_at, 2)
    assert closed and closed - t < 0.1, "the mock must notice a peer closing within milliseconds"
    assert conn.close_reason == "peer-eof" and rec.outcome == "hung-peer-gone"


def test_echo_records_raw_request(mock):
    r = raw_request("127.0.0.1", mock.port, "PATCH", "/x/y?a=%2F&b=1+2", [("X-Mock-Echo", "1"), ("X-A", "1")],
                    b"hello", chunked=True, chunk_size=2)
    e = r.json()
    assert e["method"] == "PATCH" and e["target"] == "/x/y?a=%2F&b=1+2"
    assert e["body_length"] == 5 and e["body_chunked"] and ["X-A", "1"] in e["headers"]


def test_huge_body_and_expect_continue(mock):
    n = 3 * len(HUGE_BLOCK) + 123
    r = raw_request("127.0.0.1", mock.port, "GET", "/", [("X-Mock-Huge-Bytes", str(n)), ("X-Mock-Huge-Mode", "length")],
                    timeout=20)
    assert r.body_len == n and r.body_sha256 == huge_body_sha256(n)
    with RawClient("127.0.0.1", mock.port) as c:
        c.send(b"POST /api/show HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 20\r\n\r\n")
        assert c._read_until(b"\r\n\r\n", time.monotonic() + 2).startswith(b"HTTP/1.1 100")
        c.send(b'{"model":"llama3.2"}')
        assert c.read_response(2).status == 200


def test_subprocess_mode_and_control_endpoints():
    port = free_port()
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "mock_ollama.py"), "--port", str(port)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                if httpx.get(base + "/", timeout=1).text == "Ollama is running":
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "subprocess mock did not start"
            time.sleep(0.05)
        assert httpx.post(base + "/__mock/rules", json={"path": "/api/tags", "times": 1, "status": 500}).status_code == 200
        assert httpx.get(base + "/api/tags").status_code == 500
        assert httpx.get(base + "/api/tags").status_code == 200
        log = httpx.get(base + "/__mock/log").json()
        assert [r["target"] for r in log["requests"]][-2:] == ["/api/tags", "/api/tags"]
        assert all("opened_at" in c for c in log["connections"])
        assert httpx.post(base + "/__mock/reset").json() == {"ok": True}
    finally:
        p.terminate()
        p.wait(5)


def test_compatible_apis_parse_with_the_real_sdks(mock):
    """The mock's Anthropic Messages and OpenAI Responses answers are what the SDKs expect,
    with errors in each API's own shape (as Ollama's middleware writes them)."""
    import anthropic
    import openai
    a = anthropic.Anthropic(base_url=mock.url, api_key="x", max_retries=0)
    msg = a.messages.create(model="llama3.2", max_tokens=8, messages=[{"role": "user", "content": "hi"}])
    assert msg.content[0].text and msg.usage.output_tokens == 5
    with a.messages.stream(model="llama3.2", max_tokens=8, messages=[{"role": "user", "content": "hi"}]) as s:
        assert "".join(s.text_stream) == msg.content[0].text
    try:
        a.messages.create(model="ghost", max_tokens=8, messages=[{"role": "user", "content": "hi"}])
        raise AssertionError("no NotFoundError")
    except anthropic.NotFoundError as e:
        assert e.body["error"]["type"] == "not_found_error"
    o = openai.OpenAI(base_url=mock.url + "/v1", api_key="x", max_retries=0)
    resp = o.responses.create(model="llama3.2", input="hi")
    with o.responses.stream(model="llama3.2", input="hi") as s:
        assert s.get_final_response().output_text == resp.output_text
    try:
        o.responses.create(model="ghost", input="hi")
        raise AssertionError("no NotFoundError")
    except openai.NotFoundError as e:
        assert e.body["type"] == "not_found_error"

"""Self-tests of the simulated Ollama instance (fleet_ollama.py): residency, eviction,
arrival-order admission, the bounded queue's 503, keep-alive, /api/ps, kill and revive.
Short load and token times keep the whole file to a few seconds."""
from __future__ import annotations

import http.client
import json
import socket
import threading
import time

import pytest

from fleet_ollama import SERVER_BUSY, FleetOllama, model_file

LOAD = 0.3
TOKEN = 0.005


def fleet(**kw) -> FleetOllama:
    opts = dict(models=["alpha", "beta", "gamma"], max_loaded=1, num_parallel=1, load_s=LOAD,
                load_jitter=0.0, s_per_token=TOKEN, prompt_eval_s=0.01)
    opts.update(kw)
    return FleetOllama("t", **opts)


class Result:
    def __init__(self):
        self.status = None
        self.first = None     # seconds from sending to the first body line
        self.end = None       # monotonic time the response ended
        self.lines: list = []
        self.body = b""
        self.error = None


def chat(inst: FleetOllama, model: str, tokens: int = 10, started: float = None, **extra) -> Result:
    res = Result()
    t0 = time.monotonic()
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}],
            "options": {"num_predict": tokens}}
    body.update(extra)
    c = http.client.HTTPConnection(inst.host, inst.port, timeout=10)
    try:
        c.request("POST", "/api/chat", json.dumps(body), {"Content-Type": "application/json"})
        r = c.getresponse()
        res.status = r.status
        while True:
            line = r.readline()
            if not line:
                break
            if res.first is None:
                res.first = time.monotonic() - t0
            res.lines.append(json.loads(line))
    except (OSError, http.client.HTTPException) as e:
        res.error = e
    finally:
        res.end = time.monotonic()
        c.close()
    return res


def in_thread(fn, *a, **kw):
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("r", fn(*a, **kw)), daemon=True)
    t.start()
    return t, box


def get(inst, path, method="GET"):
    c = http.client.HTTPConnection(inst.host, inst.port, timeout=5)
    c.request(method, path)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.getheader("Content-Type"), data


def ps_names(inst) -> list:
    return [m["name"] for m in json.loads(get(inst, "/api/ps")[2])["models"]]


def test_cold_load_then_resident_and_ps():
    with fleet() as inst:
        first = chat(inst, "alpha")
        second = chat(inst, "alpha")
        assert first.status == second.status == 200
        assert first.first >= LOAD, "a cold model loads before its first token"
        assert second.first < LOAD / 2, "a resident model answers without a load"
        done = first.lines[-1]
        assert done["done"] is True and done["eval_count"] == 10 and done["prompt_eval_count"] > 0
        assert done["load_duration"] >= LOAD * 1e9 * 0.9
        assert second.lines[-1]["load_duration"] < 0.05e9
        assert done["total_duration"] >= done["load_duration"] + done["eval_duration"]
        assert len(first.lines) == 11 and first.lines[0]["message"]["content"]
        models = json.loads(get(inst, "/api/ps")[2])["models"]
        assert [m["name"] for m in models] == ["alpha:latest"]
        assert models[0]["size_vram"] > 0 and models[0]["expires_at"].endswith("Z")
        assert inst.snapshot()["stats"]["loads"] == 1


def test_lru_eviction_of_idle_models():
    with fleet(max_loaded=2) as inst:
        for m in ("alpha", "beta", "alpha", "gamma"):   # beta is the least recently used
            assert chat(inst, m).status == 200
        assert sorted(ps_names(inst)) == ["alpha:latest", "gamma:latest"]
        s = inst.snapshot()["stats"]
        assert s["loads"] == 3 and s["evictions"] == 1


def test_ollama_eviction_order_is_the_model_files_not_recency():
    # eviction="ollama": among idle models with one keep-alive, the model file's path decides
    # (server/sched.go ByDurationAndName), whichever was used last.
    first = min(("alpha", "beta"), key=model_file)
    other = "beta" if first == "alpha" else "alpha"
    with fleet(max_loaded=2, eviction="ollama") as inst:
        for m in (first, other, first, "gamma"):   # `other` is the least recently used
            assert chat(inst, m).status == 200
        assert sorted(ps_names(inst)) == sorted([f"{other}:latest", "gamma:latest"])
        assert inst.snapshot()["stats"]["evictions"] == 1


def test_load_waits_for_a_busy_model_and_blocks_the_queue_behind_it():
    with fleet() as inst:
        assert chat(inst, "alpha", tokens=1).status == 200          # alpha resident
        t_long, long = in_thread(chat, inst, "alpha", 100)            # ~0.5 s of generation
        time.sleep(0.1)
        t_b, b = in_thread(chat, inst, "beta")                        # needs alpha's place
        time.sleep(0.05)
        t_a2, a2 = in_thread(chat, inst, "alpha", 1)                  # behind beta, in arrival order
        for t in (t_long, t_b, t_a2):
            t.join(10)
        long, b, a2 = long["r"], b["r"], a2["r"]
        assert b.status == 200 and a2.status == 200
        assert b.end - b.first >= 0 and b.first > 0.4 + LOAD, "beta waited for alpha to finish, then loaded"
        assert a2.end > b.end - 0.1, "alpha's second request waited behind beta's load (arrival order)"
        assert a2.lines[-1]["load_duration"] > LOAD * 1e9, "so a reload happened for it"
        s = inst.snapshot()["stats"]
        assert s["evictions"] == 2 and s["loads"] == 3


def test_full_queue_answers_ollamas_503():
    with fleet(max_queue=1) as inst:
        assert chat(inst, "alpha", tokens=1).status == 200
        t_long, _ = in_thread(chat, inst, "alpha", 100)
        time.sleep(0.1)
        t_b, _ = in_thread(chat, inst, "beta", 1)       # the scheduler now waits on alpha
        time.sleep(0.05)
        t_c, _ = in_thread(chat, inst, "alpha", 1)      # fills the one pending place
        time.sleep(0.05)
        c = http.client.HTTPConnection(inst.host, inst.port, timeout=5)
        c.request("POST", "/api/chat", json.dumps({"model": "alpha", "messages": [{"role": "user", "content": "x"}]}))
        r = c.getresponse()
        assert r.status == 503
        assert json.loads(r.read()) == {"error": SERVER_BUSY}
        for t in (t_long, t_b, t_c):
            t.join(10)
        assert inst.snapshot()["stats"]["rejected"] == 1


def test_parallel_slots_per_model():
    with fleet(num_parallel=2) as inst:
        assert chat(inst, "alpha", tokens=1).status == 200
        threads = [in_thread(chat, inst, "alpha", 100) for _ in range(3)]
        for t, _ in threads:
            t.join(10)
        firsts = sorted(box["r"].first for _, box in threads)
        assert firsts[1] < 0.3, "two requests run at once"
        assert firsts[2] > 0.45, "the third waits for a slot (100 tokens x 5 ms)"


def test_keep_alive_zero_expiry_load_and_unload():
    with fleet(max_loaded=3, keep_alive_s=0.3) as inst:
        r = chat(inst, "alpha", keep_alive=0)
        assert r.status == 200 and ps_names(inst) == []
        assert chat(inst, "beta").status == 200
        assert ps_names(inst) == ["beta:latest"]
        time.sleep(0.5)
        assert ps_names(inst) == [], "keep-alive ran out"
        loaded = chat(inst, "gamma", messages=[])
        assert loaded.lines == [{"model": "gamma:latest", "created_at": loaded.lines[0]["created_at"],
                                 "message": {"role": "assistant", "content": ""},
                                 "done_reason": "load", "done": True}]
        gone = chat(inst, "gamma", messages=[], keep_alive="0s")
        assert gone.lines[0]["done_reason"] == "unload" and ps_names(inst) == []
        s = inst.snapshot()["stats"]
        assert s["unloads"] == 2 and s["expirations"] == 1 and s["evictions"] == 0


def test_probes_catalogue_and_unknown_model():
    with fleet() as inst:
        assert get(inst, "/") == (200, "text/plain; charset=utf-8", b"Ollama is running")
        assert get(inst, "/", "HEAD")[0] == 200
        assert json.loads(get(inst, "/api/version")[2])["version"]
        tags = json.loads(get(inst, "/api/tags")[2])["models"]
        assert [m["name"] for m in tags] == ["alpha:latest", "beta:latest", "gamma:latest"]
        r = chat(inst, "nope")
        assert r.status == 404 and r.lines == [{"error": "model 'nope' not found"}]


def test_openai_stream():
    with fleet() as inst:
        c = http.client.HTTPConnection(inst.host, inst.port, timeout=5)
        c.request("POST", "/v1/chat/completions", json.dumps(
            {"model": "alpha", "stream": True, "max_tokens": 3, "messages": [{"role": "user", "content": "x"}]}))
        r = c.getresponse()
        events = [ln for ln in r.read().decode().split("\n\n") if ln]
        assert r.status == 200 and r.getheader("Content-Type") == "text/event-stream"
        assert len(events) == 5 and events[-1] == "data: [DONE]"
        assert json.loads(events[-2][6:])["choices"][0]["finish_reason"] == "stop"


def test_kill_cuts_streams_refuses_and_revives_empty():
    with fleet() as inst:
        t, box = in_thread(chat, inst, "alpha", 200)
        time.sleep(LOAD + 0.2)
        inst.kill()
        t.join(5)
        cut = box["r"]
        assert cut.status == 200 and not cut.lines[-1].get("done"), "the stream was cut mid-way"
        with pytest.raises(OSError):
            socket.create_connection((inst.host, inst.port), timeout=1)
        port = inst.port
        inst.revive()
        assert inst.port == port and ps_names(inst) == []
        r = chat(inst, "alpha")
        assert r.status == 200 and r.lines[-1]["load_duration"] >= LOAD * 1e9 * 0.9
        s = inst.snapshot()["stats"]
        assert s["cut"] == 1 and s["restarts"] == 1 and s["loads"] == 2


def test_stall_freezes_the_instance_and_it_goes_on_after():
    """stall(s): connections are accepted (the kernel's backlog) but nothing answers until the
    stall ends; then the waiting request is answered as usual."""
    with fleet() as inst:
        assert get(inst, "/")[0] == 200
        inst.stall(0.6)
        time.sleep(0.05)  # the stall has begun on the instance's loop
        t0 = time.monotonic()
        with socket.create_connection((inst.host, inst.port), timeout=0.3) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            with pytest.raises(socket.timeout):
                s.recv(100)          # accepted, read by nobody
            s.settimeout(3)
            assert s.recv(100).startswith(b"HTTP/1.1 200"), "answered once the stall ended"
        waited = time.monotonic() - t0
        assert 0.4 <= waited < 2.0, f"the answer came {waited:.2f} s after the request, stall 0.6 s"
        r = chat(inst, "alpha", tokens=3)
        assert r.status == 200 and r.lines[-1]["done"] is True

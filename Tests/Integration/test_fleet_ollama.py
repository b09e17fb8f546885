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


def ps_models(inst) -> dict:
    return {m["name"]: m for m in json.loads(get(inst, "/api/ps")[2])["models"]}


def expires_in(entry: dict) -> float:
    """Seconds from now to the entry's `expires_at` (RFC 3339, UTC)."""
    import datetime
    stamp = entry["expires_at"].replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(stamp).timestamp() - time.time()


def test_ps_lists_a_model_from_the_start_of_its_load_as_ollama_up_to_0_32_3():
    # server/sched.go load() puts the runner in `loaded` before it runs; PsHandler lists
    # `loaded`, with expires_at now + keep-alive while the runner has never been idle.
    with fleet(load_s=1.0, keep_alive_s=300) as inst:
        t, box = in_thread(chat, inst, "alpha", 1)
        time.sleep(0.3)
        listed = ps_models(inst)
        assert list(listed) == ["alpha:latest"] and inst.snapshot()["loading"] == ["alpha:latest"]
        assert 299 <= expires_in(listed["alpha:latest"]) <= 301
        assert listed["alpha:latest"]["size_vram"] > 0
        t.join(10)
        assert box["r"].status == 200 and box["r"].first >= 1.0


def test_a_busy_model_keeps_the_expiry_it_got_when_it_last_went_idle():
    # Ollama sets expiresAt only when a runner goes idle (processCompleted); a later request
    # stops the timer and leaves expiresAt as it was.
    with fleet(keep_alive_s=300) as inst:
        assert chat(inst, "alpha", tokens=1).status == 200
        idle_expiry = expires_in(ps_models(inst)["alpha:latest"])
        time.sleep(0.6)
        t, box = in_thread(chat, inst, "alpha", 200)     # ~1 s of generation
        time.sleep(0.3)
        busy_expiry = expires_in(ps_models(inst)["alpha:latest"])
        assert abs((idle_expiry - 0.9) - busy_expiry) < 0.25, (idle_expiry, busy_expiry)
        t.join(10)
        assert box["r"].status == 200
        assert 299 <= expires_in(ps_models(inst)["alpha:latest"]) <= 301, "idle again: a fresh keep-alive"


def test_ps_waits_for_loads_answers_once_the_load_is_over_as_ollama_from_0_32_4():
    # From 0.32.4 loadedModels() takes each runner's lock, which load() holds until it runs.
    with fleet(load_s=1.0, ps_waits_for_loads=True) as inst:
        assert ps_names(inst) == []
        t, box = in_thread(chat, inst, "alpha", 1)
        time.sleep(0.3)
        t0 = time.monotonic()
        listed = ps_models(inst)
        waited = time.monotonic() - t0
        assert 0.5 <= waited <= 1.2, f"/api/ps answered after {waited:.2f} s"
        assert list(listed) == ["alpha:latest"] and inst.snapshot()["loading"] == []
        t.join(10)
        assert box["r"].status == 200


def test_resident_models_are_served_while_another_loads():
    # A load runs beside the scheduler: a request for a resident model admitted behind the
    # request that started a load is not held up by it.
    with fleet(max_loaded=2, load_s=1.0) as inst:
        assert chat(inst, "alpha", tokens=1).status == 200
        t_b, b = in_thread(chat, inst, "beta", 1)
        time.sleep(0.2)
        a = chat(inst, "alpha", tokens=1)
        t_b.join(10)
        assert a.status == 200 and a.first < 0.2, f"alpha waited {a.first:.2f} s behind beta's load"
        assert b["r"].status == 200 and b["r"].first >= 1.0


def test_a_client_leaving_during_the_load_aborts_it():
    # Ollama waits for the runner with the request's context (WaitUntilRunning(req.ctx)).
    with fleet(load_s=1.0) as inst:
        c = socket.create_connection((inst.host, inst.port))
        body = json.dumps({"model": "alpha", "messages": [{"role": "user", "content": "hi"}]}).encode()
        c.sendall(b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        time.sleep(0.3)
        assert inst.snapshot()["loading"] == ["alpha:latest"]
        c.close()
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and inst.snapshot()["stats"]["aborted_loads"] == 0:
            time.sleep(0.02)
        assert inst.snapshot()["stats"]["aborted_loads"] == 1
        assert ps_names(inst) == [] and inst.snapshot()["loading"] == []


def test_one_load_at_a_time_and_the_queue_behind_a_waiting_load_waits():
    # server/sched.go: before a load, updateFreeSpace takes every runner's lock, and a loading
    # runner holds its own until it runs; processPending takes one request at a time.
    with fleet(max_loaded=3, load_s=0.6) as inst:
        assert chat(inst, "gamma", tokens=1).status == 200          # gamma resident
        t_a, a = in_thread(chat, inst, "alpha", 1)
        time.sleep(0.1)
        t_b, b = in_thread(chat, inst, "beta", 1)                   # waits for alpha's load
        time.sleep(0.1)
        g = chat(inst, "gamma", tokens=1)                           # behind beta: waits too
        for t in (t_a, t_b):
            t.join(10)
        a, b = a["r"], b["r"]
        assert a.status == b.status == g.status == 200
        assert b.first >= 0.5 + 0.6 - 0.05, f"beta's load started before alpha's ended ({b.first:.2f} s)"
        assert 0.3 <= g.first <= 0.6, f"gamma waited {g.first:.2f} s (until alpha loaded, beta's load began)"
        assert inst.snapshot()["stats"]["loads"] == 3

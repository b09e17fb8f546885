"""Scenario 11: errors Olla makes itself (413), config validation, request logs."""
import json
import os
import re
import subprocess
import time
import uuid

import pytest

from conftest import default_config, endpoint, olla_binary
from helpers import RawClient, free_port, raw_request

pytestmark = pytest.mark.daemon_only


def marker() -> str:
    return "t-" + uuid.uuid4().hex[:16]


# --------------------------------------------------------------------------------------
# Body size limit
# --------------------------------------------------------------------------------------

@pytest.fixture
def limited(olla_factory):
    return olla_factory.start(overrides={"server": {"request_limits": {"max_body_size": 1024}}})


def _chat_body(size: int) -> bytes:
    base = {"model": "llama3.2", "messages": [{"role": "user", "content": ""}], "stream": False}
    pad = size - len(json.dumps(base).encode())
    base["messages"][0]["content"] = "x" * pad
    b = json.dumps(base).encode()
    assert len(b) == size
    return b


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_body_over_limit_is_413(limited, mock, chunked):
    t = limited.target
    m = marker()
    with RawClient(t.host, t.port, timeout=10) as c:
        try:
            c.send_request("POST", t.path("/api/chat"), [("Content-Type", "application/json"), ("X-Test-Marker", m)],
                           _chat_body(4000), chunked=chunked, chunk_size=500)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading everything
        r = c.read_response(10)
    assert r.status == 413, f"4000-byte body with max_body_size 1024: {r.describe()}"
    assert (r.header("Content-Type") or "").startswith("application/json"), r.header("Content-Type")
    assert isinstance(r.json().get("error"), str), r.body
    assert not mock.find_requests(header=("X-Test-Marker", m)), "an oversized body was forwarded to the backend"


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_body_under_limit_passes(limited, mock, chunked):
    t = limited.target
    body = _chat_body(1000)
    with RawClient(t.host, t.port, timeout=10) as c:
        c.send_request("POST", t.path("/api/chat"), [("Content-Type", "application/json")], body,
                       chunked=chunked, chunk_size=300)
        r = c.read_response(10)
    assert r.status == 200, f"1000-byte body with max_body_size 1024: {r.describe()}"
    assert mock.find_requests(path="/api/chat")[-1].body == body


def test_body_exactly_at_limit_passes(limited, mock):
    t = limited.target
    r = raw_request(t.host, t.port, "POST", t.path("/api/chat"), [("Content-Type", "application/json")],
                    _chat_body(1024))
    assert r.status == 200, f"1024-byte body with max_body_size 1024: {r.describe()}"


# --------------------------------------------------------------------------------------
# Config validation
# --------------------------------------------------------------------------------------

def _valid_config(mock_url="http://127.0.0.1:11434"):
    return default_config(free_port(), [endpoint("mock-a", mock_url)])


def _run(args, timeout=15):
    return subprocess.run([str(olla_binary())] + args, capture_output=True, text=True, timeout=timeout)


BAD_CONFIGS = [
    # (mutation, key path that must be named)
    (lambda c: c.update({"bogus_section": {}}), "bogus_section"),
    (lambda c: c["server"].update({"bogus_key": 1}), "server.bogus_key"),
    (lambda c: c["proxy"].update({"stream_bufer_size": 1}), "proxy.stream_bufer_size"),
    (lambda c: c["discovery"]["static"]["endpoints"][0].update({"weightx": 3}), "weightx"),
    (lambda c: c["proxy"].update({"read_timeout": "3 seconds"}), "proxy.read_timeout"),
    (lambda c: c["server"].update({"port": "not-a-port"}), "server.port"),
]


def _names_path(output: str, path: str) -> bool:
    """'server.bogus_key' is named as such, or as server/bogus_key, ["server"]["bogus_key"], ..."""
    parts = [re.escape(p) for p in path.split(".")]
    return re.search(r"[^A-Za-z0-9_]{1,6}".join(parts), output) is not None


def _write(tmp_path, cfg, name="cfg.json"):
    p = tmp_path / name
    p.write_text(json.dumps(cfg))
    return p


def test_validate_config_accepts_valid(tmp_path):
    r = _run(["--validate-config", str(_write(tmp_path, _valid_config()))])
    assert r.returncode == 0, f"valid config rejected (exit {r.returncode}):\n{r.stdout}\n{r.stderr}"


@pytest.mark.parametrize("mutate,path", BAD_CONFIGS, ids=[p for _, p in BAD_CONFIGS])
def test_validate_config_rejects_and_names_key(tmp_path, mutate, path):
    cfg = _valid_config()
    mutate(cfg)
    r = _run(["--validate-config", str(_write(tmp_path, cfg))])
    out = r.stdout + r.stderr
    assert r.returncode == 1, f"invalid config ({path}) -> exit {r.returncode}, want 1:\n{out}"
    assert _names_path(out, path), f"message does not name {path!r}:\n{out}"


@pytest.mark.parametrize("mutate,path", BAD_CONFIGS[:3], ids=[p for _, p in BAD_CONFIGS[:3]])
def test_startup_with_bad_config_fails_naming_key(tmp_path, mutate, path):
    cfg = _valid_config()
    mutate(cfg)
    try:
        r = _run(["--config", str(_write(tmp_path, cfg))], timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail(f"olla kept running with an invalid config ({path})")
    out = r.stdout + r.stderr
    assert r.returncode != 0, f"olla started with an unknown key {path}:\n{out}"
    assert _names_path(out, path), f"startup error does not name {path!r}:\n{out}"
    # and nothing is listening on the port
    with pytest.raises(OSError):
        RawClient("127.0.0.1", cfg["server"]["port"], timeout=1)


def test_validate_config_resolves_secrets_like_startup(tmp_path):
    """--validate-config resolves auth secrets as start-up does (issue 10, item 8): a config
    that names an unset ${VAR} or an unreadable file is invalid for both, not only for the
    daemon; with the variable set, both accept it."""
    cfg = _valid_config()
    ep = cfg["discovery"]["static"]["endpoints"][0]
    ep["auth"] = {"type": "bearer", "token": "${OLLA_IT_UNSET_SECRET_VAR}"}
    path = _write(tmp_path, cfg)
    env = {k: v for k, v in os.environ.items() if k != "OLLA_IT_UNSET_SECRET_VAR"}
    r = subprocess.run([str(olla_binary()), "--validate-config", str(path)], capture_output=True, text=True,
                       timeout=15, env=env)
    out = r.stdout + r.stderr
    assert r.returncode == 1 and "OLLA_IT_UNSET_SECRET_VAR" in out, f"exit {r.returncode}:\n{out}"
    r = subprocess.run([str(olla_binary()), "--validate-config", str(path)], capture_output=True, text=True,
                       timeout=15, env={**env, "OLLA_IT_UNSET_SECRET_VAR": "s3cret"})
    assert r.returncode == 0, r.stdout + r.stderr
    ep["auth"] = {"type": "bearer", "token_file": str(tmp_path / "no-such-secret")}
    r = _run(["--validate-config", str(_write(tmp_path, cfg))])
    assert r.returncode == 1 and "no-such-secret" in r.stdout + r.stderr, r.stdout + r.stderr


def test_validate_config_reports_every_error(tmp_path):
    cfg = _valid_config()
    for mutate, _ in BAD_CONFIGS:
        mutate(cfg)
    r = _run(["--validate-config", str(_write(tmp_path, cfg))])
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    missing = [p for _, p in BAD_CONFIGS if not _names_path(out, p)]
    assert not missing, f"--validate-config stopped before reporting {missing}:\n{out}"
    assert f"{len(BAD_CONFIGS)} problems" in out, out


def test_yaml_config_gets_a_json_hint(tmp_path):
    p = tmp_path / "config.yaml"
    p.write_text("# Go Olla\nserver:\n  host: 0.0.0.0\n  port: 40114\n")
    r = _run(["--validate-config", str(p)])
    out = r.stdout + r.stderr
    assert r.returncode == 1 and "looks like YAML" in out and "Olla reads JSON" in out, out
    assert "'server:'" in out and '{"server": {...}}' in out, f"the hint should show how the first key maps:\n{out}"


def test_missing_config_file_fails(tmp_path):
    r = _run(["--config", str(tmp_path / "nope.json")], timeout=10)
    assert r.returncode != 0, "olla started without its config file"


# --------------------------------------------------------------------------------------
# Request log lines
# --------------------------------------------------------------------------------------

def test_request_log_line(daemon, olla, mock):
    rid = "log-" + uuid.uuid4().hex[:10]
    body = json.dumps({"model": "llama3.2", "messages": [{"role": "user", "content": "x"}]}).encode()
    r = raw_request(olla.host, olla.port, "POST", olla.path("/api/chat"),
                    [("Content-Type", "application/json"), ("X-Request-ID", rid)], body)
    assert r.status == 200, r.describe()

    def find():
        for obj in daemon.log_json():
            if obj.get("request_id") == rid:
                return obj
        return None

    deadline = time.monotonic() + 5
    line = find()
    while line is None and time.monotonic() < deadline:
        time.sleep(0.1)
        line = find()
    assert line is not None, f"no JSON log line with request_id={rid}; log tail:\n{daemon.log_tail(20)}"
    assert line.get("method") == "POST", line
    assert "/api/chat" in str(line.get("path")), line
    assert line.get("model") == "llama3.2", line
    assert line.get("endpoint") == "mock-a", line
    assert line.get("status") == 200, line
    assert isinstance(line.get("bytes"), int) and line["bytes"] >= r.body_len > 0, \
        f"bytes={line.get('bytes')!r}, client received {r.body_len}"
    for k in ("ttfb_ms", "duration_ms"):
        assert isinstance(line.get(k), (int, float)) and line[k] >= 0, f"{k}={line.get(k)!r}"
    assert line["ttfb_ms"] <= line["duration_ms"], line

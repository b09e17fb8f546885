"""`make run` as a newcomer meets it: the daemon on its built-in defaults, no --config.

Olla then listens on localhost:40114 and forwards to localhost:11434, fixed ports that this
shared machine may have in use. So each scenario runs in a network namespace of its own
(`unshare -rn`, loopback only), where both ports belong to the test: this module re-runs
itself inside it (``python test_45_first_run.py SCENARIO``) and reports what it saw as JSON.

* Nothing at localhost:11434: the log says so in one plain line naming the URL, the reason
  and the ways out (start Ollama, --config, make demo), and a model request gets an Ollama
  style error at once.
* An Ollama (the mock) at localhost:11434: no such line, and requests reach it.
* A configuration file whose only instance does not answer: the line names the instance,
  its URL and the file.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADVICE_DEFAULTS = "nothing answers at http://localhost:11434"
ADVICE_FILE = "no instance answers"
CHAT = json.dumps({"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}], "stream": False}).encode()


# ---------------------------------------------------------------------------------------
# Inside the namespace
# ---------------------------------------------------------------------------------------

def request(method: str, path: str, body: bytes | None = None) -> dict:
    started = time.monotonic()
    req = urllib.request.Request("http://localhost:40114" + path, data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            status, text = r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode(errors="replace")
    return {"status": status, "body": text, "seconds": time.monotonic() - started}


def inside(scenario: str, olla: str, workdir: str) -> dict:
    sys.path.insert(0, str(HERE))
    from mock_ollama import MockOllama
    mock = MockOllama("127.0.0.1", 11434, name="local").start() if scenario == "local-ollama" else None
    args = [olla]
    if scenario == "config-file":
        config = Path(workdir) / "my-config.json"
        config.write_text(json.dumps({"server": {"host": "127.0.0.1"}, "discovery": {"static": {"endpoints": [
            {"name": "gpu-box", "url": "http://127.0.0.1:11434", "type": "ollama"}]}}}))
        args += ["--config", str(config)]
    env = {k: v for k, v in os.environ.items() if k != "OLLA_CONFIG_FILE"}
    log_path = Path(workdir) / f"{scenario}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    out = {"responses": {}}
    try:
        deadline = time.monotonic() + 15
        while b'"listening"' not in log_path.read_bytes() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        out["responses"]["tags"] = request("GET", "/olla/ollama/api/tags")
        out["responses"]["chat"] = request("POST", "/olla/ollama/api/chat", CHAT)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        if mock:
            mock.stop()
    out["log"] = log_path.read_text(errors="replace")
    return out


# ---------------------------------------------------------------------------------------
# The tests (outside)
# ---------------------------------------------------------------------------------------

if __name__ != "__main__":
    import pytest

    from conftest import olla_binary

    pytestmark = pytest.mark.daemon_only

    def run_in_namespace(scenario: str, tmp_path) -> dict:
        if shutil.which("unshare") is None or shutil.which("ip") is None:
            pytest.skip("needs unshare (util-linux) and ip (iproute2) for a private network namespace")
        probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True, text=True)
        if probe.returncode != 0:
            pytest.skip(f"cannot make a network namespace here: {probe.stderr.strip()}")
        r = subprocess.run(
            ["unshare", "-rn", "bash", "-c", 'ip link set lo up && exec "$@"', "-",
             sys.executable, str(Path(__file__)), scenario, str(olla_binary()), str(tmp_path)],
            capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, f"scenario {scenario} failed:\n{r.stdout}\n{r.stderr}"
        return json.loads(r.stdout)

    def log_lines(out: dict) -> list[dict]:
        return [json.loads(line) for line in out["log"].splitlines() if line.startswith("{")]

    def test_without_ollama_the_log_says_what_to_do_in_one_line(tmp_path):
        out = run_in_namespace("no-ollama", tmp_path)
        lines = log_lines(out)
        advice = [x for x in lines if ADVICE_DEFAULTS in x["msg"]]
        assert len(advice) == 1, out["log"]
        line = advice[0]
        assert line["level"] == "warning"
        for hint in ("ollama serve", "--config FILE", "make demo"):
            assert hint in line["msg"], line
        assert "Couldn't connect" in line["msg"] or "refused" in line["msg"], line
        # before "listening": whoever reads the log top-down sees it next to the endpoint
        assert lines.index(line) < next(i for i, x in enumerate(lines) if x["msg"] == "listening")
        chat = out["responses"]["chat"]
        error = json.loads(chat["body"])["error"]
        assert chat["status"] >= 500, chat
        # the answer names the instance and the reason, not only "unreachable"
        assert "local-ollama" in error and ("Couldn't connect" in error or "refused" in error), chat
        assert chat["seconds"] < 5, chat

    def test_with_an_ollama_at_its_default_port_requests_reach_it(tmp_path):
        out = run_in_namespace("local-ollama", tmp_path)
        assert not [x for x in log_lines(out) if ADVICE_DEFAULTS in x["msg"] or ADVICE_FILE in x["msg"]], out["log"]
        tags = out["responses"]["tags"]
        assert tags["status"] == 200 and "llama3.2:latest" in tags["body"], tags
        chat = out["responses"]["chat"]
        assert chat["status"] == 200 and json.loads(chat["body"])["done"] is True, chat

    def test_a_config_file_whose_instances_are_all_down_is_named(tmp_path):
        out = run_in_namespace("config-file", tmp_path)
        advice = [x for x in log_lines(out) if ADVICE_FILE in x["msg"]]
        assert len(advice) == 1, out["log"]
        msg = advice[0]["msg"]
        assert "gpu-box at http://127.0.0.1:11434" in msg and "my-config.json" in msg, msg
        assert "make demo" not in msg, msg


if __name__ == "__main__":
    print(json.dumps(inside(sys.argv[1], sys.argv[2], sys.argv[3])))

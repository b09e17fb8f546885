"""The README, run as a newcomer would run it.

The requests come from README.md itself (its fenced blocks), so the README cannot rot:
every `curl` line in a ```sh block is run through bash against what `make demo` starts
(scripts/demo.py with the release binary, on a free port instead of 40114), and an
```http block right after a request is the answer the README promises, compared with the
real one (except the Date, the request id and the response time). The demo must print the
same three requests as the README, and Ctrl-C must stop it and everything it started.
"""
from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, olla_binary
from helpers import free_port

pytestmark = pytest.mark.daemon_only

README = REPO / "README.md"
DEMO = REPO / "scripts" / "demo.py"
README_PORT = 40114
VOLATILE_HEADERS = {"date", "x-olla-request-id", "x-olla-response-time"}


def fenced_blocks(markdown: str) -> list[tuple[str, str]]:
    """[(info string, body)] of every ``` block, in order."""
    return [(m.group(1).strip(), m.group(2))
            for m in re.finditer(r"^```([^\n]*)\n(.*?)^```\s*$", markdown, re.M | re.S)]


def readme_requests() -> list[tuple[str, str | None]]:
    """[(curl command line, the ```http answer shown right after it, if any)]."""
    blocks = fenced_blocks(README.read_text())
    out = []
    for i, (info, body) in enumerate(blocks):
        if info != "sh":
            continue
        commands = [line.strip() for line in body.splitlines()
                    if line.strip().startswith(f"curl ") and f"localhost:{README_PORT}" in line]
        answer = blocks[i + 1][1] if i + 1 < len(blocks) and blocks[i + 1][0] == "http" else None
        for n, command in enumerate(commands):
            out.append((command, answer if n == len(commands) - 1 else None))
    return out


def parse_http(text: str) -> tuple[int, dict, str]:
    head, _, body = text.replace("\r\n", "\n").partition("\n\n")
    lines = head.strip().splitlines()
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body.strip()


class Demo:
    """scripts/demo.py in its own process group, as a terminal runs `make demo`."""

    def __init__(self, port: int):
        self.port = port
        self.proc = subprocess.Popen(
            [sys.executable, str(DEMO), "--olla", str(olla_binary()), "--port", str(port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        self.output = b""

    def read_until(self, marker: bytes, timeout: float = 40.0) -> str:
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while marker not in self.output and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                self.output += chunk
        assert marker in self.output, f"the demo did not print {marker!r}; it printed:\n{self.text}"
        return self.text

    @property
    def text(self) -> str:
        return self.output.decode(errors="replace")

    def children(self) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    pids.append(int(entry.name))
        return pids

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(pids: list[int], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


def run_curl(command: str, port: int) -> str:
    command = command.replace(f"localhost:{README_PORT}", f"localhost:{port}")
    r = subprocess.run(["bash", "-c", command + " --silent --show-error --max-time 20"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, f"`{command}` failed ({r.returncode}): {r.stderr}"
    return r.stdout


@pytest.fixture
def demo():
    if shutil.which("curl") is None:
        pytest.skip("curl not installed (make test-deps installs it)")
    d = Demo(free_port())
    yield d
    d.stop()


def test_readme_requests_against_the_demo(demo):
    requests = readme_requests()
    assert len(requests) >= 4, f"expected the README's example request and make demo's three, got {requests}"
    assert any(answer for _, answer in requests), "the README shows no answer (```http block) after a request"

    printed = demo.read_until(b"Ctrl-C stops everything")
    suggested = [line.strip().replace(f"localhost:{demo.port}", f"localhost:{README_PORT}")
                 for line in printed.splitlines() if line.strip().startswith("curl ")]
    assert len(suggested) == 3, printed
    readme_commands = [c for c, _ in requests]
    for command in suggested:
        assert command in readme_commands, f"the demo suggests `{command}`, which the README does not show"

    for command, answer in requests:
        out = run_curl(command, demo.port)
        if answer is not None:
            check_shown_answer(command, out, answer)
        elif "/api/tags" in command:
            names = {m["name"] for m in json.loads(out)["models"]}
            assert names == {"llama3.2:latest", "nomic-embed-text:latest", "qwen2.5:0.5b", "mistral:7b"}, out
        elif "/api/chat" in command:
            lines = [json.loads(x) for x in out.splitlines() if x.strip()]
            assert len(lines) > 2 and lines[-1]["done"] is True, out
            assert all(x["model"] == "qwen2.5:0.5b" for x in lines), out
            assert "".join(x["message"]["content"] for x in lines).startswith("The sky appears blue"), out
        elif "/internal/status" in command:
            status = json.loads(out)
            assert status["status"] == "healthy" and status["endpoints"]["routable"] == 2, out
        else:
            pytest.fail(f"the README shows `{command}`, which this test does not know how to check")


def check_shown_answer(command: str, out: str, shown: str):
    got_status, got_headers, got_body = parse_http(out)
    want_status, want_headers, want_body = parse_http(shown)
    assert got_status == want_status, f"`{command}`: status {got_status}, the README shows {want_status}\n{out}"
    for name, value in want_headers.items():
        assert name in got_headers, f"`{command}`: no {name} header, the README shows one\n{out}"
        if name not in VOLATILE_HEADERS:
            assert got_headers[name] == value, f"`{command}`: {name}: {got_headers[name]!r}, README: {value!r}"
    assert json.loads(got_body) == json.loads(want_body), f"`{command}`: body differs from the README's\n{out}"


def test_ctrl_c_stops_the_demo_and_everything_it_started(demo):
    demo.read_until(b"Ctrl-C stops everything")
    children = demo.children()
    assert len(children) == 3, f"expected olla and two simulated instances, found pids {children}"
    os.killpg(demo.proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
    assert demo.proc.wait(10) == 0
    assert wait_gone(children, 5) == [], "processes left running after Ctrl-C"


def test_a_killed_demo_leaves_no_orphans(demo):
    demo.read_until(b"Ctrl-C stops everything")
    children = demo.children()
    assert len(children) == 3
    demo.proc.kill()  # the demo alone, without a chance to clean up
    demo.proc.wait(5)
    assert wait_gone(children, 5) == [], "processes left running after the demo was killed"

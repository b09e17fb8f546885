#!/usr/bin/env python3
"""`make demo`: Olla in front of two simulated Ollama instances, no Ollama needed.

Starts two copies of the integration tests' mock Ollama (Tests/Integration/mock_ollama.py,
subprocess mode) holding different models, writes a configuration naming both, starts
the release binary with it on localhost:40114, prints three requests to try, and relays
Olla's log until Ctrl-C (or SIGTERM), which stops all three processes. The children also
get SIGTERM from the kernel if this script dies without cleaning up (PR_SET_PDEATHSIG),
so nothing outlives it.

Standard library only: it runs on a stock Debian python3.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MOCK = REPO / "Tests" / "Integration" / "mock_ollama.py"

# The two simulated instances: what each one holds, and what it has loaded.
INSTANCES = [
    {"name": "ollama-1", "models": ["llama3.2:latest", "nomic-embed-text:latest"], "loaded": ["llama3.2:latest"]},
    {"name": "ollama-2", "models": ["qwen2.5:0.5b", "mistral:7b"], "loaded": ["qwen2.5:0.5b"]},
]
# Streams paced like a small model on a CPU, so the chat visibly streams.
CHUNKS, CHUNK_DELAY_MS = 12, 120


def try_commands(port: int) -> list[str]:
    """The three requests the demo suggests (the README shows the same ones)."""
    base = f"http://localhost:{port}"
    chat = json.dumps({"model": "qwen2.5:0.5b", "messages": [{"role": "user", "content": "Why is the sky blue?"}]},
                      separators=(",", ":"))
    return [
        f"curl {base}/olla/ollama/api/tags",
        f"curl {base}/olla/ollama/api/chat -d '{chat}'",
        f"curl {base}/internal/status",
    ]


def die_with_parent():
    """Runs in each child before exec: SIGTERM it when this script's thread goes away."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def start_mock(instance: dict, log) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, "-u", str(MOCK), "--port", "0", "--name", instance["name"],
         "--models", ",".join(instance["models"]), "--loaded", ",".join(instance["loaded"]),
         "--chunks", str(CHUNKS), "--chunk-delay-ms", str(CHUNK_DELAY_MS)],
        stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, text=True, preexec_fn=die_with_parent)
    line = proc.stdout.readline()  # "mock ollama listening on http://127.0.0.1:PORT"
    match = re.search(r":(\d+)\s*$", line)
    if not match:
        proc.kill()
        raise RuntimeError(f"simulated instance {instance['name']} did not start: {line!r}")
    proc.stdout.close()
    return proc, int(match.group(1))


def config(port: int, mock_ports: list[int]) -> dict:
    endpoints = [{"name": i["name"], "url": f"http://127.0.0.1:{p}", "type": "ollama", "priority": 100,
                  "check_interval": "2s", "check_timeout": "1s"}
                 for i, p in zip(INSTANCES, mock_ports)]
    return {
        "server": {"host": "127.0.0.1", "port": port, "shutdown_timeout": "2s"},
        "discovery": {"static": {"endpoints": endpoints}},
        "logging": {"level": "info", "format": "logfmt"},
    }


def wait_ready(proc: subprocess.Popen, port: int, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/internal/health", timeout=1) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.1)
    return False


def stop(procs: list[subprocess.Popen]):
    for p in procs:
        if p.poll() is None:
            p.terminate()
    deadline = time.monotonic() + 5
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--olla", default=str(REPO / ".build" / "release" / "olla"), help="the olla binary")
    ap.add_argument("--port", type=int, default=40114, help="Olla's port (default 40114)")
    args = ap.parse_args(argv)

    # SIGTERM ends the demo like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    workdir = Path(tempfile.mkdtemp(prefix="olla-demo-"))
    procs: list[subprocess.Popen] = []
    try:
        with open(workdir / "instances.log", "w") as mock_log:
            ports = []
            for instance in INSTANCES:
                proc, port = start_mock(instance, mock_log)
                procs.append(proc)
                ports.append(port)
            config_path = workdir / "config.json"
            config_path.write_text(json.dumps(config(args.port, ports), indent=2))
            olla = subprocess.Popen([args.olla, "--config", str(config_path)], stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                    preexec_fn=die_with_parent)
            procs.append(olla)
            if not wait_ready(olla, args.port):
                stop(procs)
                print(f"olla did not start; its log:\n{olla.stdout.read()}", file=sys.stderr)
                return 1
            print(banner(args.port, ports, config_path), flush=True)
            for line in olla.stdout:  # Olla's log until it exits or Ctrl-C
                print(line, end="", flush=True)
            olla.wait()
            print(f"olla exited with status {olla.returncode}", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        print("\nstopping Olla and the simulated instances", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop(procs)


def banner(port: int, mock_ports: list[int], config_path: Path) -> str:
    rows = [f"  {i['name']} (127.0.0.1:{p}): {', '.join(i['models'])}" for i, p in zip(INSTANCES, mock_ports)]
    tries = [f"  {c}" for c in try_commands(port)]
    return "\n".join([
        f"Olla is listening on http://localhost:{port}/olla/ollama/ in front of two simulated Ollama instances:",
        *rows,
        f"(configuration: {config_path})",
        "",
        "Try, from another terminal (the models list, a streamed chat, Olla's status page):",
        *tries,
        "",
        "Ctrl-C stops everything. Olla's log follows.",
        "",
    ])


if __name__ == "__main__":
    sys.exit(main())

"""Shared fixtures for Olla's integration tests.

Environment:
  OLLA_BIN        path of the daemon binary (default <repo>/.build/debug/olla; built with
                  `swift build --product olla` if missing, unless OLLA_NO_BUILD=1)
  OLLA_DIRECT=1   point the tests at the mock Ollama directly instead of through the daemon
                  (validates the mock and the tests themselves; daemon-only tests are skipped)
"""
from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from helpers import DeadPort, free_port, rss_kb  # noqa: E402
from mock_ollama import MockOllama  # noqa: E402

REPO = HERE.parent.parent
DIRECT = os.environ.get("OLLA_DIRECT") == "1"
PREFIX = "/olla/ollama"

_LIVE_DAEMONS: list = []


def pytest_configure(config):
    config.addinivalue_line("markers", "daemon_only: needs the real olla daemon (skipped with OLLA_DIRECT=1)")


def pytest_collection_modifyitems(config, items):
    if not DIRECT:
        return
    skip = pytest.mark.skip(reason="OLLA_DIRECT=1: tests proxy-specific behaviour")
    for item in items:
        if "daemon_only" in item.keywords:
            item.add_marker(skip)


# --------------------------------------------------------------------------------------
# Target: where requests go (the daemon's /olla/ollama prefix, or the mock itself)
# --------------------------------------------------------------------------------------

class Target:
    def __init__(self, host: str, port: int, prefix: str, direct: bool, daemon: Optional["Daemon"] = None):
        self.host, self.port, self.prefix, self.direct, self.daemon = host, port, prefix, direct, daemon

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base(self) -> str:
        """What an Ollama client uses as its host (http://127.0.0.1:P/olla/ollama)."""
        return self.origin + self.prefix

    def path(self, p: str) -> str:
        """Request target for backend path p (e.g. '/api/tags' -> '/olla/ollama/api/tags')."""
        return self.prefix + p

    def url(self, p: str) -> str:
        return self.origin + self.path(p)

    def __repr__(self):
        return f"Target({self.base}, direct={self.direct})"


# --------------------------------------------------------------------------------------
# The daemon
# --------------------------------------------------------------------------------------

_build_result: dict = {}


def olla_binary() -> Path:
    env = os.environ.get("OLLA_BIN")
    if env:
        p = Path(env).resolve()  # the daemon runs with cwd=tmpdir: a relative path would break
        if not p.exists():
            pytest.fail(f"OLLA_BIN={env} does not exist")
        return p
    p = REPO / ".build" / "debug" / "olla"
    if p.exists():
        return p
    if "error" in _build_result:
        pytest.fail(_build_result["error"])
    if os.environ.get("OLLA_NO_BUILD") == "1":
        pytest.fail(f"olla binary not found at {p} (OLLA_NO_BUILD=1)")
    timeout = float(os.environ.get("OLLA_BUILD_TIMEOUT", "600"))
    try:
        r = subprocess.run(["swift", "build", "--product", "olla"], cwd=REPO, capture_output=True,
                           text=True, timeout=timeout)
        out = (r.stdout + r.stderr)[-4000:]
    except subprocess.TimeoutExpired:
        r, out = None, f"swift build timed out after {timeout}s"
    except FileNotFoundError:
        r, out = None, "swift not found on PATH"
    if not p.exists():
        _build_result["error"] = f"olla binary not found at {p} and `swift build` did not produce it:\n{out}"
        pytest.fail(_build_result["error"])
    return p


def default_config(port: int, endpoints: list) -> dict:
    return {
        "server": {"host": "127.0.0.1", "port": port, "shutdown_timeout": "5s", "read_timeout": "30s"},
        "proxy": {"connection_timeout": "2s", "response_timeout": "10m", "read_timeout": "3s",
                  "stream_buffer_size": 1048576},
        "discovery": {"static": {"endpoints": endpoints}},
        "logging": {"level": "info", "format": "json"},
    }


def endpoint(name: str, url: str, priority: int = 100) -> dict:
    return {"name": name, "url": url, "type": "ollama", "priority": priority}


def deep_merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


class Daemon:
    def __init__(self, config: dict, tmpdir: Path, name: str = "olla"):
        self.config = config
        self.port = config["server"]["port"]
        self.tmpdir = tmpdir
        self.config_path = tmpdir / f"{name}-{self.port}.json"
        self.log_path = tmpdir / f"{name}-{self.port}.log"
        self.proc: Optional[subprocess.Popen] = None
        self.target = Target("127.0.0.1", self.port, PREFIX, False, self)
        self.started_at = 0.0

    def start(self, wait_ready: bool = True, ready_timeout: float = 15.0) -> "Daemon":
        binary = olla_binary()
        self.config_path.write_text(json.dumps(self.config, indent=2))
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([str(binary), "--config", str(self.config_path)],
                                     stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=self.tmpdir)
        self.started_at = time.monotonic()
        _LIVE_DAEMONS.append(self)
        if wait_ready:
            self.wait_ready(ready_timeout)
        return self

    def wait_ready(self, timeout: float = 15.0):
        deadline = time.monotonic() + timeout
        url = self.target.url("/")
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"olla exited with code {self.proc.returncode} before becoming ready.\n"
                                     f"config: {json.dumps(self.config)}\n--- log ---\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(url, timeout=1.0) as r:
                    if r.status == 200:
                        return
                    last = f"status {r.status}"
            except urllib.error.HTTPError as e:
                last = f"HTTP {e.code}"
            except Exception as e:  # connection refused while starting
                last = repr(e)
            time.sleep(0.05)
        raise AssertionError(f"olla not ready on {url} within {timeout}s (last: {last})\n--- log ---\n"
                             f"{self.log_tail()}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_kb(self) -> int:
        return rss_kb(self.proc.pid)

    def log_text(self) -> str:
        try:
            self._log.flush()
        except Exception:
            pass
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, n: int = 80) -> str:
        return "\n".join(self.log_text().splitlines()[-n:])

    def log_json(self) -> list:
        out = []
        for line in self.log_text().splitlines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out

    def signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def wait_exit(self, timeout: float) -> Optional[int]:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        try:
            self._log.close()
        except Exception:
            pass
        if self in _LIVE_DAEMONS:
            _LIVE_DAEMONS.remove(self)


@atexit.register
def _kill_all():
    for d in list(_LIVE_DAEMONS):
        d.kill()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)
    if rep.failed:
        for d in list(_LIVE_DAEMONS):
            rep.sections.append((f"olla log (port {d.port}, pid {d.proc.pid if d.proc else '?'})",
                                 d.log_tail(60)))


# --------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def tmp_root():
    d = Path(tempfile.mkdtemp(prefix="olla-it-"))
    yield d


@pytest.fixture(scope="module")
def mock():
    m = MockOllama(name="a").start()
    yield m
    m.stop()


@pytest.fixture(autouse=True)
def _reset_mock(request):
    """Fresh rules/models/log for every test (the module-scoped mock is shared)."""
    if "mock" in request.fixturenames:
        m = request.getfixturevalue("mock")
        m.reset()
    yield


@pytest.fixture(scope="module")
def olla(mock, tmp_root):
    """Target for ordinary tests: a daemon with the default config in front of ``mock``
    (or the mock itself with OLLA_DIRECT=1)."""
    if DIRECT:
        yield Target("127.0.0.1", mock.port, "", True)
        return
    cfg = default_config(free_port(), [endpoint("mock-a", mock.url)])
    d = Daemon(cfg, tmp_root)
    try:
        d.start()
        yield d.target
    finally:
        d.kill()


@pytest.fixture
def daemon(olla):
    """The Daemon object behind ``olla`` (skips in direct mode)."""
    if olla.direct:
        pytest.skip("needs the daemon")
    return olla.daemon


class DaemonFactory:
    def __init__(self, tmp_root: Path, mock: Optional[MockOllama]):
        self.tmp_root = tmp_root
        self.mock = mock
        self.started: list = []

    def config(self, endpoints: Optional[list] = None, overrides: Optional[dict] = None) -> dict:
        if endpoints is None:
            endpoints = [endpoint("mock-a", self.mock.url)]
        cfg = default_config(free_port(), endpoints)
        if overrides:
            cfg = deep_merge(cfg, overrides)
        return cfg

    def start(self, endpoints: Optional[list] = None, overrides: Optional[dict] = None,
              config: Optional[dict] = None, wait_ready: bool = True) -> Daemon:
        if DIRECT:
            pytest.skip("needs the daemon")
        cfg = config or self.config(endpoints, overrides)
        d = Daemon(cfg, self.tmp_root)
        self.started.append(d)
        d.start(wait_ready=wait_ready)
        return d

    def cleanup(self):
        for d in self.started:
            d.kill()


@pytest.fixture
def olla_factory(tmp_root, request):
    m = request.getfixturevalue("mock") if "mock" in request.fixturenames else None
    f = DaemonFactory(tmp_root, m)
    yield f
    f.cleanup()


@pytest.fixture
def dead_port():
    d = DeadPort()
    yield d
    d.close()


@pytest.fixture
def fresh(tmp_root):
    """A private mock + daemon pair for tests that change the backend's model list (pull,
    copy, delete), so that no cached catalogue in a shared daemon sees state change behind
    its back. Yields (mock, target)."""
    m = MockOllama(name="fresh").start()
    d = None
    try:
        if DIRECT:
            yield m, Target("127.0.0.1", m.port, "", True)
        else:
            d = Daemon(default_config(free_port(), [endpoint("mock-a", m.url)]), tmp_root, name="fresh")
            d.start()
            yield m, d.target
    finally:
        if d:
            d.kill()
        m.stop()


# --------------------------------------------------------------------------------------
# Several mock instances behind one daemon (test_2*_*.py)
# --------------------------------------------------------------------------------------

FAST_HEALTH = {"check_interval": "300ms", "check_timeout": "200ms"}
# For tests where health is not the subject: probes patient enough that a loaded machine
# (CI's 2 cores, shared) cannot make an idle mock miss one. A 200 ms check_timeout is missed
# when the mock or the daemon is not scheduled for 200 ms, which marks the instance offline
# (then 503s), and a probe over half the timeout marks it busy. 1500 ms < 2 s interval
# (the interval must exceed the timeout).
PATIENT_HEALTH = {"check_interval": "2s", "check_timeout": "1500ms"}
INTERNAL_PATHS = ("/", "/api/tags", "/api/ps", "/api/version", "/v1/models")


def endpoint_ex(name: str, url: str, type: str = "ollama", priority: int = 100, **kw) -> dict:
    """An endpoint with any extra keys (weight, check_interval, check_timeout, ...)."""
    return {"name": name, "url": url, "type": type, "priority": priority, **kw}


class Cluster:
    """Mocks by endpoint name, and the daemon in front of them."""

    def __init__(self, daemon: "Daemon", mocks: dict):
        self.daemon = daemon
        self.mocks = mocks
        self.t = daemon.target

    def __getitem__(self, name: str) -> MockOllama:
        return self.mocks[name]

    def client_requests(self, name: str, path: Optional[str] = None, method: Optional[str] = None) -> list:
        """Requests mock ``name`` received that Olla forwarded for a client (they carry
        X-Olla-Request-ID), optionally filtered by exact path and method."""
        out = [r for r in self.mocks[name].find_requests(path=path, method=method)
               if r.header("X-Olla-Request-ID") is not None]
        return out

    def who_got(self, path: str, method: Optional[str] = None, marker: Optional[str] = None) -> dict:
        """{endpoint name: number of forwarded client requests for ``path``} (all names listed)."""
        out = {}
        for n in self.mocks:
            rs = self.client_requests(n, path, method)
            if marker is not None:
                rs = [r for r in rs if r.header("X-Test-Marker") == marker]
            out[n] = len(rs)
        return out

    def clear_logs(self):
        for m in self.mocks.values():
            m.clear_log()


def assert_startup_inventory(cl: Cluster):
    """Olla reads every endpoint's models before it opens its port: right after start-up the
    catalogue (/v1/models, which also covers openai-compatible endpoints) must hold every
    model of every mock."""
    import urllib.request
    from mock_ollama import normalize_model
    # per endpoint, when the daemon has its status route (not part of the routing spec)
    try:
        with urllib.request.urlopen(cl.t.origin + "/internal/status/endpoints", timeout=5) as r:
            rows = {e["name"]: e for e in json.loads(r.read())["endpoints"]}
    except (urllib.error.URLError, ValueError, KeyError):
        rows = {}
    lost_rows = {}
    for n, row in rows.items():
        m = cl.mocks.get(n)
        if m is None:
            continue
        want = {x["name"] for x in m.models}
        if not want <= set(row.get("models") or []):
            lost_rows[n] = (f"status row lists models {sorted(row.get('models') or [])}, the mock served {sorted(want)} "
                            f"(its model-list answers [(status, outcome, bytes)]: "
                            f"{[(x.status, x.outcome, x.bytes_sent) for x in m.find_requests(method='GET') if x.path in ('/api/tags', '/v1/models')]})")
    assert not lost_rows, ("start-up inventory incomplete: right after Olla opened its port, "
                           "/internal/status/endpoints shows endpoints without the models they served at start-up:\n  "
                           + "\n  ".join(f"{n}: {v}" for n, v in lost_rows.items()))
    with urllib.request.urlopen(cl.t.url("/v1/models"), timeout=5) as r:
        ids = {d["id"] for d in json.loads(r.read())["data"]}
    missing = {}
    for n, m in cl.mocks.items():
        lost = sorted({x["name"] for x in m.models} - ids)
        if lost:
            tags = [(x.status, x.outcome, x.bytes_sent) for x in m.find_requests(method="GET")
                    if x.path in ("/api/tags", "/v1/models")]
            missing[n] = f"{lost} (its model-list requests: [(status, outcome, bytes sent)] = {tags})"
    assert not missing, ("start-up inventory incomplete: right after Olla opened its port, /v1/models lacks "
                         "models that these endpoints served at start-up:\n  " +
                         "\n  ".join(f"{n}: {v}" for n, v in missing.items()))
    with urllib.request.urlopen(cl.t.url("/api/ps"), timeout=5) as r:
        ps = {d["name"] for d in json.loads(r.read())["models"]}
    for n, m in cl.mocks.items():
        if not any(x.path == "/api/ps" for x in m.requests):
            continue  # not an Ollama endpoint (openai-compatible ones are never asked)
        want = ({normalize_model(x) for x in m.loaded} if m.loaded is not None
                else ({m.models[0]["name"]} if m.models else set()))
        lost = sorted(want - ps)
        if lost:
            missing[n] = f"{lost} (its /api/ps requests: [(status, outcome, bytes sent)] = " \
                         f"{[(x.status, x.outcome, x.bytes_sent) for x in m.find_requests(path='/api/ps')]})"
    assert not missing, ("start-up inventory incomplete: right after Olla opened its port, /api/ps lacks "
                         "models these endpoints reported loaded at start-up:\n  " +
                         "\n  ".join(f"{n}: {v}" for n, v in missing.items()))


@pytest.fixture
def cluster(tmp_root, request):
    """Factory: ``cluster([{"name": "a", "models": [...], "loaded": [...], "version": "0.1.0",
    "priority": 100, "weight": 1, "type": "ollama", "check_interval": ...}, ...], overrides={})``
    starts one MockOllama per item (inventory set before the daemon starts) and a daemon with
    one endpoint per item (the test module's ``CLUSTER_HEALTH`` if it sets one, else
    FAST_HEALTH, unless the item says otherwise). Everything it started is stopped after the
    test."""
    default_health = getattr(request.module, "CLUSTER_HEALTH", FAST_HEALTH)
    started_mocks: list = []
    factory = DaemonFactory(tmp_root, None)

    def make(spec: list, overrides: Optional[dict] = None, wait_ready: bool = True,
             check_inventory: bool = True) -> Cluster:
        if DIRECT:
            pytest.skip("needs the daemon")
        mocks, eps = {}, []
        for item in spec:
            item = dict(item)
            name = item.pop("name")
            m = MockOllama(name=name).start()
            started_mocks.append(m)
            if "models" in item:
                m.set_models(item.pop("models"))
            if "loaded" in item:
                m.loaded = item.pop("loaded")
            if "version" in item:
                m.version = item.pop("version")
            mocks[name] = m
            ep = {**default_health, **item}
            eps.append(endpoint_ex(name, m.url, **ep))
        d = factory.start(endpoints=eps, overrides=overrides, wait_ready=wait_ready)
        cl = Cluster(d, mocks)
        if wait_ready and check_inventory:
            assert_startup_inventory(cl)
        return cl

    yield make
    factory.cleanup()
    for m in started_mocks:
        m.stop()

"""Scenario 47: the docs' examples of live answers are what the daemon answers.

Docs that disagree with the binary mislead exactly the people who read them (issue #10): a
status example with a field the binary never sends, an error `code` it does not use. So:

- every fenced JSON example right under a `### GET /path` heading in docs/operations.md and
  docs/api.md is compared, by shape, with the daemon's live answer to that request: the same
  keys in every object (nothing documented that is not sent, nothing sent that is not
  documented) and the same kind of value (`null` in either stands for "when known");
- every error example marked `<!-- docs-example: error FLAVOUR -->` in docs/api.md is the
  daemon's answer to the request the test makes for it, byte for byte once parsed (Anthropic's
  `request_id` is per request: only its presence is checked), as are the 404 wordings;
- the route-table rows of docs/api.md that say Olla answers from the catalogue are answered
  from memory; operations.md's metrics table is the live families, types and labels; and
  deployment.md's account of what `"localhost"` listens on is what the daemon does.

Configuration examples (valid files, and the errors the loader reports) are checked by the
unit tests DocsExamplesTests and ConfigFilesTests.
"""
import json
import re
from pathlib import Path

import pytest

from conftest import PATIENT_HEALTH
from helpers import DeadPort, jreq, raw_request

pytestmark = pytest.mark.daemon_only

CLUSTER_HEALTH = PATIENT_HEALTH
DOCS = Path(__file__).resolve().parents[2] / "docs"
HEADING = re.compile(r"^#{2,4} GET (/\S+)\s*$")
MARKER = re.compile(r"^<!-- docs-example: (.+?) -->$")


def fenced_blocks(markdown: str):
    """(heading route or None, marker or None, language, text) for every fenced block; the
    route is that of the nearest `### GET /path` heading above it if no other block came
    between, the marker the `<!-- docs-example: ... -->` line right before it."""
    out, route, marker, block, lang = [], None, None, None, ""
    for line in markdown.splitlines():
        if block is None:
            if line.startswith("```"):
                block, lang = [], line[3:].strip()
                continue
            m = HEADING.match(line)
            if m:
                route = m.group(1)
            elif line.startswith("#"):
                route = None
            m = MARKER.match(line)
            marker = m.group(1) if m else (marker if not line.strip() else None)
        elif line == "```":
            out.append((route, marker, lang, "\n".join(block)))
            block, route, marker = None, None, None
        else:
            block.append(line)
    return out


def as_json(text: str):
    """The example as JSON; `…` marks elided list items or text."""
    return json.loads(re.sub(r",\s*…", "", text))


def shape_mismatches(doc, live, path="$") -> list:
    if doc is None or live is None:
        return []
    number = (int, float)
    if isinstance(doc, bool) or isinstance(live, bool):
        return [] if isinstance(doc, bool) and isinstance(live, bool) else [f"{path}: documented {doc!r}, live {live!r}"]
    if isinstance(doc, number) and isinstance(live, number):
        return []
    if type(doc) is not type(live):
        return [f"{path}: documented a {type(doc).__name__} ({doc!r:.60}), live a {type(live).__name__} ({live!r:.60})"]
    if isinstance(doc, dict):
        out = []
        if set(doc) - set(live):
            out.append(f"{path}: documented but not sent: {sorted(set(doc) - set(live))}")
        if set(live) - set(doc):
            out.append(f"{path}: sent but not documented: {sorted(set(live) - set(doc))}")
        for k in set(doc) & set(live):
            out += shape_mismatches(doc[k], live[k], f"{path}.{k}")
        return out
    if isinstance(doc, list) and doc and live:
        out = []
        for i, item in enumerate(live):
            out += shape_mismatches(doc[0], item, f"{path}[{i}]")
        return out
    return []


def documented_routes() -> list:
    """(document, route, example) for every JSON example under a `### GET /path` heading."""
    out = []
    for name in ("operations.md", "api.md"):
        for route, _, lang, text in fenced_blocks((DOCS / name).read_text()):
            if route is None or not text.lstrip().startswith("{"):
                continue
            out.append((name, route, as_json(text)))
    return out


def test_the_docs_have_route_examples_to_check():
    routes = {r for _, r, _ in documented_routes()}
    assert {"/internal/status", "/internal/status/endpoints", "/internal/status/models",
            "/internal/status/activity", "/version"} <= routes, routes


def test_every_documented_answer_has_the_live_answers_shape(cluster):
    cl = cluster([
        {"name": "gpu-box", "models": ["llama3.2", "qwen2.5:0.5b"], "loaded": ["llama3.2:latest"]},
        {"name": "workstation", "models": ["llama3.2"]},
    ])
    for _ in range(3):  # requests, so that counters, percentiles and the activity ring are filled
        r = jreq(cl.t, "POST", "/api/chat", {"model": "llama3.2", "stream": False,
                                             "messages": [{"role": "user", "content": "hi"}]})
        assert r.status == 200, r.describe()
    problems = []
    for doc, route, example in documented_routes():
        r = raw_request(cl.t.host, cl.t.port, "GET", route, timeout=5)
        assert r.status == 200, f"{doc}: GET {route}: {r.describe()}"
        problems += [f"{doc} GET {route}: {p}" for p in shape_mismatches(example, r.json())]
    assert not problems, "documented examples that the daemon does not answer that way:\n  " + "\n  ".join(problems)


def error_examples() -> dict:
    return {marker.split(" ", 1)[1]: as_json(text)
            for _, marker, _, text in fenced_blocks((DOCS / "api.md").read_text())
            if marker and marker.startswith("error ")}


def test_documented_errors_are_the_live_errors(olla_factory, cluster):
    examples = error_examples()
    assert set(examples) == {"native", "openai", "anthropic"}, examples
    dead = DeadPort()
    try:
        # the examples' instance: the built-in default's name, nothing listening
        d = olla_factory.start(endpoints=[{"name": "local-ollama", "url": dead.url, "type": "ollama",
                                           "priority": 100, **PATIENT_HEALTH}])
        chat = {"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}]}
        r = jreq(d.target, "POST", "/api/chat", chat)
        assert r.json() == examples["native"], f"docs/api.md's Ollama-shaped error: {r.describe()}"
        r = jreq(d.target, "POST", "/v1/chat/completions", chat)
        assert r.json() == examples["openai"], f"docs/api.md's OpenAI-shaped error: {r.describe()}"
    finally:
        dead.close()
    cl = cluster([{"name": "a", "models": ["llama3.2"]}])
    api = (DOCS / "api.md").read_text()
    # the 404 wordings of the route table and the status table
    r = raw_request(cl.t.host, cl.t.port, "GET", "/path", timeout=5)
    assert r.status == 404 and f"`{r.body.decode()}`" in api, f"api.md's 404 outside the routes: {r.describe()}"
    for path, body in (("/api/chat", {"model": "x", "stream": False}), ("/api/show", {"model": "x"})):
        r = jreq(cl.t, "POST", path, body)
        assert r.status == 404 and f"`{r.json()['error']}`" in api, f"api.md's 404 for a missing model on {path}: {r.describe()}"
    r = jreq(cl.t, "POST", "/v1/messages", {"model": "ghost", "max_tokens": 8,
                                            "messages": [{"role": "user", "content": "hi"}]})
    live = r.json()
    assert isinstance(live.pop("request_id", None), str), r.describe()
    want = dict(examples["anthropic"])
    want.pop("request_id")
    assert live == want, f"docs/api.md's Anthropic-shaped error: {r.describe()}"


def test_localhost_listens_on_ipv4_as_deployment_md_says(olla_factory):
    """docs/deployment.md: `"localhost"` listens on 127.0.0.1 (the first IPv4 address of the
    name), which the `listening` log line shows."""
    dead = DeadPort()
    try:
        d = olla_factory.start(endpoints=[{"name": "a", "url": dead.url, "type": "ollama", "priority": 100}],
                               overrides={"server": {"host": "localhost"}})  # ready = answers on 127.0.0.1
        listening = [x for x in d.log_json() if x.get("msg") == "listening"]
        assert listening and listening[0]["address"] == f"127.0.0.1:{d.port}", d.log_tail()
        assert f"listens on `127.0.0.1:40114`" in (DOCS / "deployment.md").read_text()
    finally:
        dead.close()


def catalogue_rows() -> list:
    """(methods, path) of docs/api.md's route-table rows that say Olla answers them itself."""
    out = []
    for line in (DOCS / "api.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[5].startswith("answered from the catalogue"):
            methods = re.findall(r"`([A-Z]+)`", cells[0])
            for path in re.findall(r"`(/[^`]+)`", cells[1]):
                out.append((methods, path))
    return out


def test_routes_the_docs_say_olla_answers_itself_are_answered_from_memory(cluster):
    rows = catalogue_rows()
    assert {p for _, p in rows} >= {"/api/tags", "/api/ps", "/api/version", "/v1/models", "/v1/models/{model}"}, rows
    cl = cluster([{"name": "a", "models": ["llama3.2"]}])
    for methods, path in rows:
        for method in methods:
            target = cl.t.path(path.replace("{model}", "llama3.2:latest"))
            r = raw_request(cl.t.host, cl.t.port, method, target, timeout=5)
            assert r.status == 200 and r.header("X-Olla-Endpoint") == "olla", f"{method} {path}: {r.describe()}"
    assert not [x for x in cl["a"].requests if x.header("X-Olla-Request-ID")], \
        "the catalogue routes reached the instance: " + str([(x.method, x.path) for x in cl["a"].requests])


def documented_metrics() -> dict:
    """{name: (type, {labels})} from the table under operations.md's `### GET /internal/metrics`."""
    out, inside = {}, False
    for line in (DOCS / "operations.md").read_text().splitlines():
        if line.startswith("#"):
            inside = line.strip() == "### GET /internal/metrics"
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if inside and len(cells) >= 4 and re.fullmatch(r"`olla_\w+`", cells[0]):
            out[cells[0].strip("`")] = (cells[1], set(re.findall(r"`(\w+)`", cells[2])))
    return out


def test_documented_metrics_are_the_live_families_with_their_labels(cluster):
    documented = documented_metrics()
    assert len(documented) >= 10, documented
    cl = cluster([{"name": "a", "models": ["llama3.2"]}])
    assert jreq(cl.t, "POST", "/api/chat", {"model": "llama3.2", "stream": False,
                                            "messages": [{"role": "user", "content": "hi"}]}).status == 200
    jreq(cl.t, "GET", "/api/tags")
    text = raw_request(cl.t.host, cl.t.port, "GET", "/internal/metrics", timeout=5).body.decode()
    live = {m.group(1): m.group(2) for m in re.finditer(r"^# TYPE (\S+) (\S+)$", text, re.M)}
    assert {n: t for n, (t, _) in documented.items()} == live, \
        f"operations.md's metrics table (name: type) vs the live families:\n  doc  {sorted(documented.items())}\n  live {sorted(live.items())}"
    labels = {}
    for m in re.finditer(r"^(olla_\w+?)(?:_bucket|_sum|_count)?(?:\{([^}]*)\})? \S+$", text, re.M):
        name = m.group(1) if m.group(1) in live else re.sub(r"_(bucket|sum|count)$", "", m.group(1))
        keys = set(re.findall(r'(\w+)="', m.group(2) or "")) - {"le"}
        labels.setdefault(name, set()).update(keys)
    wrong = {n: (sorted(documented[n][1]), sorted(k)) for n, k in labels.items() if n in documented and k != documented[n][1]}
    assert not wrong, f"metrics whose documented labels differ from the live ones (doc, live): {wrong}"
    assert 'endpoint="none"' in text, "operations.md: requests Olla answers itself have endpoint=\"none\""


def test_every_x_olla_header_the_daemon_sends_is_documented(cluster):
    documented = set()
    for page in DOCS.glob("*.md"):
        documented |= {h.lower() for h in re.findall(r"X-Olla-[A-Za-z-]+[A-Za-z]", page.read_text())}
    cl = cluster([{"name": "a", "models": ["llama3.2"]}, {"name": "b", "models": ["llama3.2"]}])
    chat = {"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}]}
    answers = [
        jreq(cl.t, "POST", "/api/chat", {**chat, "stream": False}),          # routed
        jreq(cl.t, "POST", "/api/chat", chat),                                # streamed
        jreq(cl.t, "GET", "/api/tags"),                                       # from the catalogue
        jreq(cl.t, "POST", "/api/chat", {**chat, "model": "ghost"}),          # rejected
        jreq(cl.t, "DELETE", "/api/delete", {"model": "llama3.2"}),           # fan-out
        jreq(cl.t, "POST", "/v1/chat/completions", chat),
    ]
    sent = {name.lower() for r in answers for name, _ in r.headers if name.lower().startswith("x-olla-")}
    assert len(sent) >= 9, sent
    assert sent <= documented, f"X-Olla-* headers the daemon sends that no page of docs/ describes: {sorted(sent - documented)}"

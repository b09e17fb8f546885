// Olla fleet page: polls Olla's status routes every two seconds and draws what they say.
// Plain DOM, no framework, no dependencies. Everything the server sends is set as text,
// never parsed as HTML. Paths are relative, so the page also works behind a path prefix.
"use strict";
(() => {
  const POLL_MS = 2000;
  const KEY_STORE = "olla.apiKey"; // sessionStorage: this tab only, gone when it closes
  const RECENT_ROWS = 20;
  const $ = (id) => document.getElementById(id);

  let last = null;        // the last complete poll: {status, endpoints, models, activity, at}
  let newestSeen = null;  // highest request sequence already shown, to flash new rows
  let polling = false;

  // ---- DOM helpers -------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value; else node.setAttribute(name, value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }
  function svg(tag, attrs) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    return node;
  }

  // ---- formatting ---------------------------------------------------------------------
  const DASH = "–";
  function ms(value) {
    if (value === null || value === undefined) return DASH;
    if (value < 1000) return Math.round(value) + " ms";
    if (value < 10000) return (value / 1000).toFixed(2) + " s";
    if (value < 60000) return (value / 1000).toFixed(1) + " s";
    return span(value / 1000);
  }
  function span(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 60) return seconds + "s";
    if (seconds < 3600) return Math.floor(seconds / 60) + "m " + String(seconds % 60).padStart(2, "0") + "s";
    if (seconds < 86400) return Math.floor(seconds / 3600) + "h " + String(Math.floor(seconds / 60) % 60).padStart(2, "0") + "m";
    return Math.floor(seconds / 86400) + "d " + Math.floor(seconds / 3600) % 24 + "h";
  }
  function rate(value) {
    if (value === null || value === undefined) return DASH;
    if (Number.isInteger(value)) return String(value);
    if (value < 10) return value.toFixed(2);
    if (value < 100) return value.toFixed(1);
    return Math.round(value).toString();
  }
  function bytes(value) {
    if (value === null || value === undefined) return DASH;
    if (value >= 1e9) return (value / 1e9).toFixed(1) + " GB";
    return Math.round(value / 1e6) + " MB";
  }
  function ago(msAgo) {
    if (msAgo === null || msAgo === undefined) return DASH;
    return msAgo < 1000 ? "now" : span(msAgo / 1000) + " ago";
  }
  function expiry(text) {
    const at = Date.parse(text || "");
    if (Number.isNaN(at)) return "";
    const left = at - Date.now();
    if (left > 365 * 86400e3) return "kept loaded";
    return left <= 0 ? "unloading" : "unloads in " + span(left / 1000);
  }
  function percent(value) {
    return value === null || value === undefined ? DASH : value + "%";
  }

  // ---- fetching -----------------------------------------------------------------------
  class NeedKey extends Error {}
  class Forbidden extends Error {}

  async function getJSON(path) {
    const headers = { Accept: "application/json" };
    const key = sessionStorage.getItem(KEY_STORE);
    if (key) headers.Authorization = "Bearer " + key;
    const response = await fetch(new URL(path, location.href), { headers, cache: "no-store", credentials: "omit" });
    if (response.status === 401) throw new NeedKey();
    if (response.status === 403) throw new Forbidden();
    if (!response.ok) throw new Error(path + " answered " + response.status);
    return response.json();
  }

  async function poll() {
    if (polling) return;
    polling = true;
    try {
      const [status, endpoints, models, activity] = await Promise.all([
        getJSON("../status"), getJSON("../status/endpoints"), getJSON("../status/models"), getJSON("../status/activity"),
      ]);
      last = { status, endpoints, models, activity, at: Date.now() };
      $("key-form").hidden = true;
      $("problem").hidden = true;
      $("main").hidden = false;
      render(last);
    } catch (error) {
      if (error instanceof NeedKey) askForKey();
      else if (error instanceof Forbidden) showProblem("This address may not read Olla's internal routes (server.internal_allowed_cidrs).");
      else showProblem("Olla did not answer: " + error.message + ". Retrying…");
    } finally {
      polling = false;
      tickFreshness();
    }
  }

  function askForKey() {
    const hadKey = sessionStorage.getItem(KEY_STORE) !== null;
    sessionStorage.removeItem(KEY_STORE);
    $("main").hidden = true;
    $("key-form").hidden = false;
    $("key-error").hidden = !hadKey;
    $("key-error").textContent = hadKey ? "That key was refused." : "";
    setOverall("unknown", "locked");
  }

  function showProblem(text) {
    $("problem").textContent = text;
    $("problem").hidden = false;
  }

  function tickFreshness() {
    const node = $("freshness");
    if (!last) { node.textContent = ""; return; }
    const age = Date.now() - last.at;
    const stale = age > 3 * POLL_MS;
    node.textContent = stale ? "no answer for " + span(age / 1000) : "updated " + ago(age);
    node.classList.toggle("stale", stale);
  }

  // ---- rendering ----------------------------------------------------------------------
  function setOverall(state, text) {
    const pill = $("overall");
    pill.dataset.state = state;
    pill.textContent = text;
  }

  function render(data) {
    const { status, endpoints, models, activity } = data;
    setOverall(status.status, status.status);
    $("meta").textContent = "v" + status.version + " · up " + status.uptime + " · " + endpoints.total_count +
      " instances, " + endpoints.routable_count + " routable · " + status.models.total + " models";
    renderTiles(status, activity.last_minute);
    const seen = learnedFromRecent(activity.recent);
    const scheduler = new Map((models.instances || []).map((instance) => [instance.endpoint, instance]));
    $("instances").replaceChildren(...endpoints.endpoints.map((endpoint) =>
      instanceCard(endpoint, scheduler.get(endpoint.name), seen)));
    $("charts").replaceChildren(...charts(activity));
    $("models").replaceChildren(...modelRows(models, endpoints.endpoints));
    $("recent").replaceChildren(...recentRows(activity.recent));
  }

  function renderTiles(status, minute) {
    $("t-inflight").textContent = status.requests.in_flight;
    $("t-rps").textContent = rate(minute.requests_per_second);
    $("t-p50").textContent = ms(minute.ttfb_p50_ms);
    $("t-p95").textContent = ms(minute.ttfb_p95_ms);
    $("t-tps").textContent = rate(minute.tokens_per_second);
    $("t-errors").textContent = minute.errors;
    $("t-cold").textContent = minute.cold_loads;
  }

  // Per instance and model: the newest generation speed and cold-load time seen in the
  // last requests, for when the scheduler has learned nothing (another balancer is in use).
  function learnedFromRecent(recent) {
    const learned = new Map();
    for (const request of recent) { // newest first: keep the first value seen
      if (!request.endpoint || !request.model) continue;
      const key = request.endpoint + "\u0000" + request.model;
      const entry = learned.get(key) || {};
      if (entry.tokensPerSecond === undefined && request.tokens_per_second !== null) entry.tokensPerSecond = request.tokens_per_second;
      if (entry.loadMs === undefined && request.cold_load) entry.loadMs = request.load_ms;
      learned.set(key, entry);
    }
    return (endpoint, model) => learned.get(endpoint + "\u0000" + model) || {};
  }

  function fact(label, value) {
    return el("div", null, el("span", { class: "k" }, label), el("span", { class: "v" }, value));
  }

  // Ollama's own rule (types/model/name.go), as ModelName.canonical: case-insensitive, a
  // scheme and the default host and namespace in front left out, no tag means ":latest".
  function canonical(name) {
    const parts = name.replace(/^https?:\/\//, "").toLowerCase().split("/");
    if (parts.length === 3 && parts[0] === "registry.ollama.ai") parts.shift();
    if (parts.length === 2 && parts[0] === "library" && /^[^:@]/.test(parts[1])) parts.shift();
    const folded = parts.join("/");
    return folded.slice(folded.lastIndexOf("/") + 1).includes(":") ? folded : folded + ":latest";
  }

  // What Olla knows of one model on one instance: learned by the residency-aware
  // scheduler when it runs, else the last values seen in recent requests.
  function costs(scheduler, seen, endpoint, name) {
    const learned = (scheduler?.learned || []).find((entry) => canonical(entry.model) === canonical(name));
    if (learned) return { tokensPerSecond: learned.tokens_per_second ?? undefined, loadMs: learned.load_time_ms ?? undefined };
    return seen(endpoint, name);
  }

  function instanceCard(endpoint, scheduler, seen) {
    const details = new Map((endpoint.loaded || []).map((model) => [model.name, model]));
    const loadedNames = endpoint.loaded_models || [];
    const psNames = new Set(loadedNames.map(canonical));
    // Models the scheduler has just sent there and /api/ps does not list yet.
    const loading = (scheduler?.resident || []).filter((entry) => !psNames.has(canonical(entry.model)));
    const loaded = loadedNames.concat(loading.map((entry) => entry.model)).map((name) => {
      const model = details.get(name) || { name };
      const known = costs(scheduler, seen, endpoint.name, name);
      const pending = loading.find((entry) => entry.model === name);
      const parts = [];
      if (model.size) parts.push(bytes(model.size));
      if (model.size && model.size_vram !== null && model.size_vram !== undefined) {
        parts.push(Math.round(100 * model.size_vram / model.size) + "% GPU");
      }
      if (model.context_length) parts.push("ctx " + model.context_length);
      if (pending?.running) parts.push(pending.running + " running");
      if (known.tokensPerSecond !== undefined) parts.push(rate(known.tokensPerSecond) + " tok/s");
      if (known.loadMs !== undefined) parts.push("load " + ms(known.loadMs));
      return el("li", { "data-model": name, class: pending ? "pending" : null },
        el("span", { class: "name", title: name }, name),
        el("span", { class: "exp" }, pending ? pending.state : expiry(model.expires_at)),
        parts.length ? el("span", { class: "detail" }, parts.join(" · ")) : null);
    });
    const down = !endpoint.routable;
    const typeAndVersion = [endpoint.type, endpoint.version ? "v" + endpoint.version : null].filter(Boolean).join(" · ");
    return el("article", { class: "card" + (down ? " down" : ""), "data-endpoint": endpoint.name },
      el("header", null,
        el("h3", { title: endpoint.name }, endpoint.name),
        el("span", { class: "state", "data-state": endpoint.status }, endpoint.status)),
      el("div", { class: "url", title: endpoint.url }, endpoint.url + " · " + typeAndVersion),
      el("div", { class: "facts" },
        fact("Priority", endpoint.priority), fact("Weight", endpoint.weight),
        fact("In flight", endpoint.in_flight), fact("Requests", endpoint.request_count),
        fact("Success", percent(endpoint.success_rate)), fact("p50", ms(endpoint.latency_p50_ms)),
        fact("p95", ms(endpoint.latency_p95_ms)), fact("Checked", ago(endpoint.last_check_ago_ms)),
        scheduler ? [
          fact("Slots/model", scheduler.num_parallel === null ? "∞" : scheduler.num_parallel + (scheduler.num_parallel_known ? "" : "?")),
          fact("Max loaded", scheduler.max_loaded_models ?? DASH),
          fact("Running", scheduler.running), fact("Cold loads", scheduler.cold_loads),
        ] : null),
      down && loaded.length ? el("p", { class: "stale-note" }, "last known before it went down:") : null,
      loaded.length ? el("ul", { class: "loaded", "aria-label": "Loaded models" }, loaded)
        : el("div", { class: "none" }, "no model loaded"),
      el("div", { class: "offered" }, "Offers " + endpoint.model_count + ": " + (endpoint.models || []).join(", ")),
      endpoint.last_error ? el("div", { class: "last-error" }, endpoint.last_error) : null);
  }

  // ---- charts: plain SVG, scaled to the window ------------------------------------------
  const CHARTS = [
    { title: "Requests/s", lines: [["requests_per_second", "a", null]], format: rate },
    { title: "Time to first token", lines: [["ttfb_p50_ms", "a", "p50"], ["ttfb_p95_ms", "b", "p95"]], format: ms },
    { title: "Tokens/s", lines: [["tokens_per_second", "a", null]], format: rate },
    { title: "Errors and cold loads", bars: [["errors", "a", "errors"], ["cold_loads", "b", "cold loads"]], format: String },
  ];
  const WIDTH = 300, HEIGHT = 90;

  function niceMax(value) {
    if (!(value > 0)) return 1;
    const power = Math.pow(10, Math.floor(Math.log10(value)));
    return [1, 2, 5, 10].map((step) => step * power).find((candidate) => candidate >= value);
  }

  function charts(activity) {
    const slots = Math.round(600000 / activity.bucket_ms); // ten minutes of buckets
    const series = activity.timeline;
    const x = (index, count) => ((slots - count + index + 0.5) / slots) * WIDTH;
    return CHARTS.map((chart) => {
      const keys = (chart.lines || chart.bars).map(([key]) => key);
      const columns = keys.map((key) => series[key].slice(-slots));
      const totals = chart.bars ? columns[0].map((_, i) => columns.reduce((sum, column) => sum + (column[i] || 0), 0)) : null;
      const max = niceMax(Math.max(0, ...(totals || columns.flat().filter((v) => v !== null))));
      const y = (value) => HEIGHT - (value / max) * (HEIGHT - 4);
      const drawing = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: "none", role: "img", "aria-label": chart.title });
      for (const level of [0, 0.5, 1]) {
        drawing.append(svg("line", { class: "gridline", x1: 0, x2: WIDTH, y1: y(level * max), y2: y(level * max) }));
      }
      if (chart.lines) {
        chart.lines.forEach(([, style], n) => {
          let d = "", pen = "M";
          columns[n].forEach((value, i) => {
            if (value === null) { pen = "M"; return; }
            d += `${pen}${x(i, columns[n].length).toFixed(1)},${y(value).toFixed(1)}`;
            pen = "L";
          });
          drawing.append(svg("path", { class: "series-" + style, d }));
        });
      } else {
        const barWidth = WIDTH / slots;
        chart.bars.forEach(([, style], n) => {
          columns[n].forEach((value, i) => {
            if (!value) return;
            const below = columns.slice(0, n).reduce((sum, column) => sum + (column[i] || 0), 0);
            drawing.append(svg("rect", {
              class: "bars-" + style, width: barWidth.toFixed(2), x: (x(i, columns[n].length) - barWidth / 2).toFixed(2),
              y: y(below + value).toFixed(1), height: (y(below) - y(below + value)).toFixed(1),
            }));
          });
        });
      }
      const latest = columns.map((column) => (column.length ? column[column.length - 1] : null));
      const named = chart.lines || chart.bars;
      const now = named.map(([, style, label], n) =>
        el("span", { class: "key-" + (chart.bars && style === "a" ? "bad" : style) }, (label ? label + " " : "") + chart.format(latest[n])));
      return el("figure", { class: "chart", "data-chart": keys[0] },
        el("div", { class: "head" }, el("span", { class: "title" }, chart.title), el("span", { class: "now" }, ...joinWith(now, " · "))),
        drawing,
        el("div", { class: "axis" }, el("span", null, "10 min ago"), el("span", null, "top " + chart.format(max)), el("span", null, "now")));
    });
  }

  function joinWith(nodes, separator) {
    return nodes.flatMap((node, i) => (i ? [separator, node] : [node]));
  }

  // ---- tables -------------------------------------------------------------------------
  function modelRows(models, endpoints) {
    const state = new Map(endpoints.map((endpoint) => [endpoint.name, endpoint.status]));
    const held = new Map((models.held || []).map((entry) => [canonical(entry.model), entry.count]));
    const head = el("tr", null, el("th", null, "Model"), el("th", null, "Instances (loaded ones highlighted)"));
    if (!models.models.length) return [head, el("tr", null, el("td", { colspan: 2, class: "none" }, "no models offered by a routable instance"))];
    return [head, ...models.models.map((model) => {
      const loadedOn = new Set(model.loaded_on);
      return el("tr", { "data-model": model.name },
        el("td", { class: "model", title: model.name }, model.name),
        el("td", null, model.endpoints.map((name) => el("span", {
          class: "chip" + (loadedOn.has(name) ? " on" : ""), title: state.get(name) || "",
          "data-loaded": loadedOn.has(name) ? "true" : "false",
        }, (loadedOn.has(name) ? "● " : "") + name)),
        held.get(canonical(model.name)) ? el("span", { class: "held" }, held.get(canonical(model.name)) + " held by Olla") : null));
    })];
  }

  function statusClass(status) {
    if (status >= 200 && status < 400) return "status-ok";
    if (status >= 400 && status < 500) return "status-client";
    return "status-bad";
  }

  function recentRows(recent) {
    const head = el("tr", null, ...["When", "Model", "Instance", "Status", "First token", "Duration", "Tokens", "Tok/s", "Routing"]
      .map((title, i) => el("th", { class: [3, 4, 5, 6, 7].includes(i) ? "n" : null }, title)));
    const rows = recent.slice(0, RECENT_ROWS).map((request) => {
      const tokens = request.completion_tokens === null ? DASH : request.prompt_tokens + " → " + request.completion_tokens;
      return el("tr", { class: newestSeen !== null && request.sequence > newestSeen ? "new" : null, "data-sequence": request.sequence },
        el("td", null, ago(request.ago_ms)),
        el("td", { class: "model", title: request.model || "" }, request.model || DASH),
        el("td", null, request.endpoint || "olla"),
        el("td", { class: "n " + statusClass(request.status) }, request.status || "none"),
        el("td", { class: "n" }, ms(request.ttfb_ms), request.cold_load ? el("span", { class: "cold", title: "the backend loaded the model: " + ms(request.load_ms) }, " cold") : null),
        el("td", { class: "n" }, ms(request.duration_ms)),
        el("td", { class: "n" }, tokens),
        el("td", { class: "n" }, rate(request.tokens_per_second)),
        el("td", { class: "wrap" }, [request.method + " " + request.route, request.reason].filter(Boolean).join(" · ")));
    });
    newestSeen = Math.max(newestSeen ?? 0, ...recent.map((request) => request.sequence));
    if (!rows.length) rows.push(el("tr", null, el("td", { colspan: 9, class: "none" }, "no requests yet")));
    return [head, ...rows];
  }

  // ---- start --------------------------------------------------------------------------
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("key-input").value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY_STORE, key);
    $("key-input").value = "";
    poll();
  });
  poll();
  setInterval(poll, POLL_MS);
  setInterval(tickFreshness, 1000);
})();

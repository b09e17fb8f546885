"""Scenario 50: the fleet page, GET /internal/ui/ (docs/operations.md "Fleet page"), in a real browser.

Three mock instances behind one daemon with an API key: ep-a (priority 200, llama3.2 loaded),
ep-b (nothing loaded, mistral:7b only here) and ep-c (check interval 1 s, with a backend
credential in its configured headers). Headless Chromium (Debian's `chromium` and
`chromium-driver`, driven by Selenium) opens the page and sees what a person would: the key
form, then every instance with its state, llama3.2 loaded on ep-a and not on ep-b, requests
made during the test in the list of last requests (a cold load marked as such), ep-c turning
offline within its check interval after it is killed, and never a secret. Screenshots (wide
light and dark, phone width) are saved under tmp/artifacts/fleet-page/, printed at the end.

Skipped with the reason when Selenium or Chromium is missing or Chromium cannot start.
"""
from __future__ import annotations

import datetime
import json
import os
import random
import shutil
import threading
import time
from pathlib import Path

import pytest

from conftest import DaemonFactory, endpoint_ex
from helpers import jreq, raw_request
from mock_ollama import MockOllama

pytestmark = pytest.mark.daemon_only

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
from selenium.common.exceptions import TimeoutException, WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("OLLA_TEST_ARTIFACTS", REPO / "tmp" / "artifacts")) / "fleet-page"
API_KEY = "sk-fleet-page-test-key"
BACKEND_SECRET = "backend-secret-7d1c0f"
PAGE_POLL_S = 2.0
C_CHECK_INTERVAL_S = 1.0
C_CHECK_TIMEOUT_S = 0.5


def chromium_driver():
    """Headless Chromium, or a skip that says why there is none."""
    browser = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    driver_path = shutil.which("chromedriver") or ("/usr/lib/chromium/chromedriver"
                                                   if os.path.exists("/usr/lib/chromium/chromedriver") else None)
    if not browser or not driver_path:
        pytest.skip("no Chromium: install the Debian packages chromium and chromium-driver (make deps)")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    options = Options()
    options.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1000", "--hide-scrollbars", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    try:
        return webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    except WebDriverException as ex:
        pytest.skip(f"headless Chromium did not start: {ex.msg or ex}".splitlines()[0])


class Env:
    pass


@pytest.fixture(scope="module")
def env(tmp_root):
    e = Env()
    e.a, e.b, e.c = (MockOllama(name=n).start() for n in ("a", "b", "c"))
    in_ten_minutes = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=10)) \
        .strftime("%Y-%m-%dT%H:%M:%S.000000000Z")
    e.a.set_models(["llama3.2", "qwen2.5:0.5b"])
    e.a.loaded = ["llama3.2"]
    e.b.set_models(["llama3.2", "mistral:7b"])
    e.b.loaded = []
    e.c.set_models(["phi3:mini"])
    e.c.loaded = ["phi3:mini"]
    for m in (e.a, e.b, e.c):
        m.ps_expires_at = in_ten_minutes
    fast = {"check_interval": "300ms", "check_timeout": "200ms"}
    eps = [endpoint_ex("ep-a", e.a.url, priority=200, weight=3, **fast),
           endpoint_ex("ep-b", e.b.url, priority=100, weight=1, **fast),
           endpoint_ex("ep-c", e.c.url, priority=100, weight=1, check_interval=f"{int(C_CHECK_INTERVAL_S * 1000)}ms",
                       check_timeout=f"{int(C_CHECK_TIMEOUT_S * 1000)}ms",
                       headers={"X-Gateway-Key": BACKEND_SECRET})]
    f = DaemonFactory(tmp_root, None)
    e.driver = None
    try:
        e.d = f.start(endpoints=eps, overrides={"server": {"auth": {"api_keys": [API_KEY]}}})
        e.t = e.d.target
        e.page = f"http://127.0.0.1:{e.d.port}/internal/ui/"
        yield e
    finally:
        if e.driver:
            e.driver.quit()
        f.cleanup()
        for m in (e.a, e.b, e.c):
            m.stop()


@pytest.fixture(scope="module")
def browser(env):
    env.driver = chromium_driver()
    env.driver.set_page_load_timeout(15)
    return env.driver


def auth():
    return [("Authorization", f"Bearer {API_KEY}")]


def wait_for(driver, what: str, predicate, timeout: float = 8.0):
    """Waits until ``predicate(driver)`` is truthy; fails naming ``what`` and the page's state."""
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: predicate(d))
    except TimeoutException:
        body = driver.find_element(By.TAG_NAME, "body").text[:1500]
        raise AssertionError(f"after {timeout} s the page does not show {what}. It shows:\n{body}") from None


def card(driver, name: str):
    return driver.find_element(By.CSS_SELECTOR, f'article.card[data-endpoint="{name}"]')


def card_state(driver, name: str) -> str:
    try:
        return card(driver, name).find_element(By.CSS_SELECTOR, ".state").text
    except WebDriverException:
        return ""


def recent_rows(driver) -> list[list[str]]:
    rows = driver.find_elements(By.CSS_SELECTOR, "#recent tr[data-sequence]")
    return [[td.text for td in row.find_elements(By.TAG_NAME, "td")] for row in rows]


def screenshot(driver, name: str, width: int, dark: bool = False, mobile: bool = False) -> Path:
    """A screenshot at ``width`` CSS pixels, light or dark: the whole page, or on a phone the
    first two screens."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]})
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 900, "deviceScaleFactor": 2 if mobile else 1, "mobile": mobile})
    time.sleep(PAGE_POLL_S + 0.3)  # one poll with the new size, so nothing is half-drawn
    height = driver.execute_script("return document.documentElement.scrollHeight")
    if mobile:
        height = min(height, 1700)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": int(height), "deviceScaleFactor": 2 if mobile else 1, "mobile": mobile})
    time.sleep(0.3)
    path = ARTIFACTS / f"{name}.png"
    path.write_bytes(driver.get_screenshot_as_png())
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    return path


def test_files_are_served_with_type_validator_and_no_key(env):
    for path, ctype in (("/internal/ui/", "text/html"), ("/internal/ui/fleet.css", "text/css"),
                        ("/internal/ui/fleet.js", "text/javascript")):
        r = raw_request("127.0.0.1", env.d.port, "GET", path, [], timeout=5)
        assert r.status == 200, f"GET {path} without a key: {r.describe()} (the page's files hold no data)"
        assert (r.header("Content-Type") or "").startswith(ctype), f"GET {path}: {r.header('Content-Type')}"
        assert r.header("Cache-Control") == "no-cache", f"GET {path}: Cache-Control {r.header('Cache-Control')}"
        assert "script-src 'self'" in (r.header("Content-Security-Policy") or ""), f"GET {path}: no CSP"
        tag = r.header("ETag")
        again = raw_request("127.0.0.1", env.d.port, "GET", path, [("If-None-Match", tag)], timeout=5)
        assert again.status == 304 and again.body == b"", f"GET {path} with If-None-Match {tag}: {again.describe()}"
    r = raw_request("127.0.0.1", env.d.port, "GET", "/internal/ui", [], timeout=5)
    assert r.status == 308 and r.header("Location") == "/internal/ui/", f"GET /internal/ui: {r.describe()}"
    r = raw_request("127.0.0.1", env.d.port, "GET", "/internal/status/activity", [], timeout=5)
    assert r.status == 401, f"the page's data needs the key like every status route: {r.describe()}"
    r = raw_request("127.0.0.1", env.d.port, "GET", "/internal/status/activity", auth(), timeout=5)
    assert r.status == 200 and set(r.json()) >= {"bucket_ms", "timeline", "last_minute", "recent"}, r.describe()


def test_page_asks_for_the_key_and_then_shows_every_instance(env, browser):
    browser.get(env.page)
    wait_for(browser, "the API key form", lambda d: d.find_element(By.ID, "key-form").is_displayed())
    browser.find_element(By.ID, "key-input").send_keys("sk-wrong")
    browser.find_element(By.CSS_SELECTOR, "#key-form button").click()
    wait_for(browser, "that the wrong key was refused",
             lambda d: "refused" in d.find_element(By.ID, "key-error").text)
    browser.find_element(By.ID, "key-input").send_keys(API_KEY)
    browser.find_element(By.CSS_SELECTOR, "#key-form button").click()
    wait_for(browser, "three instance cards", lambda d: len(d.find_elements(By.CSS_SELECTOR, "article.card")) == 3)
    assert not browser.find_element(By.ID, "key-form").is_displayed(), "the key form stays after the key worked"
    for name in ("ep-a", "ep-b", "ep-c"):
        wait_for(browser, f"{name} as healthy", lambda d, n=name: card_state(d, n) == "healthy")
    a = card(browser, "ep-a")
    assert a.find_element(By.CSS_SELECTOR, "h3").text == "ep-a"
    facts = a.find_element(By.CSS_SELECTOR, ".facts").text.split("\n")
    assert facts[:4] == ["Priority", "200", "Weight", "3"], f"ep-a's facts read {facts}"
    # The residency-aware scheduler (the default balancer) adds its view of the instance.
    assert "Slots/model" in facts and "Cold loads" in facts, f"ep-a's facts lack the scheduler's: {facts}"


def test_loaded_models_are_shown_where_they_are(env, browser):
    # Ollama (and the mock) name a model without a tag with ":latest".
    wait_for(browser, "llama3.2 loaded on ep-a", lambda d: card(d, "ep-a").find_elements(
        By.CSS_SELECTOR, 'ul.loaded li[data-model="llama3.2:latest"]'))
    item = card(browser, "ep-a").find_element(By.CSS_SELECTOR, 'ul.loaded li[data-model="llama3.2:latest"]')
    assert "3.0 GB" in item.text and "unloads in" in item.text, f"ep-a's llama3.2 reads {item.text!r}"
    assert not card(browser, "ep-b").find_elements(By.CSS_SELECTOR, "ul.loaded li"), "ep-b has nothing loaded"
    assert "no model loaded" in card(browser, "ep-b").text
    row = browser.find_element(By.CSS_SELECTOR, '#models tr[data-model="llama3.2:latest"]')
    chips = {c.text.lstrip("● "): c.get_attribute("data-loaded") for c in row.find_elements(By.CSS_SELECTOR, ".chip")}
    assert chips == {"ep-a": "true", "ep-b": "false"}, f"llama3.2's row in the model table: {chips}"


def test_requests_made_now_appear_in_the_list(env, browser):
    r = jreq(env.t, "POST", "/api/chat", {"model": "mistral:7b", "messages": [{"role": "user", "content": "hi"}]},
             headers=auth())
    assert r.status == 200, r.describe()
    cold = jreq(env.t, "POST", "/api/generate", {"model": "qwen2.5:0.5b", "prompt": "hello", "stream": True},
                headers=auth() + [("X-Mock-Load-Ms", "1500"), ("X-Mock-Head-Delay-Ms", "300")])
    assert cold.status == 200, cold.describe()
    rows = wait_for(browser, "the two requests in the list of last requests", lambda d: (
        lambda rows: rows if {"mistral:7b", "qwen2.5:0.5b"} <= {row[1] for row in rows} else None)(recent_rows(d)))
    by_model = {row[1]: row for row in rows}
    mistral = by_model["mistral:7b"]
    assert mistral[2] == "ep-b" and mistral[3] == "200", f"the mistral:7b row reads {mistral}"
    assert "POST /api/chat" in mistral[8], f"the routing column reads {mistral[8]!r}"
    qwen = by_model["qwen2.5:0.5b"]
    assert qwen[2] == "ep-a" and "cold" in qwen[4], f"the cold qwen2.5:0.5b request reads {qwen}"
    wait_for(browser, "a cold load in the last-minute tile", lambda d: d.find_element(By.ID, "t-cold").text == "1")


def test_nothing_on_the_page_or_in_its_data_leaks_a_secret(env, browser):
    texts = [browser.page_source]
    for path in ("/internal/status", "/internal/status/endpoints", "/internal/status/models",
                 "/internal/status/activity"):
        texts.append(raw_request("127.0.0.1", env.d.port, "GET", path, auth(), timeout=5).body.decode())
    for text in texts:
        assert BACKEND_SECRET not in text, "an endpoint's configured header value reached the page"
        assert "X-Gateway-Key" not in text, "an endpoint's configured header name reached the page"
        assert API_KEY not in text, "the API key is written into the page"
    stored = browser.execute_script("return [localStorage.length, sessionStorage.getItem('olla.apiKey')]")
    assert stored == [0, API_KEY], f"the key must live in this tab's sessionStorage only: {stored}"


def test_killed_instance_turns_offline_within_its_check_interval(env, browser):
    wait_for(browser, "ep-c as healthy", lambda d: card_state(d, "ep-c") == "healthy")
    env.c.kill()
    killed = time.monotonic()
    bound = C_CHECK_INTERVAL_S + C_CHECK_TIMEOUT_S + PAGE_POLL_S + 1.0
    wait_for(browser, "ep-c as offline", lambda d: card_state(d, "ep-c") == "offline", timeout=bound + 5)
    took = time.monotonic() - killed
    assert took <= bound, (f"ep-c showed offline {took:.1f} s after it was killed; its check interval is "
                           f"{C_CHECK_INTERVAL_S} s, the page polls every {PAGE_POLL_S} s (bound {bound} s)")
    assert card_state(browser, "ep-a") == "healthy" and card_state(browser, "ep-b") == "healthy"
    assert "down" in card(browser, "ep-c").get_attribute("class")


def traffic(env, seconds: float) -> list:
    """Four users in a closed loop with a mixed load (warm and cold answers, some errors) for
    ``seconds``, in background threads. OLLA_FLEET_PAGE_TRAFFIC_S=150 before the screenshots
    fills the charts (how docs/fleet-page*.png were made)."""
    rng = random.Random(15)
    end = time.monotonic() + seconds

    def user():
        while time.monotonic() < end:
            model = rng.choice(["llama3.2", "llama3.2", "mistral:7b", "qwen2.5:0.5b"])
            roll = rng.random()
            headers = auth() + [("X-Mock-Chunks", str(rng.randint(10, 60))), ("X-Mock-Chunk-Delay-Ms", "20"),
                                ("X-Mock-Head-Delay-Ms", str(rng.randint(60, 400)))]
            if roll < 0.06:
                headers += [("X-Mock-Load-Ms", "1800"), ("X-Mock-Head-Delay-Ms", "1800")]
            elif roll < 0.09:
                headers += [("X-Mock-Status", "500")]
            jreq(env.t, "POST", "/api/chat", {"model": model, "messages": [{"role": "user", "content": "hi"}]},
                 headers=headers, timeout=30)
            time.sleep(rng.uniform(0.2, 1.5))

    threads = [threading.Thread(target=user, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    return threads


def test_screenshots(env, browser, capsys):
    seconds = float(os.environ.get("OLLA_FLEET_PAGE_TRAFFIC_S", "4"))
    users = traffic(env, seconds + 12)  # still running while the pictures are taken
    time.sleep(seconds)
    shots = [screenshot(browser, "wide-light", 1280), screenshot(browser, "wide-dark", 1280, dark=True),
             screenshot(browser, "phone-light", 390, mobile=True), screenshot(browser, "phone-dark", 390, dark=True, mobile=True)]
    for user in users:
        user.join()
    for shot in shots:
        assert shot.stat().st_size > 10_000, f"{shot} looks empty"
    wide = browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert wide, "the page scrolls sideways at 1280 px"
    with capsys.disabled():
        print(f"\nfleet page screenshots: {ARTIFACTS}")

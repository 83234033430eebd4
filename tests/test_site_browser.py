"""The built site in a real headless browser: Debian's Chromium driven through its
WebDriver (``/usr/bin/chromium``, ``/usr/bin/chromedriver``, installed by
tests/ensure_browser.sh) with selenium. The site is served on 127.0.0.1 by a plain
static file server (as Caddy/nginx would); typing a word of a paper's title into the
search box lists that paper, and a screenshot of the index page is kept as a test
artifact (``$PAPERBOT_ARTIFACTS``, default ``test-artifacts/``)."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import threading
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from jobs import store
from jobs.site import build_site
from tests.conftest import REPO
from tests.site_fixtures import seed_site

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = Path(os.environ.get("PAPERBOT_ARTIFACTS") or REPO / "test-artifacts")


@contextlib.contextmanager
def static_server(root: Path):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def chromium(profile: Path):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                "--window-size=1100,1300"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def require_browser() -> None:
    """Skip with the reason on a developer's machine without Chromium; fail in CI, where
    .ci/run installs it first."""
    if Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists():
        return
    missing = ("Chromium or its WebDriver is missing: run tests/ensure_browser.sh as root "
               "(or apt-get install chromium chromium-driver) to test the site's search")
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{missing}; .ci/run must install it before the tests")
    pytest.skip(missing)


@pytest.mark.slow
def test_search_finds_a_paper_by_a_word_of_its_title(tmp_path):
    require_browser()
    db = store.memory_db()
    seed_site(db, 12)
    site = tmp_path / "site"
    build_site(db, site, languages=["en", "ko", "ja", "zh", "ru"])
    with static_server(site) as url, chromium(tmp_path / "profile") as driver:
        driver.get(f"{url}/en/index.html")
        assert "Recent papers" in driver.find_element(By.TAG_NAME, "h1").text
        box = driver.find_element(By.ID, "q")
        box.send_keys("tiny")
        wait = WebDriverWait(driver, 10)
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#results li a")))
        found = driver.find_elements(By.CSS_SELECTOR, "#results li a")
        assert [a.text for a in found] == ['Tiny <script>alert(1)</script> & "Models" 1']
        assert found[0].get_attribute("href") == f"{url}/en/p/2401.00002.html"
        box.clear()
        box.send_keys("routing 7")  # every word must match (title, authors or ID)
        wait.until(lambda d: "Sparse Mixture Routing 7" in [
            a.text for a in d.find_elements(By.CSS_SELECTOR, "#results li a")])
        got = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "#results li a")]
        assert len(got) <= 2 and all("Routing" in t for t in got)  # 7, or 6 (ID 2401.00007)
        box.clear()
        box.send_keys("nothing-like-this")
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#results li").text ==
                   "No paper matches.")
        box.clear()
        box.send_keys("routing")
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results li a")) == 11)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "site-index.png"
        assert driver.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000
        # a paper page in Korean opens from the index
        driver.get(f"{url}/ko/index.html")
        driver.find_element(By.CSS_SELECTOR, "ul.papers a.title").click()
        assert "블로그" in driver.find_element(By.CSS_SELECTOR, ".curators").text

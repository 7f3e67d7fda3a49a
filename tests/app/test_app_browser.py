"""The page in a real browser: ``x2ct app`` on a free local port, driven by headless Chromium.

Picks a bundled example pair, reconstructs it, and checks that the slices, the 3D view and the
measures appear; saves a screenshot (``X2CT_APP_SCREENSHOT`` names where, else the test's
temporary folder; docs/app.md shows the one taken for the docs). Uses Debian's chromium through
Playwright's Python package; no browser is downloaded.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SRC = Path(__file__).resolve().parents[2] / "src"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, server: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"x2ct app exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"x2ct app did not answer on {url} within {seconds:.0f} s")


@pytest.fixture
def app_url(tmp_path):
    """Start ``python -m x2ct app`` on a free port; stop it afterwards."""
    pytest.importorskip("gradio", reason="the optional extra x2ct[app] is not installed")
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "x2ct", "app", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_for(url, server, 120)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        print((tmp_path / "server.log").read_text()[-2000:])


def test_example_pair_in_a_browser(app_url, tmp_path):
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"!!! NO BROWSER: {CHROMIUM} is missing (apt-get install chromium) !!!")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="!!! NO PLAYWRIGHT: pip install -r requirements-app.txt !!!"
    )
    shot = Path(os.environ.get("X2CT_APP_SCREENSHOT", tmp_path / "app.png"))
    errors: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            # tall enough that the whole page is in view: the 3D view draws only when visible
            page = browser.new_page(viewport={"width": 1400, "height": 3000})
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(app_url)
            page.wait_for_selector("#run", timeout=60_000)
            page.click("#example input")
            page.get_by_role("option", name="holdout-1").click()
            page.wait_for_selector("#preview img", timeout=60_000)
            started = time.perf_counter()
            page.click("#run")
            page.wait_for_function(
                "document.querySelector('#status').innerText.includes('Reconstructed')",
                timeout=180_000,
            )
            seconds = time.perf_counter() - started
            status = page.inner_text("#status")
            for plane in ("axial", "coronal", "sagittal"):
                page.wait_for_selector(f"#slice-{plane} img", timeout=30_000)
            page.wait_for_selector("#surface canvas", timeout=30_000)
            page.wait_for_function(
                "document.querySelectorAll('#measures tbody tr').length > 0", timeout=30_000
            )
            measures = page.inner_text("#measures")
            downloads = page.inner_text("#downloads").replace("\n", "")  # name and suffix
            time.sleep(3)  # let the 3D view finish drawing before the screenshot
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    print(f"screenshot: {shot}\nclick to result: {seconds:.1f} s\n{status}")
    assert "bone Dice" in status
    assert "Genant grade" in measures
    for name in ("volume.nii.gz", "labels.nii.gz", "bone.stl", "measures.csv"):
        assert name in downloads
    assert not errors, errors
    assert shot.stat().st_size > 10_000
    shutil.copyfile(shot, tmp_path / "app-screenshot.png")  # kept with the test's artifacts

"""The HTML report in a real headless Chromium: no console errors, no network, plots visible.

Debian's ``chromium`` (``/usr/bin/chromium``) is driven by Playwright for Python when it is
installed — Playwright's own browser download is never used — and otherwise by Chromium's
built-in headless mode: ``--dump-dom`` of a small harness page that measures the report's
figures in an iframe, a network log for requests, and ``--screenshot``. The screenshot is kept
as ``test-artifacts/report.png``. Without ``/usr/bin/chromium`` the tests skip and say how to
install it (``apt-get install -y chromium``).
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import REPO

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = REPO / "test-artifacts" / "report.png"
WIDTH, HEIGHT = 1280, 900
#: The screenshot shows the executive summary and the first failure mode with its figures; a
#: full-page one of the 30 000-pixel report costs more than the rest of the test together.
SHOT_HEIGHT = 4200
#: Each figure's rendered size, or zero when it is hidden.
MEASURE = """svgs => svgs.map(svg => {
  const r = svg.getBoundingClientRect();
  const style = getComputedStyle(svg);
  const shown = style.visibility !== "hidden" && style.display !== "none";
  return shown ? [r.width, r.height] : [0, 0];
})"""


@dataclass
class Rendered:
    """What the browser saw."""

    driver: str
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    boxes: list[tuple[float, float]] = field(default_factory=list)


def with_playwright(page: Path) -> Rendered:
    from playwright.sync_api import sync_playwright

    seen = Rendered("playwright")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            tab = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            tab.on("console", lambda m: seen.console.append(f"{m.type}: {m.text}"))
            tab.on("pageerror", lambda e: seen.console.append(f"pageerror: {e}"))
            tab.on("requestfailed", lambda r: seen.console.append(f"requestfailed: {r.url}"))
            tab.on("request", lambda r: seen.requests.append(r.url))
            tab.goto(page.as_uri(), wait_until="load")
            boxes = tab.eval_on_selector_all("figure.plot svg", MEASURE)
            seen.boxes = [(w, h) for w, h in boxes]
            clip = {"x": 0, "y": 0, "width": WIDTH, "height": SHOT_HEIGHT}
            tab.screenshot(path=str(SCREENSHOT), full_page=True, clip=clip)
        finally:
            browser.close()
    return seen


HARNESS = """<!DOCTYPE html><title>harness</title><pre id="boxes">pending</pre>
<iframe id="report" src="{name}" style="width:{width}px;height:{height}px;border:0"></iframe>
<script>
const measure = {measure};
document.getElementById("report").addEventListener("load", () => {{
  const doc = document.getElementById("report").contentDocument;
  const boxes = measure([...doc.querySelectorAll("figure.plot svg")]);
  document.getElementById("boxes").textContent = JSON.stringify(boxes);
}});
</script>"""


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHROMIUM), *ARGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def with_chromium_cli(page: Path) -> Rendered:
    """Chromium's own headless mode: a harness page reads the report's figures through an
    iframe (file pages may read each other with --allow-file-access-from-files), the network
    log records every request the page initiated, and stderr carries console messages."""
    seen = Rendered("chromium --headless")
    harness = page.with_name("harness.html")
    harness.write_text(HARNESS.format(name=page.name, width=WIDTH, height=HEIGHT, measure=MEASURE))
    netlog = page.with_name("netlog.json")
    done = _chromium(
        "--allow-file-access-from-files",
        "--enable-logging=stderr",
        "--v=0",
        f"--log-net-log={netlog}",
        "--virtual-time-budget=15000",
        "--dump-dom",
        harness.as_uri(),
        profile=page.with_name("profile-dom"),
    )
    boxes = re.search(r'<pre id="boxes">([^<]*)</pre>', done.stdout)
    assert boxes is not None, done.stdout[-2000:]
    seen.boxes = [tuple(b) for b in json.loads(boxes.group(1))]
    seen.console = [
        line for line in done.stderr.splitlines() if ":CONSOLE" in line and page.name in line
    ]
    log = json.loads(netlog.read_text())
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    seen.requests = [page.as_uri()] + [
        e["params"]["url"]
        for e in log["events"]
        if e.get("type") == start
        # the browser's own housekeeping has no initiating origin; a page's requests do
        and e.get("params", {}).get("initiator") not in (None, "not an origin")
    ]
    _chromium(
        f"--screenshot={SCREENSHOT}",
        f"--window-size={WIDTH},{SHOT_HEIGHT}",
        "--hide-scrollbars",
        page.as_uri(),
        profile=page.with_name("profile-shot"),
    )
    return seen


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, frozen_html: str) -> tuple[Rendered, Path]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is missing: install Debian's Chromium (`apt-get install -y chromium`) "
            "to open the HTML report in a real browser"
        )
    page = tmp_path_factory.mktemp("browser") / "report.html"
    page.write_text(frozen_html, encoding="utf-8")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return with_chromium_cli(page), page
    return with_playwright(page), page


def test_renders_without_console_errors(rendered: tuple[Rendered, Path]) -> None:
    seen, _ = rendered
    assert seen.console == [], f"{seen.driver}: {seen.console}"


def test_makes_no_network_request(rendered: tuple[Rendered, Path]) -> None:
    seen, page = rendered
    assert seen.requests == [page.as_uri()], f"{seen.driver}: {seen.requests}"


def test_every_plot_is_visible(rendered: tuple[Rendered, Path], frozen_html: str) -> None:
    seen, _ = rendered
    assert len(seen.boxes) == frozen_html.count('class="plot-svg"') == 8
    assert all(w > 100 and h > 100 for w, h in seen.boxes), seen.boxes


def test_a_screenshot_is_kept_as_a_test_artifact(rendered: tuple[Rendered, Path]) -> None:
    data = SCREENSHOT.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (WIDTH, SHOT_HEIGHT)

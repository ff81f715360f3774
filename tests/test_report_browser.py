"""The report opened in real headless Chromium (Debian's, driven by Playwright): no console
errors, every chart drawn, tables filled from the run, the lineage tree present; a screenshot
is saved under test-artifacts/."""

from pathlib import Path

import pytest

from stop.report.html import write_report
from stop.store import Store
from tests.report_fixtures.run import scripted_run

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian chromium is not installed (apt-get install chromium)"
)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    path, run_id = scripted_run()
    report = write_report(Store(path), [run_id], tmp_path_factory.mktemp("b") / "report.html")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        yield page, errors, requests
        browser.close()


def test_no_console_errors_and_no_requests_but_the_page(page):
    _, errors, requests = page
    assert errors == []
    assert all(url.startswith("file://") for url in requests)


def test_every_chart_is_drawn(page):
    p, _, _ = page
    charts = p.evaluate(
        """Array.from(document.querySelectorAll('svg.chart')).map(svg => {
            const box = svg.getBoundingClientRect();
            return {w: box.width, h: box.height, marks: svg.querySelectorAll('path, use').length};
        })"""
    )
    assert len(charts) == 3
    assert all(c["w"] > 200 and c["h"] > 100 and c["marks"] > 10 for c in charts)


def test_tables_are_filled_from_the_run(page):
    p, _, _ = page
    rows = p.evaluate(
        """Object.fromEntries(['iterations', 'transfer', 'safety', 'strategies'].map(
            name => [name, document.querySelectorAll('table.' + name + ' tr').length]))"""
    )
    assert rows == {"iterations": 4, "transfer": 2, "safety": 12, "strategies": 9}
    assert "I[2]" in p.inner_text("table.iterations")


def test_the_lineage_tree_and_the_diff_are_present(page):
    p, _, _ = page
    assert p.locator("section.lineage details.node").count() == 10
    assert p.locator("section.lineage details.node details.node").count() == 9
    assert p.locator("table.diff tr").count() > 20
    assert (ARTIFACTS / "report.png").stat().st_size > 50_000

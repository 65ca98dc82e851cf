"""The Dagster UI in a real browser: `dg dev` on a free port with a fresh DAGSTER_HOME, Debian's headless
Chromium driven by Playwright over the DevTools protocol (Playwright's own browser download is not used).

A week is generated first with `dg launch --assets ecommerce/* --partition-range ...` (while `dg dev` starts),
then the test opens the ecommerce group, materializes 2024-01-08 from "Materialize all", waits for the run
to succeed, and opens fact_orders_header: its row count is the rows in that day's files, the integrity
check has passed and the per-partition plot of row counts is drawn. Files are byte-identical to `gengo gen`.

Screenshots go to test-artifacts/dagster-ui/ (GENGO_TEST_ARTIFACTS); `python -m gengo_pipeline_tests.test_dagster_ui`
runs the same session and writes them to docs/ for the README.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from .conftest import REPO, file_hashes, gengo, query, scan
from .dagster_dev import BIN, DagsterDev, HeadlessChromium, dagster_env

ARTIFACTS = Path(os.environ.get("GENGO_TEST_ARTIFACTS", REPO / "test-artifacts")) / "dagster-ui"
WEEK, DAY = ("2024-01-01", "2024-01-07"), "2024-01-08"
WAIT_MS = 60_000  # a page element (the UI polls every 2 s; a loaded 2-core machine is slow)
RUN_SECONDS = 240
CHANGING = ("dim_suppliers", "dim_products", "dim_customers", "dim_customer_addresses")  # with a change log and a history
TABLES = ("dim_product_categories", *CHANGING, "fact_orders_header", "fact_order_items",
          *(f"{t}_{form}" for t in CHANGING for form in ("changes", "history")))
RUNS = "{ runsOrError { ... on Runs { results { runId status tags { key value } } } } }"
ASSETS = """{ assetNodes(group: {groupName: "ecommerce", repositoryName: "__repository__",
  repositoryLocationName: "gengo"}) { assetKey { path } isPartitioned partitionKeys } }"""


def test_materialize_a_day_from_the_ui_and_see_rows_checks_and_plot(tmp_path):
    session(tmp_path, ARTIFACTS, ARTIFACTS)


def session(work: Path, shots: Path, logs: Path) -> None:
    """Screenshots to `shots`; the logs of `dg dev` and Chromium to `logs`."""
    shots.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    out = work / "dg"
    env = dagster_env(work / "home", out, GENGO_FORMATS="parquet")
    subprocess.run([sys.executable, "-c", "from dagster import DagsterInstance; DagsterInstance.get().get_runs()"],
                   env=env, check=True)  # create the instance's databases once: two processes racing to would fail
    with DagsterDev(env, logs / "dev.log") as dev:
        week = subprocess.Popen([str(BIN / "dg"), "launch", "--assets", "ecommerce/*", "--partition-range", "...".join(WEEK)],
                                env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        nodes = dev.wait(lambda: dev.graphql(ASSETS)["assetNodes"], 180, "the ecommerce assets")
        by_key = {"/".join(n["assetKey"]["path"]): n for n in nodes}
        assert set(by_key) == {"ecommerce/", "ecommerce/profile", *(f"ecommerce/{t}" for t in TABLES)}
        assert not by_key["ecommerce/dim_product_categories"]["isPartitioned"]
        keys = by_key["ecommerce/fact_orders_header"]["partitionKeys"]
        assert (keys[0], keys[-1], len(keys)) == ("2024-01-01", "2024-03-31", 91)
        log, _ = week.communicate(timeout=RUN_SECONDS)
        assert week.returncode == 0 and "Warning" not in log, log[-3000:]
        runs = dev.graphql(RUNS)["runsOrError"]["results"]
        assert [{t["key"]: t["value"] for t in r["tags"] if "range" in t["key"]} for r in runs] == [  # a range: one run
            {"dagster/asset_partition_range_start": WEEK[0], "dagster/asset_partition_range_end": WEEK[1]}]
        with HeadlessChromium(logs / "chromium.log") as chromium, sync_playwright() as pw:
            browser = pw.chromium.connect_over_cdp(chromium.cdp)
            page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            page.set_default_timeout(WAIT_MS)
            try:
                drive(page, dev.url, out, shots)
            except BaseException:
                page.screenshot(path=shots / "failure.png")  # what the page showed when a wait ran out
                raise
            finally:
                browser.close()
    noise = [line for line in (logs / "dev.log").read_text().splitlines() if re.search("warning", line, re.IGNORECASE)]
    assert not noise, noise  # `dg dev` and every run it started warned of nothing
    reference = work / "cli"
    gengo("gen", "--model", "ecommerce", "--start", WEEK[0], "--days", "8", "--out", str(reference), "--no-progress", "--changes", "history", env=env)
    assert file_hashes(out) == file_hashes(reference)


def drive(page: Page, url: str, out: Path, shots: Path) -> None:
    expect.set_options(timeout=WAIT_MS)
    # the group's lineage, "Materialize all", one day (a list of days: see gengo_pipeline/defs/partitions.py)
    page.goto(f"{url}/locations/gengo/asset-groups/ecommerce")
    expect(page.get_by_text("fact_orders_header").first).to_be_visible()
    page.get_by_role("button", name="Materialize all").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Launch runs to materialize 17 assets")).to_be_visible()
    dialog.get_by_text("Select a partition", exact=False).click()
    expect(page.get_by_text("Select all (91)")).to_be_visible()  # every day from the origin to the horizon
    expect(page.get_by_text(WEEK[0], exact=True).first).to_be_visible()
    page.screenshot(path=shots / "dagster-launch.png")
    page.keyboard.type(DAY)
    expect(page.get_by_text("Select all (1)")).to_be_visible()  # the typed day filters the list to itself
    page.get_by_text(DAY, exact=True).first.click()
    page.keyboard.press("Escape")
    expect(dialog.get_by_text("1 partition", exact=True)).to_be_visible()
    dialog.get_by_role("button", name="Launch 1 run").click()

    # the run: the toast links it; its page says Success
    link = page.locator('a[href^="/runs/"][href*="-"]').first
    expect(link).to_be_visible()
    page.goto(url + link.get_attribute("href"))
    status = page.get_by_text(re.compile(r"^(Success|Failure|Canceled)$")).first
    expect(status).to_be_visible(timeout=RUN_SECONDS * 1000)
    assert status.inner_text() == "Success", page.inner_text("body")[:3000]

    # the group as a list: every table's partitions, the week and the day filled
    page.goto(f"{url}/locations/gengo/asset-groups/ecommerce")
    page.get_by_role("tab", name="List").click()
    expect(page.get_by_text("91 partitions")).to_have_count(14)  # the daily tables (6, and 8 change logs and histories)
    expect(page.get_by_text("8", exact=True)).to_have_count(14)  # each with the week and the day materialized
    page.screenshot(path=shots / "dagster-group.png")

    # fact_orders_header: row count of the day, checks passed, rows per partition plotted
    (rows,), = query(f"SELECT count(*) FROM {scan(out, 'ecommerce', 'fact_orders_header')} WHERE date = DATE '{DAY}'")
    page.goto(f"{url}/assets/ecommerce/fact_orders_header")
    status_box = page.get_by_text("Row count", exact=True).locator("xpath=..")
    expect(status_box).to_contain_text(f"{rows:,}")
    expect(page.get_by_text(DAY, exact=True).first).to_be_visible()  # the latest materialization is that day
    page.screenshot(path=shots / "dagster-asset.png")
    page.get_by_role("tab", name="Checks").click()
    integrity = page.get_by_text("integrity", exact=True).first
    expect(integrity.locator("xpath=ancestor::*[contains(., 'Succeeded')][1]")).to_contain_text("integrity")
    integrity.click()
    expect(page.get_by_text("Passed", exact=True).first).to_be_visible()
    page.screenshot(path=shots / "dagster-checks.png")
    page.get_by_role("tab", name="Overview").first.click()  # the asset's tab (the check detail has one too)
    page.get_by_role("button", name="Plots").click()
    expect(page.get_by_text("When graphing values by partition", exact=False)).to_be_visible()
    plot = page.get_by_text("dagster/row_count", exact=True).locator("xpath=ancestor::div[.//canvas][1]")
    expect(plot.locator("canvas").first).to_be_visible()
    page.get_by_text("dagster/row_count", exact=True).scroll_into_view_if_needed()
    page.screenshot(path=shots / "dagster-plots.png")


if __name__ == "__main__":  # refresh the README's screenshots
    with tempfile.TemporaryDirectory() as tmp:
        session(Path(tmp), REPO / "docs", Path(tmp))
    print(f"screenshots written to {REPO / 'docs'}")

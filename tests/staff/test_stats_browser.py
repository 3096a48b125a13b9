"""The statistics dashboard in a real headless Chromium (Debian's ``chromium``, driven by
Playwright): the vendored Chart.js draws every chart from /api/stats, nothing is fetched from
another origin, and the filter and the CSV link follow each other."""

from __future__ import annotations

from typing import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import chromium, screenshot, served, watched_page
from tests.staff.conftest import ADMIN
from tests.staff.test_stats import NOISE_DEPARTMENT, client_for, seed
from tickets.service import TicketService


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def base_url(sqlite_url, clock) -> Iterator[str]:
    """The statistics routes with seeded tickets."""
    store = TicketService(sqlite_url, clock=clock)
    seed(store, clock)
    with served(client_for(store).app) as url:
        yield url


@pytest.fixture
def page(browser, base_url) -> Iterator[Page]:
    # Reduced motion: the charts are drawn at once, without animation (the page honours the setting).
    with watched_page(browser, base_url, viewport={"width": 1280, "height": 900}, reduced_motion="reduce") as opened:
        yield opened


def chart_data(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.evaluate(
        """name => {
            const chart = Chart.getChart(document.getElementById('chart-' + name));
            return chart && {type: chart.config.type, labels: chart.data.labels,
                             data: chart.data.datasets.map(d => d.data)};
        }""",
        name,
    )


def test_the_dashboard_draws_the_figures_and_filters_them(page, base_url):
    response = page.goto(f"{base_url}/stats")
    assert response is not None and urlsplit(page.url).path == "/login"  # not logged in yet
    assert urlsplit(page.url).query == "next=/stats"

    login = page.request.post(f"{base_url}/api/login", data={"username": ADMIN[0], "password": ADMIN[1]})
    assert login.ok  # the session cookie is now the browser's
    page.goto(f"{base_url}/stats")
    status = page.get_by_role("status")
    expect(status).to_contain_text("统计区间：2026-11-01 至 2026-11-30（全部部门）")

    expect(page.locator("#card-created")).to_have_text("11")
    expect(page.locator("#card-rate")).to_have_text("50.0%")
    expect(page.locator("#card-first-response")).to_have_text("1.4 小时")
    expect(page.locator("#card-resolution")).to_have_text("12.0 小时")
    expect(page.locator("#card-satisfaction")).to_have_text("3.67 分")
    expect(page.locator("#card-emergencies")).to_have_text("2")
    expect(page.locator("#card-emergencies-box")).to_have_class("card alert")
    expect(page.locator("#card-unanswered")).to_have_text("2")

    per_day = chart_data(page, "per-day")
    assert per_day["type"] == "bar" and len(per_day["labels"]) == 30
    assert sum(sum(series) for series in per_day["data"]) == 11
    assert per_day["labels"][28] == "11-29" and sum(series[28] for series in per_day["data"]) == 3
    per_category = chart_data(page, "per-category")
    assert per_category["labels"][0] == "投诉·垃圾清运" and per_category["data"][0][0] == 3
    assert "预约·助餐" in per_category["labels"]
    assert chart_data(page, "deadline") == {"type": "doughnut", "labels": ["按时办结", "超时"], "data": [[3, 3]]}
    assert chart_data(page, "satisfaction")["data"] == [[0, 1, 0, 1, 1]]
    # Each chart has its figures as a table too.
    expect(page.locator("#table-satisfaction tbody tr")).to_have_count(5)
    expect(page.locator("#table-emergencies tbody tr.overdue")).to_have_count(2)
    expect(page.locator("#table-unanswered tbody tr").first).to_contain_text("宠物怎么登记")
    screenshot(page, "stats.png")

    # One department and a shorter period: the address and the CSV link follow.
    page.get_by_label("开始日期").fill("2026-11-28")
    page.get_by_label("部门").select_option(NOISE_DEPARTMENT)
    page.get_by_role("button", name="查询").click()
    expect(status).to_contain_text(f"2026-11-28 至 2026-11-30（{NOISE_DEPARTMENT}）")
    expect(page.locator("#card-created")).to_have_text("1")
    expect(page.locator("#card-emergencies-box")).to_have_class("card")
    assert "department=" in page.url and "since=2026-11-28" in page.url
    export = page.get_by_role("link", name="导出 CSV").get_attribute("href") or ""
    assert export.startswith("/api/stats.csv?since=2026-11-28&until=2026-11-30&department=")
    download = page.request.get(f"{base_url}{export}")
    assert download.ok and download.body().startswith(b"\xef\xbb\xbf")

    # A reload of the filtered address shows the same view.
    page.reload()
    expect(status).to_contain_text(NOISE_DEPARTMENT)
    expect(page.get_by_label("部门")).to_have_value(NOISE_DEPARTMENT)


def test_a_period_that_ends_before_it_starts_is_explained(page, base_url):
    page.request.post(f"{base_url}/api/login", data={"username": ADMIN[0], "password": ADMIN[1]})
    page.goto(f"{base_url}/stats?since=2026-11-30&until=2026-11-01")
    expect(page.get_by_role("status")).to_contain_text("结束日期不能早于开始日期")

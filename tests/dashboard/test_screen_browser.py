"""The operations screen in headless Chromium: the map and the charts actually draw."""

from __future__ import annotations

import pytest

from tests.conftest import browser_login
from tests.insight.citydata import SPOT_A, small_city

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Pixels of a canvas that differ from transparent/background: ECharts draws on <canvas>.
COUNT_INK = """(sel) => {
  const c = document.querySelector(sel + ' canvas');
  if (!c) return -1;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && (d[i] + d[i + 1] + d[i + 2]) > 90) n++;
  return n;
}"""


def test_screen_renders_map_and_charts_and_drills_down(
    personas, live_server, desktop_page, tmp_path
):
    small_city(personas)
    page = desktop_page
    browser_login(page, live_server, "dispatcher")
    page.goto(f"{live_server.url}/dashboard/")
    page.wait_for_selector("#screen[data-loaded='1']", timeout=20000)
    page.wait_for_selector("#c-map[data-rendered='1']", timeout=20000)
    page.wait_for_selector("#c-bikes[data-rendered='1']", timeout=20000)
    page.wait_for_selector("#c-trends[data-rendered='1']", timeout=20000)
    page.screenshot(path=str(tmp_path / "screen.png"), full_page=True)
    assert page.evaluate(COUNT_INK, "#c-map") > 2000  # boundaries + hexagons + labels
    assert page.evaluate(COUNT_INK, "#c-bikes") > 300  # stacked bars and axes
    assert page.evaluate(COUNT_INK, "#c-trends") > 300
    assert "城市运行管理服务平台" in page.inner_text("h1")
    # Drill-down: a real click on the hexagon over spot A lists its 8 bikes.
    click_at(page, SPOT_A)
    page.wait_for_selector("#drill:not([hidden]) li")
    assert page.locator("#drill-list li").count() == 8
    # Client-side PNG export (ECharts getDataURL) yields a real PNG data URL.
    url = page.evaluate("() => window.nxScreen.charts['c-map'].getDataURL({type: 'png'})")
    assert url.startswith("data:image/png;base64,") and len(url) > 5000


def click_at(page, latlng) -> None:
    x, y = page.evaluate(
        """([lat, lng]) => {
          const c = window.nxScreen.charts['c-map'];
          const p = c.convertToPixel({geoIndex: 0}, [lng, lat]);
          const r = document.querySelector('#c-map').getBoundingClientRect();
          return [r.left + p[0], r.top + p[1]];
        }""",
        list(latlng),
    )
    page.mouse.click(x, y)


def test_clicking_a_notice_cell_then_the_notice_opens_it(personas, live_server, desktop_page):
    from tests.insight.citydata import SPOT_B, make_notice

    city = small_city(personas)
    bike = next(b for b in city["bikes"] if b.operator_id == personas.other_operator.pk)
    notice = make_notice(
        personas.other_operator, bike, number="NX-42", lat=SPOT_B[0], lng=SPOT_B[1]
    )
    page = desktop_page
    browser_login(page, live_server, "dispatcher")
    page.goto(f"{live_server.url}/dashboard/")
    page.wait_for_selector("#screen[data-loaded='1']", timeout=20000)
    page.select_option("#f-layer", "notices_open")
    page.wait_for_function(
        "() => document.querySelector('#map-title').textContent.includes('未整改通知')"
    )
    click_at(page, SPOT_B)
    page.wait_for_selector("#drill-list a.drill-link")
    page.click("#drill-list a.drill-link")
    page.wait_for_url(f"**/dashboard/notices/{notice.pk}/")
    assert "NX-42" in page.content()


def test_district_officer_screen_is_locked_to_their_district(personas, live_server, desktop_page):
    small_city(personas)
    page = desktop_page
    browser_login(page, live_server, "officer_b")
    page.goto(f"{live_server.url}/dashboard/")
    page.wait_for_selector("#screen[data-loaded='1']", timeout=20000)
    page.wait_for_selector("#c-map[data-rendered='1']", timeout=20000)
    assert page.locator("#f-district").is_disabled()
    assert personas.district_b.name in page.inner_text("h1")
    assert "3 · " in page.inner_text("#map-note")  # the 3 parked bikes of district B only

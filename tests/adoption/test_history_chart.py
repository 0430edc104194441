"""History and chart without an org: three recorded days give a three-point trend per
component; the report section lists "unused after N days" first and draws each trend as inline
SVG coloured by verdict, with a gap (never a 0) for a day without a figure."""

from __future__ import annotations

from lxml import etree

from sfenv.config.adoption import AdoptionSettings
from sfenv.io.store.snapshots import SnapshotStore
from sfenv.services.adoption.chart import COLOURS, adoption_section, latest_rows, trend_svg
from sfenv.services.adoption.service import AdoptionRun, Measure, add_trends, history, record

SVG = "{http://www.w3.org/2000/svg}"


def _run(day: int, views: int, rate: float | None) -> AdoptionRun:
    run = AdoptionRun("prod", f"2026-12-0{day}T06:00:00+00:00", AdoptionSettings(days=2))
    settled = day >= 3
    run.rows = [
        Measure("R1", "FlexiPage:Case_Page", "2026-12-01T00:00:00Z", day, "page_views",
                "used", "days with views 100%", settled, {"views_last_day": views}),
        Measure("R1", "CustomField:Case.Code__c", "2026-12-01T00:00:00Z", day, "fill_rate",
                "unused" if rate is not None else "unknown", "x", settled, {"fill_rate": rate}),
    ]
    return run


def _parse(svg: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.fromstring(svg.encode(), parser)


def test_three_recorded_days_make_a_three_point_trend_and_a_section(tmp_path):
    store = SnapshotStore(tmp_path / "repo")
    for day, views, rate in ((3, 5, 0.0), (4, 9, None), (5, 14, 0.0)):
        run = _run(day, views, rate)
        add_trends(run, history(store, "prod"))
        record(store, run)
    assert list(history(store, "prod")) == ["2026-12-03", "2026-12-04", "2026-12-05"]
    assert [p["value"] for p in run.rows[0].trend] == [5, 9, 14]
    # a second run on the same day replaces that day, it does not add a point
    again = _run(5, 15, 0.0)
    add_trends(again, history(store, "prod"))
    record(store, again)
    _, rows = latest_rows(store, "prod")
    page = next(r for r in rows if r["component"] == "FlexiPage:Case_Page")
    assert [p["value"] for p in page["trend"]] == [5, 9, 15]

    html = adoption_section(store, ["prod", "qa"])
    assert html.index("Unused after 2 days") < html.index("<table")
    assert html.index("CustomField:Case.Code__c") < html.index("FlexiPage:Case_Page")
    assert adoption_section(store, ["qa"]) == ""


def test_the_trend_svg_draws_one_line_per_run_of_figures_in_the_verdict_colour():
    svg = _parse(trend_svg([{"day": "d1", "value": 5}, {"day": "d2", "value": 9},
                            {"day": "d3", "value": 14}], "used"))
    (line,) = svg.iter(f"{SVG}polyline")
    assert line.get("stroke") == COLOURS["used"] and len(line.get("points").split()) == 3
    ys = [float(p.split(",")[1]) for p in line.get("points").split()]
    assert ys[0] > ys[1] > ys[2]  # rising values go up the chart
    gap = _parse(trend_svg([{"day": "d1", "value": 0.1}, {"day": "d2", "value": None},
                            {"day": "d3", "value": 0.2}], "low"))
    assert list(gap.iter(f"{SVG}polyline")) == [] and len(list(gap.iter(f"{SVG}circle"))) == 2
    assert "d2: -" in gap.findtext(f"{SVG}title")


def test_a_damaged_day_is_a_one_line_error_naming_the_ref_and_file(tmp_path):
    import pytest

    from sfenv.errors import StoreError

    store = SnapshotStore(tmp_path / "repo")
    store.write_ref_commit("refs/sfenv/adoption/prod", {"days/2026-12-03.json": b"{not json"},
                           "damaged\n", expected_old=None)
    with pytest.raises(StoreError) as err:
        history(store, "prod")
    message = str(err.value)
    assert message.startswith("refs/sfenv/adoption/prod:days/2026-12-03.json: not an adoption "
                              "record") and "\n" not in message

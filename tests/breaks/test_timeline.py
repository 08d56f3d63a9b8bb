"""The schedule timeline: one column per local day, marks by category, quiet hours, return."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from planner.breaks.selectors import ScheduleRow
from planner.breaks.timeline import (
    CATEGORY_COLOURS,
    TimelineSettings,
    legend,
    table_rows,
    timeline_context,
    timeline_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
LONDON = ZoneInfo("Europe/London")


def row(when: datetime, category: str = "coping", status: str = "pending") -> ScheduleRow:
    return ScheduleRow(1, category, when, when.astimezone(LONDON), status, "Hello")


def settings(**overrides) -> TimelineSettings:
    values = {
        "timezone": "Europe/London",
        "starts_at": datetime(2026, 3, 2, 17, 0, tzinfo=UTC),
        "ends_at": datetime(2026, 3, 9, 9, 0, tzinfo=UTC),
        "return_session_at": datetime(2026, 3, 10, 10, 0, tzinfo=UTC),
        "quiet_hours_start": time(22, 0),
        "quiet_hours_end": time(8, 0),
    }
    values.update(overrides)
    return TimelineSettings(**values)


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 - our own markup, built in the test


def test_it_draws_one_column_per_local_day_through_the_return_session():
    svg = parse(timeline_svg([], settings()))
    assert svg.get("data-days") == "9"  # 2 March .. 10 March inclusive
    assert svg.get("role") == "img"
    title_id, desc_id = svg.get("aria-labelledby").split()
    assert svg.find(f"{SVG}title").get("id") == title_id
    assert svg.find(f"{SVG}desc").get("id") == desc_id


def test_it_puts_each_prompt_at_its_local_time_with_its_category_colour_and_title():
    rows = [
        row(datetime(2026, 3, 3, 9, 0, tzinfo=UTC), "coping"),
        row(datetime(2026, 3, 4, 19, 0, tzinfo=UTC), "check_in", "sent"),
    ]
    svg = parse(timeline_svg(rows, settings()))
    marks = svg.findall(f".//{SVG}circle[@class='mark']")
    assert [m.get("data-local") for m in marks] == ["2026-03-03T09:00", "2026-03-04T19:00"]
    assert marks[0].get("fill") == CATEGORY_COLOURS["coping"]
    assert marks[1].get("fill") == CATEGORY_COLOURS["check_in"]
    assert float(marks[0].get("cx")) < float(marks[1].get("cx"))
    assert float(marks[0].get("cy")) < float(marks[1].get("cy"))  # morning above evening
    assert "Coping" in marks[0].find(f"{SVG}title").text
    assert "sent" in marks[1].find(f"{SVG}title").text


def test_it_uses_the_local_day_across_a_dst_change_and_in_other_zones():
    # 23:30 UTC on 28 March is already 29 March in Berlin (CET, +1); 08:00 UTC on 29 March
    # is 10:00 there, the clocks having gone forward at 01:00 UTC.
    late, after = datetime(2026, 3, 28, 23, 30, tzinfo=UTC), datetime(2026, 3, 29, 8, tzinfo=UTC)
    berlin = settings(
        timezone="Europe/Berlin",
        starts_at=datetime(2026, 3, 27, 12, tzinfo=UTC),
        ends_at=datetime(2026, 3, 30, 12, tzinfo=UTC),
        return_session_at=None,
    )
    marks = parse(timeline_svg([row(late), row(after)], berlin)).findall(f".//{SVG}circle")
    assert [m.get("data-local") for m in marks] == ["2026-03-29T00:30", "2026-03-29T10:00"]
    assert marks[0].get("cx") == marks[1].get("cx")  # the same local day, the same column


def test_it_shades_quiet_hours_that_wrap_midnight_as_two_bands():
    svg = parse(timeline_svg([], settings()))
    bands = svg.findall(f".//{SVG}rect[@class='quiet']")
    assert len(bands) == 2
    assert svg.get("data-quiet-start") == "22:00" and svg.get("data-quiet-end") == "08:00"
    day = parse(timeline_svg([], settings(quiet_hours_start=time(13), quiet_hours_end=time(14))))
    assert len(day.findall(f".//{SVG}rect[@class='quiet']")) == 1
    none = parse(timeline_svg([], settings(quiet_hours_start=None, quiet_hours_end=None)))
    assert none.findall(f".//{SVG}rect[@class='quiet']") == []
    assert none.get("data-quiet-start") is None


def test_it_marks_the_return_session():
    svg = parse(timeline_svg([], settings()))
    group = svg.find(f".//{SVG}g[@class='return-session']")
    assert "Return session" in group.find(f"{SVG}title").text
    assert (
        parse(timeline_svg([], settings(return_session_at=None))).find(
            f".//{SVG}g[@class='return-session']"
        )
        is None
    )


def test_it_draws_skipped_and_failed_prompts_hollow():
    rows = [
        row(datetime(2026, 3, 3, 9, tzinfo=UTC), status="skipped"),
        row(datetime(2026, 3, 3, 13, tzinfo=UTC), status="failed"),
    ]
    marks = parse(timeline_svg(rows, settings())).findall(f".//{SVG}circle")
    assert [m.get("fill") for m in marks] == ["#ffffff", "#ffffff"]
    assert marks[1].get("stroke") == "#a3122a"


def test_it_escapes_text_and_caps_very_long_schedules():
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    far = [row(start + timedelta(days=900))]
    markup = timeline_svg(far, settings(starts_at=start, ends_at=None, return_session_at=None))
    assert parse(markup).get("data-days") == "400"
    assert "<script" not in markup


def test_the_legend_and_table_list_the_same_schedule():
    rows = [
        row(datetime(2026, 3, 3, 9, tzinfo=UTC), "hope"),
        row(datetime(2026, 3, 3, 13, tzinfo=UTC), "coping"),
    ]
    assert [label for label, _ in legend(rows)] == ["Coping", "Hope"]
    table = table_rows(rows, settings())
    assert [t.category for t in table] == ["Hope", "Coping"]
    assert table[0].when.endswith("09:00")
    context = timeline_context(rows, settings(), id_prefix="x", show_text=False)
    assert context["count"] == 2 and context["has_quiet"] and not context["show_text"]
    assert re.search(r'aria-labelledby="x-title x-desc"', context["svg"])

"""The SVG charts (staff/charts.py), read back with lxml as a browser would see them: bars
proportional to their values, stacks that add up, ticks in 1-2-5 steps, negative values
below the zero line, the empty state, escaping, and amounts in Swedish and English."""

from __future__ import annotations

import itertools
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation
from lxml import etree, html

from fakturera.staff import charts
from fakturera.staff.charts import (
    NARROW,
    WIDE,
    Band,
    BarChart,
    Category,
    HorizontalBarChart,
    Line,
    Series,
    format_amount,
    format_short,
    nice_ticks,
    render,
)

NS = {"svg": charts.SVG_NS}
NBSP = "\u00a0"
D = Decimal


def _svg(chart, frame=WIDE) -> etree._Element:
    return etree.fromstring(render(chart, frame))


def _bars(svg) -> list[etree._Element]:
    return svg.xpath("//svg:rect[contains(@class, 'chart-bar-rect') and @data-value]", namespaces=NS)


def _zero_y(svg) -> float:
    (line,) = svg.xpath("//svg:line[@class='chart-zero']", namespaces=NS)
    return float(line.get("y1"))


def _box(rect) -> tuple[float, float, float, float]:
    return tuple(float(rect.get(name)) for name in ("x", "y", "width", "height"))  # type: ignore[return-value]


def _title(element) -> str:
    return element.find("svg:title", NS).text


def _chart(*values, **options) -> BarChart:
    names = [f"Week {number}" for number in range(1, len(values) + 1)]
    return BarChart(
        title="Cash-in", categories=names, series=[Series("Invoices due", [D(v) for v in values])], **options
    )


# --- Geometry ---------------------------------------------------------------------------------


@pytest.mark.parametrize("frame", [WIDE, NARROW])
def test_bar_heights_are_proportional_to_the_values_and_stand_on_the_zero_line(frame):
    svg = _svg(_chart("100", "250", "400", "0"), frame)

    bars = _bars(svg)
    assert [rect.get("data-value") for rect in bars] == ["100", "250", "400"]  # a zero draws no bar
    heights = [_box(rect)[3] for rect in bars]
    assert heights[1] / heights[0] == pytest.approx(2.5, rel=0.005)
    assert heights[2] / heights[0] == pytest.approx(4.0, rel=0.005)
    zero = _zero_y(svg)
    for rect in bars:
        _x, y, _w, height = _box(rect)
        assert y + height == pytest.approx(zero, abs=0.02)


def test_the_largest_bar_reaches_its_tick_in_scale():
    svg = _svg(_chart("400"))
    # the ticks are 0, 100, ... 400: the bar's top is the top grid line
    grid = sorted(float(line.get("y1")) for line in svg.xpath("//svg:line[@class='chart-grid']", namespaces=NS))
    _x, y, _w, _h = _box(_bars(svg)[0])
    assert y == pytest.approx(grid[0], abs=0.02)


def test_stacked_segments_add_up_to_the_bar_of_their_total():
    chart = BarChart(
        title="Forecast",
        categories=["Week 1", "Week 2"],
        series=[Series("Invoices due", [D("300"), D("120.50")]), Series("Recurring", [D("200"), D("79.50")])],
    )
    svg = _svg(chart)
    segments = [_box(rect) for rect in _bars(svg)]
    grid = sorted(float(line.get("y1")) for line in svg.xpath("//svg:line[@class='chart-grid']", namespaces=NS))
    zero = _zero_y(svg)
    per_unit = (zero - grid[0]) / 500  # the ticks are 0, 100, ... 500

    assert [rect.get("class") for rect in _bars(svg)] == ["chart-bar-rect chart-s1", "chart-bar-rect chart-s2"] * 2
    for week, total in ((0, 500), (1, 200)):
        (_x, lower_y, _w, lower_height), (_x, upper_y, _w, upper_height) = segments[week * 2 : week * 2 + 2]
        assert upper_y + upper_height == pytest.approx(lower_y, abs=0.02)  # one on top of the other
        assert lower_y + lower_height == pytest.approx(zero, abs=0.02)
        assert lower_height + upper_height == pytest.approx(total * per_unit, abs=0.05)
    assert segments[0][3] == pytest.approx(300 * per_unit, abs=0.05)
    assert segments[3][3] == pytest.approx(79.5 * per_unit, abs=0.05)


def test_side_by_side_series_share_the_slot_and_each_start_at_zero():
    chart = BarChart(
        title="Two years", categories=["Jan"], stacked=False,
        series=[Series("2025", [D("100")]), Series("2026", [D("200")])],
    )  # fmt: skip
    svg = _svg(chart)
    first, second = (_box(rect) for rect in _bars(svg))
    assert second[0] == pytest.approx(first[0] + first[2], abs=0.02)
    assert second[3] == pytest.approx(2 * first[3], rel=0.005)
    assert first[1] + first[3] == pytest.approx(_zero_y(svg), abs=0.02)


@pytest.mark.parametrize(
    ("low", "high"),
    [
        (0, 1),
        (0, 7),
        (0, 9.5),
        (0, 10),
        (0, 12345),
        (0, "0.37"),
        (0, 999_999),
        (0, 4_200_000),
        (-2500, 34000),
        (-80, 0),
    ],
)
def test_ticks_are_nice_go_through_zero_and_cover_the_values(low, high):
    low, high = D(str(low)), D(str(high))
    ticks = nice_ticks(low, high)

    assert D(0) in ticks
    assert ticks[0] <= low
    assert ticks[-1] >= high
    steps = {b - a for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1, ticks
    (step,) = steps
    assert step.normalize().as_tuple().digits[0] in (1, 2, 5), step
    assert step.normalize().as_tuple().digits[1:] == ()  # 1, 2 or 5 times a power of ten
    # no tick more than needed on either side
    assert ticks[-1] - step < high or high == 0
    assert ticks[0] + step > low or low == 0
    assert 2 <= len(ticks) <= 7


def test_the_y_axis_is_labelled_with_nice_ticks_from_zero():
    svg = _svg(_chart("12345", "8000"))
    labels = svg.xpath("//svg:g[@class='chart-axis']/svg:text[not(@class)]/text()", namespaces=NS)
    assert labels == ["0", "5k", "10k", "15k"]


def test_negative_values_go_below_the_zero_line():
    chart = BarChart(
        title="Aged receivables", categories=["Not due", "1–30"],
        series=[Series("Companies", [D("600"), D("-300")]), Series("Persons", [D("-100"), D("200")])],
    )  # fmt: skip
    svg = _svg(chart)
    zero = _zero_y(svg)
    by_value = {rect.get("data-value"): _box(rect) for rect in _bars(svg)}

    assert by_value["600"][1] + by_value["600"][3] == pytest.approx(zero, abs=0.02)  # above, standing on zero
    assert by_value["-100"][1] == pytest.approx(zero, abs=0.02)  # below, hanging from zero
    assert by_value["-300"][1] == pytest.approx(zero, abs=0.02)
    assert by_value["-300"][3] / by_value["600"][3] == pytest.approx(0.5, rel=0.005)
    # the positive 200 of "1–30" stands on zero, not on its negative companion
    assert by_value["200"][1] + by_value["200"][3] == pytest.approx(zero, abs=0.02)
    ticks = svg.xpath("//svg:g[@class='chart-axis']/svg:text[not(@class)]/text()", namespaces=NS)
    assert ticks[0].startswith("-")


def test_a_horizontal_bar_chart_grows_right_for_credit_balances_left_and_writes_each_value():
    chart = HorizontalBarChart(
        title="Aged receivables", currency="SEK",
        categories=["Not due", "1–30 days late", "31–60 days late"],
        series=[Series("", [D("12000"), D("-2500"), D("6000")])],
    )  # fmt: skip
    svg = _svg(chart)
    (zero_line,) = svg.xpath("//svg:line[@class='chart-zero']", namespaces=NS)
    zero = float(zero_line.get("x1"))
    boxes = {rect.get("data-value"): _box(rect) for rect in _bars(svg)}

    assert boxes["12000"][0] == pytest.approx(zero, abs=0.02)
    assert boxes["-2500"][0] + boxes["-2500"][2] == pytest.approx(zero, abs=0.02)
    assert boxes["12000"][2] / boxes["6000"][2] == pytest.approx(2, rel=0.005)
    assert boxes["12000"][2] / boxes["-2500"][2] == pytest.approx(4.8, rel=0.005)
    values = svg.xpath("//svg:text[@class='chart-value']/text()", namespaces=NS)
    assert values == [f"12,000{NBSP}SEK", f"-2,500{NBSP}SEK", f"6,000{NBSP}SEK"]
    negative = svg.xpath("//svg:text[@class='chart-value']", namespaces=NS)[1]
    assert negative.get("text-anchor") == "end"
    assert float(negative.get("x")) < zero

    narrow = _svg(chart, NARROW)
    assert narrow.xpath("//svg:text[@class='chart-value']/text()", namespaces=NS) == [
        f"12k{NBSP}SEK",
        f"-2.5k{NBSP}SEK",
        f"6k{NBSP}SEK",
    ]
    assert narrow.xpath("//svg:text[@class='chart-category']/text()", namespaces=NS)[1] == "1–30 days late"


def test_the_forecast_has_its_band_its_line_and_a_marked_overdue_bar():
    chart = BarChart(
        title="Cash-in forecast", currency="SEK",
        categories=[Category("Overdue", mark="overdue"), "Week 1", "Week 2", "Week 3"],
        series=[
            Series("Invoices due", [D("9000"), D("4000"), D("3000"), D("2000")]),
            Series("Recurring", [None, D("1500"), D("1500"), D("1500")]),
        ],
        band=Band("Likely", [None, D("4500"), D("3800"), D("2900")], [None, D("6500"), D("5200"), D("4100")]),
        line=Line("Expected", [None, D("5500"), D("4500"), D("3500")]),
    )  # fmt: skip
    svg = _svg(chart)

    groups = svg.xpath("//svg:g[@class='chart-bars']/svg:g", namespaces=NS)
    assert groups[0].get("class") == "chart-bar chart-mark-overdue"
    assert [g.get("class") for g in groups[1:]] == ["chart-bar"] * 3
    (area,) = svg.xpath("//svg:polygon[@class='chart-band-area']", namespaces=NS)
    points = area.get("points").split()
    assert len(points) == 6  # three weeks along the top and back along the bottom, none for "Overdue"
    y = _zero_y(svg)
    per_unit = (y - _box(_bars(svg)[0])[1]) / 9000  # the overdue bar is 9 000 tall
    top_of_week_one = float(points[0].split(",")[1])
    assert y - top_of_week_one == pytest.approx(6500 * per_unit, abs=0.05)
    ranges = svg.xpath("//svg:line[@class='chart-band-range']/svg:title/text()", namespaces=NS)
    assert ranges[0] == f"Week 1, Likely: 4,500.00{NBSP}SEK – 6,500.00{NBSP}SEK"
    dots = svg.xpath("//svg:circle[@class='chart-line-dot']", namespaces=NS)
    assert len(dots) == 3
    assert _title(dots[2]) == f"Week 3, Expected: 3,500.00{NBSP}SEK"
    legend = svg.xpath("//svg:g[contains(@class, 'chart-legend-item')]/svg:text/text()", namespaces=NS)
    assert legend == ["Invoices due", "Recurring", "Overdue", "Likely", "Expected"]


# --- Readable and accessible -----------------------------------------------------------------


def test_a_legend_names_several_series_or_a_mark_but_not_one_series_alone():
    def legend(chart) -> list[str]:
        return _svg(chart).xpath("//svg:g[contains(@class, 'chart-legend-item')]/svg:text/text()", namespaces=NS)

    assert legend(_chart("1", "2")) == []
    marked = BarChart(
        title="Forecast", categories=[Category("Overdue", mark="overdue"), "Week 1"], series=[Series("", [D(5), D(3)])]
    )
    assert legend(marked) == ["Overdue"]
    assert _svg(marked).xpath("//svg:g[@class='chart-legend-item chart-mark-overdue']", namespaces=NS)


def test_the_svg_is_an_image_with_title_description_and_a_tooltip_per_bar():
    chart = BarChart(
        title="Cash-in forecast", currency="EUR", categories=["Week 1", "Week 2"], key="forecast",
        series=[Series("Invoices due", [D("1234.5"), D("10")]), Series("Recurring", [D("99"), None])],
    )  # fmt: skip
    svg = _svg(chart)

    assert svg.get("role") == "img"
    assert svg.get("viewBox") == "0 0 640 320"
    assert svg.get("width") == "100%"
    assert svg[0].tag == f"{{{charts.SVG_NS}}}title"
    assert svg[0].text == "Cash-in forecast"
    assert svg.get("aria-labelledby") == svg[0].get("id") == "forecast-wide-title"
    assert svg[1].text == (
        "Invoices due, Recurring. 2 bars, from Week 1 to Week 2. The figures are in the table with the chart."
    )
    assert [_title(rect) for rect in _bars(svg)] == [
        f"Week 1, Invoices due: 1,234.50{NBSP}EUR",
        f"Week 1, Recurring: 99.00{NBSP}EUR",
        f"Week 2, Invoices due: 10.00{NBSP}EUR",
    ]
    assert "style" not in render(chart)  # the policy refuses inline style


def test_many_categories_on_a_narrow_frame_turn_their_labels_and_thin_them_out():
    weeks = _chart(*range(1, 53))
    labels = _svg(weeks, NARROW).xpath("//svg:g[@class='chart-x-labels']/svg:text", namespaces=NS)
    assert 4 <= len(labels) <= 26
    assert all(label.get("transform", "").startswith("rotate(-45") for label in labels)
    assert len(_bars(_svg(weeks, NARROW))) == 52  # every bar is drawn, each with its title

    few = _svg(_chart("1", "2", "3"), NARROW).xpath("//svg:g[@class='chart-x-labels']/svg:text", namespaces=NS)
    assert [label.text for label in few] == ["Week 1", "Week 2", "Week 3"]
    assert not any(label.get("transform") for label in few)
    assert _svg(weeks, NARROW).get("viewBox").startswith("0 0 360 ")


def test_long_names_are_shortened_on_the_bar_and_whole_in_its_title():
    name = "Ett mycket långt organisationsnamn utan mellanrum AB"
    chart = HorizontalBarChart(title="Top customers", categories=[name], series=[Series("", [D("100")])])
    for frame in (WIDE, NARROW):
        svg = _svg(chart, frame)
        (label,) = svg.xpath("//svg:text[@class='chart-category']", namespaces=NS)
        assert label.text.endswith("…") or frame is NARROW
        assert _title(_bars(svg)[0]) == f"{name}: 100.00"


@pytest.mark.parametrize(
    "chart",
    [
        BarChart(title="Forecast", categories=[], series=[]),
        _chart("0", "0"),
        BarChart(title="Forecast", categories=["Week 1"], series=[Series("Due", [None])]),
        HorizontalBarChart(title="Aged", categories=["Not due"], series=[Series("", [D("0.00")])]),
    ],
)
def test_no_figures_show_nothing_to_show_instead_of_an_empty_frame(chart):
    for frame in (WIDE, NARROW):
        svg = _svg(chart, frame)
        assert "chart-empty" in svg.get("class")
        assert svg.get("role") == "img"
        assert not svg.xpath("//svg:rect", namespaces=NS)
        assert not svg.xpath("//svg:line", namespaces=NS)
        assert svg.xpath("//svg:text/text()", namespaces=NS) == ["Nothing to show"]


def test_an_empty_chart_can_say_what_is_missing():
    chart = BarChart(title="Aged", categories=[], series=[], empty_text="No open invoices")
    assert _svg(chart).xpath("//svg:text/text()", namespaces=NS) == ["No open invoices"]


def test_names_are_escaped_in_the_drawing_and_the_table():
    evil = '<script>alert(1)</script> & "quotes"'
    chart = HorizontalBarChart(
        title=f"Top {evil}", categories=[evil, "Bertil"], series=[Series(evil, [D("5"), D("3")])], key="top"
    )
    for frame in (WIDE, NARROW):
        markup = render(chart, frame)
        assert "<script>" not in markup
        assert "&lt;script&gt;" in markup
        svg = etree.fromstring(markup)
        assert svg.find("svg:title", NS).text == f"Top {evil}"
        assert _title(_bars(svg)[0]) == f"{evil}, {evil}: 5.00"

    page = Template("{% load charts %}{% chart chart %}").render(Context({"chart": chart}))
    assert "<script>" not in page
    document = html.fromstring(page)
    assert document.xpath("//table//tbody/tr[1]/th/text()") == [evil]
    assert document.xpath("//table/caption/text()")[0].strip() == f"Top {evil}"


def test_a_character_xml_cannot_carry_does_not_break_the_drawing():
    chart = HorizontalBarChart(title="Top\x00", categories=["Anna\x1b AB"], series=[Series("", [D(5)])])
    svg = _svg(chart)
    assert svg.find("svg:title", NS).text == "Top\ufffd"
    assert _title(_bars(svg)[0]) == "Anna\ufffd AB: 5.00"


# --- Numbers in the user's language -----------------------------------------------------------


def test_amounts_in_english():
    assert format_amount(D("1234567.5"), currency="SEK") == f"1,234,567.50{NBSP}SEK"
    assert format_amount(D("-12.345")) == "-12.35"
    assert format_amount(D("999.5"), decimals=0) == "1,000"
    assert format_short(D("12000"), currency="SEK") == "12k"
    assert format_short(D("1234567"), currency="SEK") == "1.2M"
    assert format_short(D("1234567"), currency="EUR") == "1.2M"
    assert format_short(D("-2500")) == "-2.5k"
    assert format_short(D("950")) == "950"
    assert format_short(D("999.96")) == "1k"
    assert format_short(D("999950")) == "1M"
    assert format_short(D("1250"), exponent=3, decimals=2) == "1.25k"
    assert format_short(D("500"), exponent=3, decimals=2) == "0.5k"
    assert format_short(D("0"), exponent=6) == "0"


def test_amounts_in_swedish(swedish):
    with translation.override("sv"):
        assert format_amount(D("1234567.5"), currency="SEK") == f"1{NBSP}234{NBSP}567,50{NBSP}SEK"
        assert format_short(D("12000"), currency="SEK") == f"12{NBSP}tkr"
        assert format_short(D("1234567"), currency="SEK") == f"1,2{NBSP}mkr"
        assert format_short(D("1250"), currency="NOK", exponent=3, decimals=2) == f"1,25{NBSP}tkr"
        assert format_short(D("12000"), currency="EUR") == f"12{NBSP}tusen"
        assert format_short(D("1234567"), currency="EUR") == f"1,2{NBSP}milj."
        svg = _svg(
            BarChart(title="Prognos", currency="SEK", categories=["v. 1"], series=[Series("Förfaller", [D("12345.6")])])
        )
        assert _title(_bars(svg)[0]) == f"v. 1, Förfaller: 12{NBSP}345,60{NBSP}SEK"
        ticks = svg.xpath("//svg:g[@class='chart-axis']/svg:text[not(@class)]/text()", namespaces=NS)
        assert ticks == ["0", f"5{NBSP}tkr", f"10{NBSP}tkr", f"15{NBSP}tkr"]
        assert svg[1].text == "Förfaller. 1 stapel: v. 1. Siffrorna finns i tabellen vid diagrammet."
        assert _svg(_chart("0")).xpath("//svg:text/text()", namespaces=NS) == ["Inget att visa"]
        aged = HorizontalBarChart(
            title="Åldersanalys", currency="SEK", categories=["Ej förfallet"], series=[Series("", [D(125_000)])]
        )
        assert _svg(aged, NARROW).xpath("//svg:text[@class='chart-value']/text()", namespaces=NS) == [f"125{NBSP}tkr"]
        aged = HorizontalBarChart(
            title="Åldersanalys", currency="EUR", categories=["Ej förfallet"], series=[Series("", [D(125_000)])]
        )
        assert _svg(aged, NARROW).xpath("//svg:text[@class='chart-value']/text()", namespaces=NS) == [
            f"125{NBSP}tusen{NBSP}EUR"
        ]


# --- Input that is not a chart ------------------------------------------------------------------


def test_a_series_of_the_wrong_length_or_floats_are_refused():
    with pytest.raises(ValueError, match="2 values for 3 categories"):
        BarChart(title="x", categories=["a", "b", "c"], series=[Series("s", [D(1), D(2)])])
    with pytest.raises(TypeError, match="not float"):
        BarChart(title="x", categories=["a"], series=[Series("s", [1.5])])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="overlay"):
        BarChart(title="x", categories=["a"], series=[Series("s", [D(1)])], line=Line("l", []))
    with pytest.raises(ValueError, match="CSS word"):
        Category("Overdue", mark='x" onclick="')


# --- The template tag -------------------------------------------------------------------------


def test_the_tag_renders_both_drawings_and_the_table_for_screen_readers():
    chart = BarChart(
        title="Aged receivables", currency="SEK", category_heading="Bucket", key="aged",
        categories=["Not due", "1–30"],
        series=[Series("Companies", [D("100"), D("50")]), Series("Persons", [D("1"), None])],
    )  # fmt: skip
    page = html.fromstring(Template("{% load charts %}{% chart chart %}").render(Context({"chart": chart})))

    assert page.tag == "figure"
    assert page.get("id") == "aged"
    assert len(page.xpath(".//div[@class='chart-wide']/svg")) == 1
    assert len(page.xpath(".//div[@class='chart-narrow']/svg")) == 1
    (data,) = page.xpath(".//table")
    assert data.get("class") == "chart-data chart-data-for-readers"
    assert [th.text_content() for th in data.xpath(".//thead//th")] == ["Bucket", "Companies", "Persons", "Total"]
    one = HorizontalBarChart(title="Aged", categories=["Not due"], series=[Series("", [D(5)])])
    assert charts.table(one).columns == ["Amount"]
    rows = [[cell.text_content() for cell in row] for row in data.xpath(".//tbody/tr | .//tfoot/tr")]
    assert rows == [
        ["Not due", "100.00", "1.00", "101.00"],
        ["1–30", "50.00", "", "50.00"],
        ["Total", "150.00", "1.00", "151.00"],
    ]
    assert "Amounts in SEK." in data.xpath(".//caption")[0].text_content()

    shown = html.fromstring(
        Template('{% load charts %}{% chart chart table="shown" %}').render(Context({"chart": chart}))
    )
    assert shown.xpath(".//table")[0].get("class") == "chart-data"


def test_the_tag_shows_no_table_when_there_is_nothing_to_show():
    chart = BarChart(title="Aged", categories=[], series=[])
    page = html.fromstring(Template("{% load charts %}{% chart chart %}").render(Context({"chart": chart})))
    assert "chart-is-empty" in page.get("class")
    assert not page.xpath(".//table")
    assert page.xpath(".//svg//text()") == ["Aged", "Nothing to show", "Nothing to show"] * 2


# --- Colours -------------------------------------------------------------------------------------

CSS = Path(charts.__file__).parent / "static" / "staff" / "fakturera.css"


def _luminance(colour: str) -> float:
    channels = [int(colour[index : index + 2], 16) / 255 for index in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_the_palette_contrasts_with_white_and_its_colours_differ():
    css = CSS.read_text()
    palette = [
        re.search(rf"rect\.chart-s{n}, \.chart-s{n} > rect {{ fill:(#[0-9a-f]{{6}}); }}", css).group(1)  # type: ignore[union-attr]
        for n in range(1, charts.PALETTE_SIZE + 1)
    ]
    overdue = re.search(r"\.chart-mark-overdue rect { fill:(#[0-9a-f]{6}); }", css).group(1)  # type: ignore[union-attr]
    for colour in [*palette, overdue]:
        # WCAG 1.4.11: graphics at least 3:1 against their background
        assert 1.05 / (_luminance(colour) + 0.05) >= 3, colour
    colours = [*palette, overdue]
    assert len(set(colours)) == len(colours)
    for first, second in itertools.pairwise(palette):
        # neighbours in a stack differ in lightness as well as in hue
        lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
        assert (lighter + 0.05) / (darker + 0.05) >= 1.2, (first, second)

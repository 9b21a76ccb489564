"""Charts for the staff pages, drawn on the server as SVG: plain dataclasses in, markup out.

Pure (no ORM, no request): a page's selector computes the figures, its view fills a
`BarChart` or a `HorizontalBarChart`, and its template says `{% chart the_chart %}`
(`templatetags/charts.py`). No script and no inline style, which the Content-Security-Policy
refuses: colours are CSS classes of `static/staff/fakturera.css`, geometry is SVG
presentation attributes. Every chart is drawn twice, for a wide and for a narrow container
(a container query shows one of them), because one drawing scaled down to a phone would
shrink its text below reading size. Amounts are Decimal (never float), formatted in the
active language by Django's number formatting.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from lxml import etree

SVG_NS = "http://www.w3.org/2000/svg"
ZERO = Decimal(0)
# Series take the palette's classes in order (chart-s1 ... chart-s6, fakturera.css); a seventh
# series starts again at the first colour.
PALETTE_SIZE = 6
MARK = re.compile(r"[a-z][a-z0-9-]*\Z")
# The currencies whose short forms are "tkr" and "mkr" in Swedish.
KRONOR = frozenset({"SEK", "NOK", "DKK"})
NBSP = "\u00a0"

Amount = Decimal | int | None


# --- Input ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    """One bar (or row). `mark` names a CSS word: the bar gets the class `chart-mark-<mark>`
    (fakturera.css colours `overdue`) and the legend an entry with the category's label."""

    label: str
    mark: str = ""

    def __post_init__(self) -> None:
        if self.mark and not MARK.match(self.mark):
            raise ValueError(f"a mark is a lowercase CSS word, not {self.mark!r}")


@dataclass(frozen=True)
class Series:
    """Values, one per category (None: no bar). Stacked series add up in each bar; negative
    values go below (or left of) the zero line."""

    label: str
    values: Sequence[Amount]


@dataclass(frozen=True)
class Band:
    """A range per category drawn as an area behind the line of the bars' centres (a
    forecast's low and high); None where it has no range."""

    label: str
    low: Sequence[Amount]
    high: Sequence[Amount]


@dataclass(frozen=True)
class Line:
    label: str
    values: Sequence[Amount]


@dataclass(frozen=True)
class _Chart:
    title: str
    categories: Sequence[Category | str]
    series: Sequence[Series]
    # ISO 4217 code of every amount of the chart; empty for plain numbers.
    currency: str = ""
    # Read by screen readers with the title; a default names the series and categories.
    description: str = ""
    # The first column's heading in the data table ("Week", "Customer").
    category_heading: str = ""
    # Shown instead of an empty frame when no value differs from zero.
    empty_text: str = ""
    # Unique on the page: the prefix of the chart's element ids (default: from the title).
    key: str = ""

    def __post_init__(self) -> None:
        count = len(self.categories)
        for series in self.series:
            if len(series.values) != count:
                raise ValueError(f"series {series.label!r} has {len(series.values)} values for {count} categories")
            for value in series.values:
                _check_amount(value)

    @property
    def category_list(self) -> tuple[Category, ...]:
        return tuple(item if isinstance(item, Category) else Category(str(item)) for item in self.categories)

    @property
    def chart_key(self) -> str:
        if self.key:
            return self.key
        return "chart-" + hashlib.sha256(self.title.encode()).hexdigest()[:10]

    @property
    def is_stacked(self) -> bool:
        return True

    def overlay_values(self) -> list[Decimal]:
        return []


@dataclass(frozen=True)
class BarChart(_Chart):
    """Vertical bars, the categories along the x axis; series stacked (or side by side with
    `stacked=False`), an optional band (low-high area) and line drawn over them."""

    stacked: bool = True
    band: Band | None = None
    line: Line | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        count = len(self.categories)
        overlays = []
        if self.band is not None:
            overlays += [self.band.low, self.band.high]
        if self.line is not None:
            overlays.append(self.line.values)
        for values in overlays:
            if len(values) != count:
                raise ValueError(f"an overlay has {len(values)} values for {count} categories")
            for value in values:
                _check_amount(value)

    @property
    def is_stacked(self) -> bool:
        return self.stacked

    def overlay_values(self) -> list[Decimal]:
        found: list[Amount] = []
        if self.band is not None:
            found += [*self.band.low, *self.band.high]
        if self.line is not None:
            found += list(self.line.values)
        return [Decimal(value) for value in found if value is not None]


@dataclass(frozen=True)
class HorizontalBarChart(_Chart):
    """Horizontal bars, one row a category (aging buckets, top customers), each with its
    value (the row's total) written at the end of the bar. Several series always stack."""


def _check_amount(value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, Decimal | int)):
        raise TypeError(f"chart values are Decimal or int, not {type(value).__name__}")


# --- Numbers ----------------------------------------------------------------------------------


def format_amount(value: Amount, *, currency: str = "", decimals: int = 2) -> str:
    """12 345,50 SEK in Swedish, 12,345.50 SEK in English (Django's formats of the active
    language, grouping always on)."""
    if value is None:
        return ""
    number = Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = number_format(number, decimals, force_grouping=True)
    return f"{text}{NBSP}{currency}" if currency else text


def _short_exponent(largest: Decimal) -> int:
    largest = abs(largest)
    if largest >= 1_000_000:
        return 6
    if largest >= 1000:
        return 3
    return 0


def format_short(value: Amount, *, currency: str = "", exponent: int | None = None, decimals: int = 1) -> str:
    """A short amount for axes and narrow labels: "12 tkr", "1,2 mkr" in Swedish (kronor;
    "12 tusen", "1,2 milj." otherwise), "12k", "1.2M" in English. `exponent` (0, 3 or 6)
    puts several amounts in one unit; by default the value's own."""
    if value is None:
        return ""
    number = Decimal(value)
    unit = Decimal(1).scaleb(-decimals)
    if exponent is None:
        exponent = _short_exponent(number)
        if exponent < 6 and abs(number.scaleb(-exponent).quantize(unit, rounding=ROUND_HALF_UP)) >= 1000:
            exponent += 3  # 999 950 is "1M", not "1,000k"
    scaled = number.scaleb(-exponent).quantize(unit, rounding=ROUND_HALF_UP)
    places = max(0, -scaled.normalize().as_tuple().exponent) if scaled else 0  # type: ignore[operator]
    text = number_format(scaled, min(places, decimals), force_grouping=True)
    if exponent == 0 or not scaled:
        return text
    if currency in KRONOR:
        if exponent == 3:
            return pgettext("short amount, thousands of kronor", "%(amount)sk") % {"amount": text}
        return pgettext("short amount, millions of kronor", "%(amount)sM") % {"amount": text}
    if exponent == 3:
        return pgettext("short amount, thousands", "%(amount)sk") % {"amount": text}
    return pgettext("short amount, millions", "%(amount)sM") % {"amount": text}


def short_names_currency(currency: str) -> bool:
    """Whether the active language's short forms name the currency themselves ("12 tkr" in
    Swedish); where they do not ("12k"), a label that needs the currency adds it."""
    if currency not in KRONOR:
        return False
    kronor = pgettext("short amount, thousands of kronor", "%(amount)sk")
    return kronor != pgettext("short amount, thousands", "%(amount)sk")


def nice_step(raw: Decimal) -> Decimal:
    """The smallest 1, 2 or 5 times a power of ten that is at least `raw` (> 0)."""
    magnitude = Decimal(1).scaleb(raw.adjusted())
    for multiple in (1, 2, 5, 10):
        step = magnitude * multiple
        if step >= raw:
            return step
    raise AssertionError("unreachable: 10 * magnitude exceeds raw")


def nice_ticks(low: Decimal, high: Decimal, *, count: int = 5) -> list[Decimal]:
    """Ticks in 1-2-5 steps through zero, from at most `low` (<= 0) to at least `high` (>= 0),
    about `count` intervals."""
    low, high = min(low, ZERO), max(high, ZERO)
    if low == high:
        return [ZERO, Decimal(1)]
    step = nice_step((high - low) / count)
    first = (low / step).to_integral_value(rounding=ROUND_FLOOR)
    last = (high / step).to_integral_value(rounding=ROUND_CEILING)
    return [step * index for index in range(int(first), int(last) + 1)]


# --- What a chart holds -------------------------------------------------------------------------


def _values(chart: _Chart) -> list[Decimal]:
    return [Decimal(value) for series in chart.series for value in series.values if value is not None]


def is_empty(chart: _Chart) -> bool:
    """Nothing to draw: no category, or no value (overlays included) other than zero."""
    return not chart.categories or not any([*_values(chart), *chart.overlay_values()])


def _stacks(chart: _Chart) -> list[tuple[Decimal, Decimal]]:
    """Per category the lowest and highest point its bars reach (stacked: the negative and
    positive sums; side by side: the smallest and largest value), zero included."""
    extents = []
    for index in range(len(chart.categories)):
        values = [Decimal(series.values[index]) for series in chart.series if series.values[index] is not None]
        if chart.is_stacked:
            extents.append((sum((v for v in values if v < 0), ZERO), sum((v for v in values if v > 0), ZERO)))
        else:
            extents.append((min([ZERO, *values]), max([ZERO, *values])))
    return extents


def _totals(chart: _Chart) -> list[Decimal | None]:
    totals: list[Decimal | None] = []
    for index in range(len(chart.categories)):
        values = [Decimal(series.values[index]) for series in chart.series if series.values[index] is not None]
        totals.append(sum(values, ZERO) if values else None)
    return totals


def default_description(chart: _Chart) -> str:
    categories = chart.category_list
    if not categories:
        return ""
    names = ", ".join(series.label for series in chart.series if series.label)
    span = ngettext(
        "%(count)s bar: %(first)s.",
        "%(count)s bars, from %(first)s to %(last)s.",
        len(categories),
    ) % {"count": len(categories), "first": categories[0].label, "last": categories[-1].label}
    parts = [f"{names}." if names else "", span, _("The figures are in the table with the chart.")]
    return " ".join(part for part in parts if part)


def tooltip(category: str, series: str, amount: str) -> str:
    if series:
        return _("%(category)s, %(series)s: %(amount)s") % {"category": category, "series": series, "amount": amount}
    return _("%(category)s: %(amount)s") % {"category": category, "amount": amount}


@dataclass(frozen=True)
class TableRow:
    label: str
    cells: list[str]


@dataclass(frozen=True)
class Table:
    """The chart's figures as a table (for screen readers, printing, or shown beside it)."""

    caption: str
    note: str
    heading: str
    columns: list[str]
    rows: list[TableRow]
    totals: TableRow | None


def table(chart: _Chart) -> Table:
    categories = chart.category_list
    several = len(chart.series) > 1 and chart.is_stacked
    columns = [series.label or _("Amount") for series in chart.series]
    if several:
        columns.append(_("Total"))
    band = getattr(chart, "band", None)
    line = getattr(chart, "line", None)
    if band is not None:
        columns += [_("%(band)s, low") % {"band": band.label}, _("%(band)s, high") % {"band": band.label}]
    if line is not None:
        columns.append(line.label)
    totals = _totals(chart)
    rows = []
    for index, category in enumerate(categories):
        cells = [format_amount(series.values[index]) for series in chart.series]
        if several:
            cells.append(format_amount(totals[index]))
        if band is not None:
            cells += [format_amount(band.low[index]), format_amount(band.high[index])]
        if line is not None:
            cells.append(format_amount(line.values[index]))
        rows.append(TableRow(category.label, cells))
    total_row = None
    if len(categories) > 1 and chart.is_stacked:
        sums = [
            format_amount(sum((Decimal(v) for v in series.values if v is not None), ZERO)) for series in chart.series
        ]
        if several:
            sums.append(format_amount(sum((t for t in totals if t is not None), ZERO)))
        sums += [""] * (len(columns) - len(sums))
        total_row = TableRow(_("Total"), sums)
    note = _("Amounts in %(currency)s.") % {"currency": chart.currency} if chart.currency else ""
    return Table(chart.title, note, chart.category_heading, columns, rows, total_row)


# --- Drawing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """A drawing's size in its own units (the viewBox) and its text size in the same units."""

    name: str
    width: int
    height: int
    font: int = 12
    narrow: bool = False


WIDE = Frame("wide", 640, 320)
NARROW = Frame("narrow", 360, 300, narrow=True)


# Characters XML 1.0 cannot carry (control characters, lone surrogates): lxml would refuse the
# whole drawing for one of them in a name.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _text_width(text: str, font: int) -> float:
    # An estimate for a proportional sans-serif; generous, so that labels rather fit.
    return len(text) * font * 0.6


def _fit(text: str, width: float, font: int) -> str:
    """The text cut with an ellipsis to about `width` (the full text stays in a <title>)."""
    if _text_width(text, font) <= width:
        return text
    keep = max(1, int(width / (font * 0.6)) - 1)
    return text[:keep].rstrip() + "…"


class _Svg:
    def __init__(self, chart: _Chart, frame: Frame, height: float) -> None:
        self.key = f"{chart.chart_key}-{frame.name}"
        self.root = etree.Element(
            f"{{{SVG_NS}}}svg",
            nsmap={None: SVG_NS},  # type: ignore[dict-item]
        )
        self.set(
            self.root,
            viewBox=f"0 0 {frame.width} {_num(height)}",
            width="100%",
            role="img",
            class_=f"chart-svg chart-{frame.name}-svg",
            aria_labelledby=f"{self.key}-title",
            aria_describedby=f"{self.key}-desc",
            font_size=frame.font,
        )
        self.add(self.root, "title", chart.title, id=f"{self.key}-title")
        self.add(self.root, "desc", chart.description or default_description(chart), id=f"{self.key}-desc")

    @staticmethod
    def set(element: etree._Element, **attributes: object) -> None:
        for name, value in attributes.items():
            if value is None:
                continue
            text = _num(value) if isinstance(value, float) else _xml(str(value))
            element.set(name.rstrip("_").replace("_", "-"), text)

    def add(self, parent: etree._Element, tag: str, text: str | None = None, **attributes: object) -> etree._Element:
        element = etree.SubElement(parent, f"{{{SVG_NS}}}{tag}")
        self.set(element, **attributes)
        if text is not None:
            element.text = _xml(text)
        return element

    def markup(self) -> str:
        return etree.tostring(self.root, encoding="unicode")


def _legend_entries(chart: _Chart) -> list[tuple[str, str, str]]:
    """(class, label, shape) of each legend entry: series, marks, band, line."""
    entries = [(f"chart-s{index % PALETTE_SIZE + 1}", series.label, "box") for index, series in enumerate(chart.series)]
    entries = [entry for entry in entries if entry[1]]
    seen: set[str] = set()
    for category in chart.category_list:
        if category.mark and category.mark not in seen:
            seen.add(category.mark)
            entries.append((f"chart-mark-{category.mark}", category.label, "mark"))
    band = getattr(chart, "band", None)
    line = getattr(chart, "line", None)
    if band is not None:
        entries.append(("chart-band", band.label, "band"))
    if line is not None:
        entries.append(("chart-line", line.label, "line"))
    if len(chart.series) == 1 and not seen and band is None and line is None:
        return []  # one series alone: the title says what the bars are
    return entries


def _draw_legend(svg: _Svg, chart: _Chart, frame: Frame) -> float:
    """Legend entries in rows at the top; returns the height they take."""
    entries = _legend_entries(chart)
    if not entries:
        return 0.0
    group = svg.add(svg.root, "g", class_="chart-legend")
    size, gap, row_height = frame.font * 0.85, frame.font * 1.2, frame.font * 1.6
    x, y = 0.0, 0.0
    for css_class, label, shape in entries:
        text = _fit(label, frame.width - size - 6, frame.font)
        width = size + 5 + _text_width(text, frame.font)
        if x > 0 and x + width > frame.width:
            x, y = 0.0, y + row_height
        item = svg.add(group, "g", class_=f"chart-legend-item {css_class}")
        middle = y + row_height / 2
        if shape == "line":
            svg.add(item, "line", x1=x, y1=middle, x2=x + size, y2=middle, class_="chart-line-stroke")
        elif shape == "mark":
            svg.add(item, "rect", x=x, y=middle - size / 2, width=size, height=size, class_="chart-bar-rect")
        else:
            svg.add(item, "rect", x=x, y=middle - size / 2, width=size, height=size)
        svg.add(item, "text", text, x=x + size + 5, y=middle, dominant_baseline="central")
        x += width + gap
    return y + row_height + frame.font * 0.4


def _empty_svg(chart: _Chart, frame: Frame) -> str:
    height = frame.font * 6.0
    svg = _Svg(chart, frame, height)
    empty_text = chart.empty_text or _("Nothing to show")
    svg.root[1].text = chart.description or empty_text
    svg.set(svg.root, class_=f"chart-svg chart-{frame.name}-svg chart-empty")
    svg.add(
        svg.root,
        "text",
        empty_text,
        x=frame.width / 2,
        y=height / 2,
        text_anchor="middle",
        dominant_baseline="central",
        class_="chart-empty-text",
    )
    return svg.markup()


class _Scale:
    """Amounts to coordinates along one axis: `start` is where `low` is drawn, `end` `high`."""

    def __init__(self, low: Decimal, high: Decimal, start: float, end: float) -> None:
        self.low, self.high, self.start, self.end = float(low), float(high), start, end

    def __call__(self, value: Decimal) -> float:
        span = self.high - self.low or 1.0
        return self.start + (float(value) - self.low) / span * (self.end - self.start)


def render_bar_chart(chart: BarChart, frame: Frame = WIDE) -> str:
    """The SVG of a vertical bar chart in one frame (WIDE or NARROW)."""
    if is_empty(chart):
        return _empty_svg(chart, frame)
    font, width, height = frame.font, frame.width, frame.height
    svg = _Svg(chart, frame, height)
    categories = chart.category_list
    legend_height = _draw_legend(svg, chart, frame)

    extents = _stacks(chart)
    overlay = chart.overlay_values()
    low = min([ZERO, *(e[0] for e in extents), *overlay])
    high = max([ZERO, *(e[1] for e in extents), *overlay])
    ticks = nice_ticks(low, high, count=5 if not frame.narrow else 4)
    exponent = _short_exponent(max(abs(ticks[0]), abs(ticks[-1])))
    tick_labels = [format_short(tick, currency=chart.currency, exponent=exponent, decimals=2) for tick in ticks]
    left = max(_text_width(label, font) for label in tick_labels) + font * 0.8
    if chart.currency:
        left = max(left, _text_width(chart.currency, font) + 4)
    right = font * 0.5
    top = legend_height + (font * 2.0 if chart.currency else font)

    # Category labels: level when the widest fits its slot; otherwise turned 45 degrees, and
    # only every n-th where even turned ones would touch (each bar keeps its <title>).
    slot = (width - left - right) / len(categories)
    widest = max(_text_width(category.label, font) for category in categories)
    turned = widest > slot - 4
    every = max(1, math.ceil(font * 1.5 / slot)) if turned else 1
    longest = min(widest, height * 0.28 / 0.71)
    label_room = (longest * 0.71 + font * 1.2) if turned else font * 1.8
    bottom = height - label_room

    y = _Scale(ticks[0], ticks[-1], bottom, top)
    axis = svg.add(svg.root, "g", class_="chart-axis")
    if chart.currency:
        svg.add(axis, "text", chart.currency, x=left - 6, y=top - font * 1.1, text_anchor="end", class_="chart-unit")
    for tick, label in zip(ticks, tick_labels, strict=True):
        position = y(tick)
        svg.add(axis, "line", x1=left, x2=width - right, y1=position, y2=position, class_="chart-grid")
        svg.add(axis, "text", label, x=left - 6, y=position, text_anchor="end", dominant_baseline="central")

    labels = svg.add(svg.root, "g", class_="chart-x-labels")
    for index, category in enumerate(categories):
        if index % every:
            continue
        centre = left + slot * (index + 0.5)
        if turned:
            text = _fit(category.label, longest, font)
            anchor_y = bottom + font * 0.8
            svg.add(
                labels,
                "text",
                text,
                x=centre,
                y=anchor_y,
                text_anchor="end",
                transform=f"rotate(-45 {_num(centre)} {_num(anchor_y)})",
            )
        else:
            svg.add(labels, "text", category.label, x=centre, y=bottom + font * 1.2, text_anchor="middle")

    bars = svg.add(svg.root, "g", class_="chart-bars")
    bar_width = slot * 0.7
    columns = 1 if chart.is_stacked else max(1, len(chart.series))
    for index, category in enumerate(categories):
        css = "chart-bar" + (f" chart-mark-{category.mark}" if category.mark else "")
        group = svg.add(bars, "g", class_=css)
        x0 = left + slot * index + (slot - bar_width) / 2
        above, below = ZERO, ZERO
        for number, series in enumerate(chart.series):
            value = series.values[index]
            if value is None or not value:
                continue
            value = Decimal(value)
            if chart.is_stacked:
                start = above if value > 0 else below
                end = start + value
                if value > 0:
                    above = end
                else:
                    below = end
                x, bar = x0, bar_width
            else:
                start, end = ZERO, value
                bar = bar_width / columns
                x = x0 + bar * number
            top_y, bottom_y = sorted((y(start), y(end)))
            rect = svg.add(
                group,
                "rect",
                x=x,
                y=top_y,
                width=bar,
                height=bottom_y - top_y,
                class_=f"chart-bar-rect chart-s{number % PALETTE_SIZE + 1}",
                data_series=number,
                data_value=str(value),
            )
            amount = format_amount(value, currency=chart.currency)
            svg.add(rect, "title", tooltip(category.label, series.label, amount))

    if chart.band is not None:
        _draw_band(svg, chart, chart.band, y, left, slot)
    if chart.line is not None:
        _draw_line(svg, chart, chart.line, y, left, slot)
    zero = y(ZERO)
    svg.add(svg.root, "line", x1=left, x2=width - right, y1=zero, y2=zero, class_="chart-zero")
    return svg.markup()


def _runs(values: Sequence[object]) -> list[list[int]]:
    """The indexes of consecutive values that are not None."""
    runs: list[list[int]] = []
    for index, value in enumerate(values):
        if value is None:
            continue
        if runs and runs[-1][-1] == index - 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    return runs


def _draw_band(svg: _Svg, chart: BarChart, band: Band, y: _Scale, left: float, slot: float) -> None:
    group = svg.add(svg.root, "g", class_="chart-band")
    categories = chart.category_list
    present = [
        None if low is None or high is None else index
        for index, (low, high) in enumerate(zip(band.low, band.high, strict=True))
    ]
    for run in _runs(present):
        half = slot * 0.2 if len(run) == 1 else 0.0
        upper = [(left + slot * (i + 0.5), y(Decimal(band.high[i]))) for i in run]  # type: ignore[arg-type]
        lower = [(left + slot * (i + 0.5), y(Decimal(band.low[i]))) for i in run]  # type: ignore[arg-type]
        if half:
            (x, top), (_x, bottom) = upper[0], lower[0]
            upper = [(x - half, top), (x + half, top)]
            lower = [(x - half, bottom), (x + half, bottom)]
        outline = [*upper, *reversed(lower)]
        points = " ".join(f"{_num(px)},{_num(py)}" for px, py in outline)
        area = svg.add(group, "polygon", points=points, class_="chart-band-area")
        first, last = categories[run[0]].label, categories[run[-1]].label
        svg.add(area, "title", band.label if first == last else f"{band.label}: {first} – {last}")
        for edge in (upper, lower):
            svg.add(
                group,
                "polyline",
                points=" ".join(f"{_num(px)},{_num(py)}" for px, py in edge),
                class_="chart-band-edge",
            )
        for i in run:
            low = format_amount(band.low[i], currency=chart.currency)
            high = format_amount(band.high[i], currency=chart.currency)
            centre = left + slot * (i + 0.5)
            hit = svg.add(
                group,
                "line",
                x1=centre,
                x2=centre,
                y1=y(Decimal(band.high[i])),
                y2=y(Decimal(band.low[i])),  # type: ignore[arg-type]
                class_="chart-band-range",
            )
            svg.add(hit, "title", tooltip(categories[i].label, band.label, f"{low} – {high}"))


def _draw_line(svg: _Svg, chart: BarChart, line: Line, y: _Scale, left: float, slot: float) -> None:
    group = svg.add(svg.root, "g", class_="chart-line")
    categories = chart.category_list
    for run in _runs(line.values):
        points = [(left + slot * (i + 0.5), y(Decimal(line.values[i]))) for i in run]  # type: ignore[arg-type]
        if len(points) > 1:
            svg.add(
                group,
                "polyline",
                points=" ".join(f"{_num(px)},{_num(py)}" for px, py in points),
                class_="chart-line-stroke",
            )
        for i, (px, py) in zip(run, points, strict=True):
            dot = svg.add(group, "circle", cx=px, cy=py, r=3.5, class_="chart-line-dot")
            amount = format_amount(line.values[i], currency=chart.currency)
            svg.add(dot, "title", tooltip(categories[i].label, line.label, amount))


def render_horizontal_bar_chart(chart: HorizontalBarChart, frame: Frame = WIDE) -> str:
    """The SVG of a horizontal bar chart: a row per category, its value at the bar's end.
    Wide: the category on the left of its bar; narrow: above it, across the whole width."""
    if is_empty(chart):
        return _empty_svg(chart, frame)
    font, width = frame.font, frame.width
    categories = chart.category_list
    extents = _stacks(chart)
    totals = _totals(chart)
    low = min([ZERO, *(e[0] for e in extents)])
    high = max([ZERO, *(e[1] for e in extents)])
    if frame.narrow:
        value_labels = [format_short(total, currency=chart.currency) for total in totals]
        unit = f"{NBSP}{chart.currency}" if chart.currency and not short_names_currency(chart.currency) else ""
        value_labels = [label + unit if label else label for label in value_labels]
    else:
        value_labels = [format_amount(total, currency=chart.currency, decimals=0) for total in totals]
    value_room = max(_text_width(label, font) for label in value_labels) + font * 0.6
    label_width = 0.0 if frame.narrow else min(max(_text_width(c.label, font) for c in categories), width * 0.32)
    label_room = 0.0 if frame.narrow else label_width + font * 0.8
    start = label_room + (value_room if low < 0 else 0.0)
    end = width - (value_room if high > 0 else font * 0.5)
    bar_height = font * 1.4
    label_height = font * 1.5 if frame.narrow else 0.0
    row_height = label_height + bar_height + font * 0.7

    # Height first (the legend's rows and the rows of bars), then the drawing.
    probe = _Svg(chart, frame, 0)
    legend_height = _draw_legend(probe, chart, frame)
    height = legend_height + row_height * len(categories) + font * 0.3
    svg = _Svg(chart, frame, height)
    _draw_legend(svg, chart, frame)
    x = _Scale(low, high, start, end)
    zero = x(ZERO)

    rows = svg.add(svg.root, "g", class_="chart-bars")
    for index, category in enumerate(categories):
        top = legend_height + row_height * index
        bar_top = top + label_height
        middle = bar_top + bar_height / 2
        css = "chart-bar" + (f" chart-mark-{category.mark}" if category.mark else "")
        group = svg.add(rows, "g", class_=css)
        if frame.narrow:
            text = _fit(category.label, width, font)
            svg.add(group, "text", text, x=0, y=top + font, class_="chart-category")
        else:
            text = _fit(category.label, label_width, font)
            svg.add(
                group,
                "text",
                text,
                x=label_width,
                y=middle,
                text_anchor="end",
                dominant_baseline="central",
                class_="chart-category",
            )
        right, left = ZERO, ZERO
        for number, series in enumerate(chart.series):
            value = series.values[index]
            if value is None or not value:
                continue
            value = Decimal(value)
            if value > 0:
                begin, right = right, right + value
                stop = right
            else:
                begin, left = left, left + value
                stop = left
            x1, x2 = sorted((x(begin), x(stop)))
            rect = svg.add(
                group,
                "rect",
                x=x1,
                y=bar_top,
                width=x2 - x1,
                height=bar_height,
                class_=f"chart-bar-rect chart-s{number % PALETTE_SIZE + 1}",
                data_series=number,
                data_value=str(value),
            )
            amount = format_amount(value, currency=chart.currency)
            svg.add(rect, "title", tooltip(category.label, series.label, amount))
        total = totals[index]
        if total is not None:
            if total < 0:
                svg.add(
                    group,
                    "text",
                    value_labels[index],
                    x=x(left) - 4,
                    y=middle,
                    text_anchor="end",
                    dominant_baseline="central",
                    class_="chart-value",
                )
            else:
                svg.add(
                    group,
                    "text",
                    value_labels[index],
                    x=x(right) + 4,
                    y=middle,
                    dominant_baseline="central",
                    class_="chart-value",
                )
    if frame.narrow:
        # Across the bars only: a line through the rows would strike out the labels above them.
        for index in range(len(categories)):
            bar_top = legend_height + row_height * index + label_height
            svg.add(
                svg.root, "line", x1=zero, x2=zero, y1=bar_top - 2, y2=bar_top + bar_height + 2, class_="chart-zero"
            )
    else:
        bottom = legend_height + row_height * len(categories)
        svg.add(svg.root, "line", x1=zero, x2=zero, y1=legend_height, y2=bottom, class_="chart-zero")
    return svg.markup()


def render(chart: _Chart, frame: Frame = WIDE) -> str:
    if isinstance(chart, HorizontalBarChart):
        return render_horizontal_bar_chart(chart, frame)
    if isinstance(chart, BarChart):
        return render_bar_chart(chart, frame)
    raise TypeError(f"not a chart: {type(chart).__name__}")


__all__ = [
    "NARROW",
    "WIDE",
    "Band",
    "BarChart",
    "Category",
    "Frame",
    "HorizontalBarChart",
    "Line",
    "Series",
    "Table",
    "format_amount",
    "format_short",
    "is_empty",
    "nice_ticks",
    "render",
    "table",
]

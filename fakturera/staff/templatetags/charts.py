"""`{% chart the_chart %}`: a chart of staff/charts.py as a figure: its drawing for wide and for
narrow containers and its figures as a table, hidden except to screen readers and on paper
(`table="shown"` shows it to everyone)."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from fakturera.staff import charts

register = template.Library()


@register.simple_tag
def chart(the_chart: charts.BarChart | charts.HorizontalBarChart, table: str = "hidden") -> SafeString:
    if table not in ("hidden", "shown"):
        raise template.TemplateSyntaxError(f'{{% chart %}} takes table="hidden" or table="shown", not {table!r}')
    empty = charts.is_empty(the_chart)
    context = {
        "key": the_chart.chart_key,
        "is_empty": empty,
        # lxml built the markup: every text and attribute value in it is escaped.
        "wide": mark_safe(charts.render(the_chart, charts.WIDE)),  # noqa: S308
        "narrow": mark_safe(charts.render(the_chart, charts.NARROW)),  # noqa: S308
        "table": None if empty else charts.table(the_chart),
        "is_table_shown": table == "shown",
    }
    return mark_safe(render_to_string("staff/includes/chart.html", context))  # noqa: S308

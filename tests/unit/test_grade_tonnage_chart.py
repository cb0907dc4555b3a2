"""The one grade-tonnage chart: its cut-offs, and what it draws from engine results on plain axes."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from rare_earth_plugin.core.grade_tonnage_chart import ChartStyle, chart_cutoffs, draw_grade_tonnage
from rare_earth_plugin.core.units import PERCENT, PPM, standard_cutoffs


@dataclass(frozen=True)
class Point:
    cutoff: float
    ore_tonnes: float
    mean_grade: float


def test_cutoffs_hold_the_standard_ones_the_chosen_one_and_an_even_range():
    cuts = chart_cutoffs(PERCENT, 0.075, steps=10, reach=1.5)
    assert cuts == sorted(set(cuts))
    assert set(standard_cutoffs(PERCENT)) <= set(cuts) and 0.075 in cuts
    top = max(standard_cutoffs(PERCENT)) * 1.5
    assert cuts[0] == 0.0 and cuts[-1] == pytest.approx(top)
    assert all(c in cuts for c in (round(top * i / 10, 9) for i in range(11)))


def test_cutoffs_reach_past_a_chosen_cutoff_above_the_standard_ones():
    assert chart_cutoffs(PPM, 5000.0, reach=1.25)[-1] == pytest.approx(6250.0)
    assert chart_cutoffs(PPM)[-1] == pytest.approx(max(standard_cutoffs(PPM)) * 1.5)


def _draw(points, unit, cutoff, **options):
    figure = Figure()
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    right = draw_grade_tonnage(axes, points, unit, cutoff, **options)
    figure.canvas.draw()  # the drawing must render, not only build artists
    return axes, right


def test_ore_in_mt_left_and_grade_right_against_cutoff_with_the_cutoff_marked():
    points = [Point(0.1, 2e6, 0.2), Point(0.0, 5e6, 0.1), Point(0.3, 0.0, math.nan)]
    axes, right = _draw(points, PERCENT, 0.1)
    ore_line, marker = axes.get_lines()
    assert list(ore_line.get_xdata()) == [0.0, 0.1, 0.3]  # sorted by cut-off
    assert list(ore_line.get_ydata()) == [5.0, 2.0, 0.0]
    grade_y = list(right.get_lines()[0].get_ydata())
    assert grade_y[:2] == [0.1, 0.2] and math.isnan(grade_y[2])  # no ore, no grade
    assert list(marker.get_xdata()) == [0.1, 0.1]
    assert axes.get_xlim() == (0.0, 0.3) and axes.get_ylim()[0] == 0.0
    assert axes.get_xlabel() == "Cut-off grade (%)" and right.get_ylabel() == "Mean grade (%)"


def test_ppm_results_can_be_shown_in_percent_with_a_labelled_marker():
    style = ChartStyle(marker_label="cut-off {cutoff:g} {unit}", grid=True, grade_from_zero=True)
    axes, right = _draw(
        [Point(0.0, 1e6, 700.0), Point(1000.0, 4e5, 1500.0)], PPM, 500.0, display_unit=PERCENT, style=style
    )
    assert list(axes.get_lines()[0].get_xdata()) == pytest.approx([0.0, 0.1])
    assert list(right.get_lines()[0].get_ydata()) == pytest.approx([0.07, 0.15])
    assert [text.get_text() for text in axes.texts] == ["cut-off 0.05 %"]
    assert right.get_ylim() == pytest.approx((0.0, 0.165))


def test_no_result_is_a_clear_error():
    with pytest.raises(ValueError, match="results"):
        _draw([], PERCENT, 0.0)


@pytest.mark.parametrize("style", [ChartStyle(), ChartStyle(grade_from_zero=True)])
def test_a_curve_without_ore_says_so_and_its_grade_axis_starts_at_zero(style):
    """An area without ore (or data) drew an empty frame whose grade axis ran from -0.04 %."""
    from rare_earth_plugin.core.grade_tonnage_chart import NO_ORE

    axes, right = _draw([Point(0.0, 0.0, math.nan), Point(0.2, 0.0, math.nan)], PERCENT, 0.1, style=style)
    assert right.get_ylim()[0] == 0.0 and axes.get_ylim()[0] == 0.0
    assert NO_ORE in [text.get_text() for text in axes.texts]
    with_ore, _ = _draw([Point(0.0, 1e6, 0.1), Point(0.2, 0.0, math.nan)], PERCENT, 0.1, style=style)
    assert NO_ORE not in [text.get_text() for text in with_ore.texts]


@pytest.mark.parametrize("top", [1.3e12, 3.1e10, 4e5])  # t: 1.3 million Mt, 31,000 Mt, 0.4 Mt
def test_ore_ticks_read_in_full_without_an_offset(top):
    """A 10,000 km² area's axis read 0.2-1.2 under a small "1e6" while its table said 1,300,000 Mt: easy to
    misread a million times. Ticks now read in full, with separators."""
    points = [Point(0.0, top, 0.1), Point(0.05, top * 0.6, 0.12), Point(0.1, 0.0, math.nan)]
    axes, _right = _draw(points, PERCENT, 0.05)
    axes.figure.canvas.draw()
    labels = [label.get_text() for label in axes.get_yticklabels() if label.get_text()]
    assert axes.yaxis.get_offset_text().get_text() == ""
    assert max(float(text.replace(",", "")) for text in labels) >= top / 1e6 * 0.5
    if top > 1e12:
        assert any("," in text for text in labels), labels

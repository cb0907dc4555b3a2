"""How targets read: two significant figures per end, one unit per range, the P90 convention and caution."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from rare_earth_plugin.core.exploration_target import ExplorationTarget, TargetFigures
from rare_earth_plugin.core.target_ranges import TargetRanges, Triangular
from rare_earth_plugin.core.target_text import (
    CAUTION,
    NO_SPREAD,
    basis_lines,
    case_statement,
    grade_range,
    no_target_reason,
    percentile_statement,
    rounded_range,
    target_summary,
    tonnes_range,
    window_text,
)


@pytest.mark.parametrize(
    "low, high, text",
    [
        (321.4, 458.9, "320–460"),
        (0.1812, 0.2297, "0.18–0.23"),
        (0.62, 1.04, "0.62–1.0"),
        (9712, 14033, "9,700–14,000"),
        (96.4, 104.2, "96–100"),
        (0.2001, 0.2004, "0.200"),
        (0.2004, 0.2001, "0.200"),
        (0.0, 5.3, "0–5.3"),
        (0.0712, 0.0748, "0.071–0.075"),
        (0.1004, 0.1049, "0.100–0.105"),  # two figures would print 0.10–0.10: a third is shown
        # an end rounding up into the next decade keeps its figures (it read 0.100–0.10 and 10.0–12)
        (0.0996, 0.1004, "0.0996–0.100"),
        (0.0994, 0.12, "0.099–0.12"),
        (0.0996, 0.12, "0.10–0.12"),
        (9.96, 12.4, "10–12"),
        (0.9996, 1.2, "1.0–1.2"),
        (99.96, 130.0, "100–130"),
    ],
)
def test_ranges_keep_two_significant_figures_per_end(low, high, text):
    assert rounded_range(low, high) == text


def test_missing_values_print_the_missing_mark():
    assert rounded_range(math.nan, 1.0) == "–"


@pytest.mark.parametrize(
    "low, high, text",
    [
        (321e6, 459e6, "320–460 Mt"),
        (690e3, 910e3, "690–910 kt"),
        (620e3, 1.04e6, "0.62–1.0 Mt"),
        (140.0, 180.0, "140–180 t"),
        (9.96e6, 12.4e6, "10–12 Mt"),
        (999_600, 1.2e6, "1.0–1.2 Mt"),
        # the unit follows the larger end as shown: it once read "850–1,000 kt" and "0–1,000 t"
        (850_000, 999_700, "0.85–1.0 Mt"),
        (0.0, 999.0, "0–1.0 kt"),
        (994_000, 994_900, "994–995 kt"),
        (900_000, 996_000, "0.90–1.0 Mt"),  # 1.0 as shown in Mt: not "900–1,000 kt"
        (900_000, 990_000, "900–990 kt"),
        (900_000, 994_000, "900–990 kt"),  # 0.99 in Mt: kt, not "0.90–0.99 Mt"
        (900_000, 995_000, "0.90–1.0 Mt"),  # 0.995 Mt rounds half up: once "900–1,000 kt" (0.99 in binary)
    ],
)
def test_tonnes_take_one_unit_from_the_larger_end(low, high, text):
    assert tonnes_range(low, high) == text


def test_grades_convert_to_the_shown_unit():
    assert grade_range(0.0712, 0.09, "percent", "ppm") == "710–900 ppm TREO"
    assert grade_range(1812.0, 2297.0, "ppm", "percent") == "0.18–0.23 % TREO"


def figures(scale: float) -> TargetFigures:
    return TargetFigures(
        ore_tonnes=400e6 * scale, mean_grade=0.2 * scale, treo_tonnes=800e3 * scale, tree_tonnes=667e3 * scale
    )


def target(**changes) -> ExplorationTarget:
    values = dict(
        low=figures(0.7),
        base=figures(1.0),
        high=figures(1.4),
        p90=figures(0.85),
        p50=figures(1.0),
        p10=figures(1.15),
        ranges=TargetRanges(),
        density_is_factor=False,
        draws=10_000,
        seed=7,
        grade_unit="percent",
        cutoff=0.05,
        min_depth=None,
        max_depth=300.0,
        top_depth="0 m",
        polygon_area_m2=1.5e6,
        data_coverage=1.0,
    )
    values.update(changes)
    return ExplorationTarget(**values)


def test_statement_runs_from_p90_to_p10_with_the_convention_and_the_caution():
    summary = target_summary(target())
    assert percentile_statement(target()) == "340–460 Mt at 0.17–0.23 % TREO, containing 680–920 kt TREO"
    assert "(P90–P10)" in summary and "Low–high case: 280–560 Mt" in summary
    assert "P90 is the value exceeded with 90 % probability" in summary and CAUTION in summary


def test_basis_names_the_inputs_and_which_are_our_defaults():
    lines = basis_lines(target(ranges=TargetRanges(grade_factor=Triangular(0.8, 1.0, 1.2))))
    text = "\n".join(lines)
    assert "Bulk density: 2.5 / 2.6 / 2.7 t/m³ (our default)" in text
    assert "Grade factor: 0.8 / 1 / 1.2 on every grade, before the fixed cut-off\n" in text + "\n"
    assert "counted to 300 m depth" in text and "10,000 draws (seed 7)" in text


@pytest.mark.parametrize(
    "low, high, words",
    [
        (None, None, "no depth limits"),
        (50.0, None, "counted below 50 m"),
        (None, 300.0, "counted to 300 m"),
        (50.0, 300.0, "between 50 m and 300 m"),
    ],
)
def test_window_in_words(low, high, words):
    assert words in window_text(target(min_depth=low, max_depth=high))


NO_ORE = TargetFigures(0.0, math.nan, 0.0, 0.0)


def test_an_end_without_ore_takes_the_other_ends_grade_not_a_missing_mark():
    """The low case without ore read 'at – % TREO', hiding the high case's grade."""
    assert case_statement(target(low=NO_ORE)) == "0–560 Mt at 0.28 % TREO, containing 0–1.1 Mt TREO"
    # a percentile's grade is of the draws with ore: it stands where that percentile of tonnes is 0
    p90 = TargetFigures(0.0, 0.151, 0.0, 0.0)
    assert percentile_statement(target(p90=p90)).startswith("0–460 Mt at 0.15–0.23 % TREO")


@pytest.mark.parametrize(
    "no_ore_share, reaches, window, reason",
    [
        (1.0, False, (None, None), "no cell reaches the cut-off in any draw"),
        (1.0, False, (None, 40.0), "no cell reaches the cut-off in any draw"),
        (1.0, True, (None, None), "the cells above the cut-off hold no ore (their thickness or density is 0)"),
        (1.0, True, (None, 40.0), "no draw has ore above the cut-off within the depth window"),
        (
            0.998,
            True,
            (None, None),
            "only 0.2 % of the draws have ore above the cut-off, so the P90–P10 range holds no ore",
        ),
        (
            0.97,
            True,
            (50.0, None),
            "only 3 % of the draws have ore above the cut-off within the depth window, so the P90–P10 range "
            "holds no ore",
        ),
    ],
)
def test_no_target_says_why(no_ore_share, reaches, window, reason):
    """'No cell reaches the cut-off in any draw' was said whenever the P10 had no ore: also when some draws did,
    when the cells reached it but their ore lay outside the depth window, or when they had no thickness."""
    low, high = window
    empty = target(
        p90=NO_ORE,
        p50=NO_ORE,
        p10=NO_ORE,
        no_ore_share=no_ore_share,
        reaches_cutoff=reaches,
        min_depth=low,
        max_depth=high,
    )
    assert no_target_reason(empty) == reason


def test_an_area_without_grade_data_is_not_said_to_hold_no_ore():
    """A zone outside the raster read "no ore above the cut-off" and "no cell reaches the cut-off"."""
    empty = TargetFigures(0.0, math.nan, 0.0, 0.0)
    outside = target(
        p90=empty, p50=empty, p10=empty, low=empty, base=empty, high=empty, data_coverage=0.0, no_ore_share=1.0
    )
    assert percentile_statement(outside) == case_statement(outside) == "no data in the area"
    assert no_target_reason(outside).startswith("the area holds no data")
    barren = replace(outside, data_coverage=1.0, reaches_cutoff=False)
    assert case_statement(barren) == "no ore above the cut-off"
    assert no_target_reason(barren) == "no cell reaches the cut-off in any draw"


def test_ore_whose_every_grade_overflowed_reads_without_a_grade():
    """A thickness of 3e301 m: every draw's ore infinite, its TREO finite, no grade anywhere; min([]) raised."""
    overflowed = TargetFigures(math.inf, math.nan, 7e305, 6e305)
    both = target(p90=overflowed, p10=overflowed, low=overflowed, high=overflowed)
    assert percentile_statement(both) == case_statement(both) == "– t at – % TREO, containing 7e+299 Mt TREO"


def test_the_basis_field_says_how_a_density_raster_is_scaled_and_whose_grades_rank():
    """With a density raster, target_basis read "density factor 2.5,2.6,2.7 t/m3", a factor of 2.5 to a reader."""
    from rare_earth_plugin.core.target_fields import basis_value

    with_raster = basis_value(target(density_is_factor=True))
    assert "density raster x value/likely of 2.5,2.6,2.7 t/m3" in with_raster and "density factor" not in with_raster
    assert "density 2.5,2.6,2.7 t/m3" in basis_value(target())
    assert "grade percentiles of the draws with ore" in with_raster


def test_a_target_whose_draws_do_not_spread_says_it_is_one_value():
    """Ranges of one value each (2.6,2.6,2.6; 1,1,1; 1,1,1), or DRAWS=1, read "Exploration target (P90–P10):
    1,700 Mt at 0.075 % TREO": a single headline figure, which the codes rule out. It is now said to be one
    value and how to give a range; a target that spreads, even by less than its rounding shows, says nothing."""
    same = TargetFigures(1.7e9, 0.075, 1.3e6, 1.1e6)
    flat = target(p90=same, p50=same, p10=same)
    assert percentile_statement(flat) == "1,700 Mt at 0.075 % TREO, containing 1.3 Mt TREO" + NO_SPREAD
    assert "give ranges with low < high" in NO_SPREAD and "one value, not a range" in NO_SPREAD
    near = target(p90=same, p10=TargetFigures(1.7e9 * (1 + 1e-9), 0.075, 1.3e6 * (1 + 1e-9), 1.1e6))
    assert NO_SPREAD not in percentile_statement(near)
    barren = TargetFigures(0.0, math.nan, 0.0, 0.0)
    assert percentile_statement(target(p90=barren, p10=barren)) == "no ore above the cut-off"

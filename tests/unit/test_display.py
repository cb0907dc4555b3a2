"""One display policy: units, decimals, thousands separators and the missing-value mark."""

from __future__ import annotations

import math

import pytest

from rare_earth_plugin.core import display
from rare_earth_plugin.core.units import PERCENT, PPM


@pytest.mark.parametrize("value", [None, math.nan, math.inf, -math.inf])
@pytest.mark.parametrize(
    "format_",
    [
        display.km2,
        display.mt,
        display.kt,
        display.coverage,
        lambda v: display.grade(v, PERCENT),
        lambda v: display.grade(v, PPM),
        lambda v: display.cutoff(v, PERCENT),
        display.AREA.text,
    ],
)
def test_no_number_prints_the_missing_mark(format_, value):
    assert format_(value) == display.MISSING


def test_engine_units_become_reporting_units_with_thousands_separators():
    assert display.km2(138_000_000.0) == "138.00"
    assert display.km2(1_234_567_890.0) == "1,234.57"
    assert display.mt(11_760_740_000.0) == "11,800"  # three significant figures
    assert display.kt(20_000_000.0) == "20,000"
    assert display.coverage(0.985) == "98.5"
    assert display.coverage(1.0) == "100.0"


def test_grades_in_ppm_are_whole_numbers_and_in_percent_have_the_same_precision():
    assert display.grade(0.0700, PERCENT) == "0.070"
    assert display.grade(700.0, PPM) == "700"
    assert display.grade(12_345.4, PPM) == "12,345"
    # 0.001 % = 10 ppm: the same grade prints to the same resolution in both units.
    assert display.grade(0.1234, PERCENT) == "0.123"
    assert display.grade(1234.0, PPM) == "1,234"


def test_standard_cutoffs_print_with_two_decimals_in_percent():
    assert [display.cutoff(c, PERCENT) for c in (0.0, 0.02, 0.1)] == ["0.00", "0.02", "0.10"]
    assert display.cutoff(500.0, PPM) == "500"


def test_conversion_keeps_round_values_round():
    # Dividing by a power of ten, not multiplying by its inverse: the CSV shows 98.5, not 98.49999999999999.
    assert display.COVERAGE.convert(0.985) == 98.5
    assert display.AREA.convert(1_500_000.0) == 1.5
    assert display.CONTAINED.convert(800_000.0) == 800.0
    assert repr(display.ORE.convert(388_828_099.0)) == "388.828099"


def test_unit_labels():
    assert display.unit_label(PERCENT) == "%"
    assert display.unit_label(PPM) == "ppm"
    assert display.unit_label("g/t") == "g/t"
    assert (display.AREA.unit, display.ORE.unit, display.CONTAINED.unit) == ("km²", "Mt", "kt")


def clipboard_line(name: str, ore_tonnes: float, treo_tonnes: float, tree_tonnes: float, **others) -> str:
    """The clipboard's header and row for one result (the figures not given: those of a 2,500 km² area)."""
    from rare_earth_plugin.core.tonnage import TonnageResult

    figures = {
        "polygon_area_m2": 2_500_000_000.0,
        "covered_area_m2": 0.0,
        "ore_area_m2": 0.0,
        "ore_volume_m3": 0.0,
        "mean_grade": 0.1234,
        "data_coverage": 0.5,
        "cutoff": 0.05,
        **others,
    }
    row = TonnageResult(ore_tonnes=ore_tonnes, treo_tonnes=treo_tonnes, tree_tonnes=tree_tonnes, **figures)
    return display.figures_table(name, [row], PERCENT)


def test_clipboard_table_is_tab_separated_without_thousands_separators():
    header, line = clipboard_line("Dos 1", 1_234_000_000.0, 1_522_756.0, 1_268_963.0).splitlines()
    assert header.split("\t")[:3] == ["Area", "Cut-off (%)", "Area (km²)"]
    # 2.5e9 m² = 2,500 km²; 1.234e9 t = 1,234 Mt -> 1,230; 1,522,756 t = 1,522.8 kt -> 1,520 (no "," in a cell)
    assert line.split("\t") == ["Dos 1", "0.050", "2500.00", "1230", "0.123", "1520", "1270", "50.0"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (26_829.66, "26,800"),
        (388.9, "389"),
        (0.6512, "0.651"),
        (999.6, "1,000"),
        (0.09996, "0.100"),
        (0.1255, "0.126"),  # half up as it reads, not as its binary value (just below half) rounds
        (2.675, "2.68"),
        (1.5, "1.50"),
        (-42.26, "-42.3"),
        (123_456_789.0, "123,000,000"),
    ],
)
def test_three_significant_figures(value, text):
    assert display.significant(value, 3) == text


@pytest.mark.parametrize(
    ("tonnes", "ore", "contained"),
    [
        (1.67e-6, "< 0.000001", "< 0.001"),  # a sliver of a cell: not 0.00000000000167 Mt
        (0.49, "< 0.000001", "< 0.001"),
        (0.6, "0.000001", "0.001"),  # a tonne is the finest shown
        (0.5, "0.000001", "0.001"),  # half a tonne rounds up in both (5e-07 is just below half in binary)
        (2.5, "0.000003", "0.003"),
        (125.5, "0.000126", "0.126"),  # three significant figures, rounded half up in both units
        (12.3456, "0.000012", "0.012"),
        (1_234.5, "0.00123", "1.23"),  # three significant figures from here on
        (26_829_660.0, "26.8", "26,800"),
    ],
)
def test_tonnes_that_round_to_no_tonne_read_as_less_than_a_tonne(tonnes, ore, contained):
    assert (display.mt(tonnes), display.kt(tonnes)) == (ore, contained)


def test_clipboard_figures_stay_numbers_however_small():
    """A spreadsheet takes "< 0.000001" for text: the clipboard keeps three significant figures of a sliver."""
    _, line = clipboard_line("sliver", 0.3, 0.00063, 0.000525, polygon_area_m2=1.0).splitlines()
    ore, treo, tree = (float(cell) for cell in (line.split("\t")[i] for i in (3, 5, 6)))
    assert (ore, treo, tree) == (0.3e-6, 0.63e-6, 0.525e-6)


def test_zero_ore_prints_as_zero_not_a_blank_and_alike_in_every_unit():
    assert display.mt(0.0) == "0" and display.kt(0.0) == "0"
    assert display.mt(-0.0) == "0"


@pytest.mark.parametrize(
    ("low", "high", "decimals"),
    [(0.0, 0.237076, 3), (0.0, 2.5, 2), (10.0, 2370.76, 0), (0.0, 0.000123456, 6), (-0.5, 0.1, 3), (0.0, 0.0, 0)],
)
def test_legend_decimals_give_three_significant_figures_at_the_larger_end(low, high, decimals):
    assert display.decimals_for(low, high) == decimals
    largest = max(abs(low), abs(high))
    if 0 < largest < 100:  # above that, whole numbers: decimals cannot go below 0
        assert float(f"{largest:.{decimals}f}") == pytest.approx(
            float(display.significant(largest, 3).replace(",", ""))
        )


def test_legend_decimals_of_a_non_finite_range_are_zero():
    assert display.decimals_for(0.0, math.nan) == 0
    assert display.decimals_for(-math.inf, 1.0) == 0


@pytest.mark.parametrize(
    ("typed", "printed"),
    [
        ("plain text, 2.5 Mt", "plain text, 2.5 Mt"),
        ("\u202eMAusIMM\u202c 2.5 Mt", "MAusIMM 2.5 Mt"),  # an override would print "tM 5.2 MMIsuAM"
        ("\u202a\u202b\u202d\u2066\u2067\u2068x\u2069", "x"),  # every embedding, override and isolate
        ("a\tb\rc\r\nd\ne", "a b c\nd\ne"),
        ("a\x00b\x1bc\x7fd\x85e", "abcde"),
        (
            "\u0639\u0644\u064a \u049a\u0430\u0440\u0430\u0493\u0430\u043d\u0434\u044b",
            "\u0639\u0644\u064a \u049a\u0430\u0440\u0430\u0493\u0430\u043d\u0434\u044b",
        ),
        ("\u200f\u00a0\u2014", "\u200f\u00a0\u2014"),  # a right-to-left mark, a no-break space and a dash stay
    ],
)
def test_plain_text_drops_direction_controls_and_control_characters(typed: str, printed: str) -> None:
    assert display.plain_text(typed) == printed


def test_a_positive_figure_too_small_for_its_decimals_reads_less_than_the_finest_not_zero() -> None:
    """A 100 m² area read "Area km² 0.00" beside its ore: an investor reads a zero area. It reads "< 0.01"
    now (a spreadsheet still gets a number); a zero stays 0.00."""
    assert display.km2(100.0) == "< 0.01" and display.km2(5_000.0) == "0.01" and display.km2(0.0) == "0.00"
    assert display.coverage(0.0004) == "< 0.1" and display.coverage(0.0) == "0.0"
    assert display.grade(0.0004, PERCENT) == "< 0.001" and display.grade(0.4, PPM) == "< 1"
    assert display.AREA.text(1e-4, spreadsheet=True) == "0.00"

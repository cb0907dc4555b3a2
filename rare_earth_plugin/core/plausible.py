"""Values no deposit has: a grade above 100 %, a bulk density above 6 t/m³, a mineralised thickness above
1,000 m. A raster's unit, where it declares none, is taken as the one chosen: a ppm raster read as percent, a
density in kg/m³ or a thickness in millimetres gave figures 100 to 10,000 times too large, with a coverage and
warnings that looked normal. The largest value an area's cells hold (or a constant) is checked, and the warning
names the raster and the unit its values are probably in.
"""

from __future__ import annotations

from .units import PERCENT, PPM

#: The largest grade there can be, per grade unit: all of the rock.
MOST_GRADE = {PERCENT: 100.0, PPM: 1e6}
#: t/m³: the densest ores (massive sulphide, magnetite) are about 5.
MOST_DENSITY = 6.0
#: Metres of mineralisation counted in one column.
MOST_THICKNESS = 1000.0


def grade_warning(peak: float, unit: str, name: str) -> str:
    """A warning when the grade raster ``name`` holds a grade above all of the rock ('' when it does not)."""
    most = MOST_GRADE.get(unit)
    if most is None or not peak > most:
        return ""
    if unit == PERCENT:
        return (
            f"The grade raster {name} holds grades up to {peak:,.6g} %, more than 100 %: is it in ppm (g/t)? "
            "Choose ppm as its unit"
        )
    return f"The grade raster {name} holds grades up to {peak:,.6g} ppm, more than 100 %: check its values and unit"


def factored_grade_warning(peak: float, factor: float, unit: str) -> str:
    """A warning when the grade factor lifts grades that are possible (``grade_warning`` says when they are not)
    above all of the rock ('' when it does not)."""
    most = MOST_GRADE.get(unit)
    if most is None or not peak <= most or not peak * factor > most:
        return ""
    shown = "%" if unit == PERCENT else "ppm"
    return (
        f"The grade factor of {factor:g} lifts grades up to {peak:,.6g} {shown} to {peak * factor:,.6g} {shown}, "
        "more than 100 %: check the grade factor"
    )


def density_warning(peak: float, raster: str | None) -> str:
    """A warning when the density raster ``raster`` (None: the constant density) exceeds any ore's."""
    if not peak > MOST_DENSITY:
        return ""
    if raster is None:
        return (
            f"The density of {peak:,.6g} t/m³ is more than any ore's ({MOST_DENSITY:g} t/m³ at most): is it in "
            "kg/m³? Give it in t/m³"
        )
    return (
        f"The density raster {raster} holds densities up to {peak:,.6g} t/m³, more than any ore's "
        f"({MOST_DENSITY:g} t/m³ at most): is it in kg/m³? Check its values and the unit its band declares "
        "(kg/m3), or divide its values by 1,000"
    )


def density_range_warning(high: float) -> str:
    """A warning when a target's density range reaches above any ore's density."""
    if not high > MOST_DENSITY:
        return ""
    return (
        f"The density range reaches {high:,.6g} t/m³, more than any ore's ({MOST_DENSITY:g} t/m³ at most): is it "
        "in kg/m³? Give it in t/m³"
    )


def thickness_warning(peak: float, raster: str | None) -> str:
    """A warning when the thickness raster ``raster`` (None: the constant thickness) exceeds ``MOST_THICKNESS``."""
    if not peak > MOST_THICKNESS:
        return ""
    if raster is None:
        return f"The thickness of {peak:,.6g} m is more than {MOST_THICKNESS:,.0f} m of ore: give it in metres"
    return (
        f"The thickness raster {raster} holds thicknesses up to {peak:,.6g} m, more than {MOST_THICKNESS:,.0f} m "
        "of ore: is it in centimetres or millimetres? Check its values and the unit its band declares (cm, mm), "
        "or convert its values to metres"
    )

"""What a report needs to state its Exploration Targets: the ranges and the simulation, and the statement
items the reporting codes ask for (exploration planned and its timeframe, the code, the Competent Person)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.display import plain_text
from ..core.exploration_target import DEFAULT_DRAWS, DEFAULT_SEED
from ..core.target_ranges import TargetRanges
from ..core.target_text import REPORTING_CODES, code_in_prose

NOT_STATED = "not stated"


@dataclass(frozen=True)
class TargetOptions:
    ranges: TargetRanges = field(default_factory=TargetRanges)
    draws: int = DEFAULT_DRAWS
    seed: int = DEFAULT_SEED
    exploration_planned: str = ""
    timeframe: str = ""
    reporting_code: str = REPORTING_CODES[0]
    competent_person: str = ""

    def __post_init__(self) -> None:
        """The free texts as they are printed and remembered (``plain_text``): a direction override in a name
        would reverse the words and figures after it on the page."""
        for name in ("exploration_planned", "timeframe", "competent_person"):
            object.__setattr__(self, name, plain_text(getattr(self, name)))

    @property
    def code(self) -> str:
        """The reporting code stated: one of ``REPORTING_CODES`` (an unknown one reads as the first)."""
        return self.reporting_code if self.reporting_code in REPORTING_CODES else REPORTING_CODES[0]

    def statement_lines(self) -> list[str]:
        """The code's statement items, each saying plainly when the user has not given it."""
        code = self.code
        person = self.competent_person.strip()
        return [
            f"Reported as an Exploration Target under {code_in_prose(code)}"
            f"{' (Clause 17)' if code == 'JORC 2012' else ''}; not a Mineral Resource or Ore Reserve.",
            _sentence(f"Exploration planned to test the target: {self.exploration_planned.strip() or NOT_STATED}"),
            _sentence(f"Timeframe: {self.timeframe.strip() or NOT_STATED}"),
            _sentence(f"Competent Person: {person}")
            if person
            else "Competent Person: not named – a Competent Person must review and sign this statement before it "
            "is published.",
        ]


def _sentence(text: str) -> str:
    """``text`` ended with a full stop, unless the user's own words already end one ("… 25 RC holes.")."""
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


def options_from_settings() -> TargetOptions:
    """The user's last choices (ranges a hand edit broke fall back to the defaults)."""
    from ..settings import Settings

    try:
        ranges = TargetRanges.parse(
            Settings.target_density_range.get(),
            Settings.target_thickness_range.get(),
            Settings.target_grade_range.get(),
        )
    except ValueError:
        ranges = TargetRanges()
    draws, seed = Settings.target_draws.get(), Settings.target_seed.get()
    return TargetOptions(
        ranges=ranges,
        draws=draws if draws >= 1 else DEFAULT_DRAWS,
        seed=seed if seed >= 0 else DEFAULT_SEED,
        exploration_planned=Settings.exploration_planned.get(),
        timeframe=Settings.timeframe.get(),
        reporting_code=Settings.reporting_code.get(),
        competent_person=Settings.competent_person.get(),
    )


def options_to_settings(options: TargetOptions) -> None:
    from ..settings import Settings

    default = TargetRanges()
    for setting, value, fallback in (
        (Settings.target_density_range, options.ranges.density, default.density),
        (Settings.target_thickness_range, options.ranges.thickness_factor, default.thickness_factor),
        (Settings.target_grade_range, options.ranges.grade_factor, default.grade_factor),
    ):
        setting.set("" if value == fallback else value.csv())
    Settings.target_draws.set(options.draws)
    Settings.target_seed.set(options.seed)
    Settings.exploration_planned.set(options.exploration_planned)
    Settings.timeframe.set(options.timeframe)
    Settings.reporting_code.set(options.reporting_code)
    Settings.competent_person.set(options.competent_person)

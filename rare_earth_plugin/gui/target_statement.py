"""The result panel's line for the selected area's Exploration Target: the ranges as a statement (P90–P10,
then the low–high case), the P90 convention and the cautionary statement, never a single number."""

from __future__ import annotations

from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import QLabel, QWidget

from ..core.exploration_target import ExplorationTarget
from ..core.target_text import (
    CAUTION,
    case_statement,
    convention_text,
    no_target_reason,
    percentile_statement,
    ranges_lines,
    window_text,
)

#: The convention where the figures are shown (the tooltip gives it whole, with the caution).
SHORT_CONVENTION = "exceeded with 90 % and 10 % probability"


class TargetStatement(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.target: ExplorationTarget | None = None
        self.show_message("")

    def show_message(self, text: str) -> None:
        self.target = None
        self.setText(f"<i>{text}</i>" if text else "")
        self.setToolTip("")

    def show_target(self, target: ExplorationTarget) -> None:
        self.target = target
        headline = (
            f"{percentile_statement(target)} (P90–P10: {SHORT_CONVENTION})"
            if target.p10.ore_tonnes > 0
            else f"none at this cut-off: {no_target_reason(target)}."
        )
        self.setText(
            f"<b>Exploration target:</b> {headline}<br>"
            f"<span style='color:#555'>Low–high case: {case_statement(target)}</span><br>"
            f"<span style='color:#8b0000; font-size:small'>Conceptual in nature; not a Mineral Resource.</span>"
        )
        basis = "\n".join(ranges_lines(target.ranges, target.density_is_factor))
        self.setToolTip(f"{basis}\nDepth window: {window_text(target)}\n{convention_text(target)}\n\n{CAUTION}")

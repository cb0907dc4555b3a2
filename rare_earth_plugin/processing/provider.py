"""The ``rareearth`` Processing provider."""

from __future__ import annotations

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .estimate_tonnage import EstimateTonnageAlgorithm
from .exploration_target import ExplorationTargetAlgorithm
from .export_report import ExportReportAlgorithm
from .grade_tonnage_curve import GradeTonnageCurveAlgorithm
from .tonnage_algorithm import plugin_icon


class RareEarthProvider(QgsProcessingProvider):
    def id(self) -> str:
        return "rareearth"

    def name(self) -> str:
        return "Rare Earth"

    def longName(self) -> str:  # noqa: N802 - QGIS API name
        return "Rare Earth Explorer"

    def icon(self) -> QIcon:
        return plugin_icon()

    def loadAlgorithms(self) -> None:  # noqa: N802 - QGIS API name
        self.addAlgorithm(EstimateTonnageAlgorithm())
        self.addAlgorithm(GradeTonnageCurveAlgorithm())
        self.addAlgorithm(ExportReportAlgorithm())
        self.addAlgorithm(ExplorationTargetAlgorithm())

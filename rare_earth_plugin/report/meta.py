"""The report's who-and-when from the plugin settings (author and organisation persist between sessions)."""

from __future__ import annotations

import datetime

from ..settings import Settings
from .texts import ReportMeta


def meta_from_settings() -> ReportMeta:
    return ReportMeta(date=datetime.date.today().isoformat(), author=Settings.author.get(),
                      organisation=Settings.organisation.get()).filled()

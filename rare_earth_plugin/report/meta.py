"""The report's who-and-when from the plugin settings (title, author, organisation and logo persist between
sessions: the export dialog writes them, ``exportreport`` reads them for parameters left empty)."""

from __future__ import annotations

import datetime

from ..settings import Settings
from .texts import ReportMeta


def meta_from_settings(title: str = "", author: str = "", organisation: str = "", logo: str = "") -> ReportMeta:
    """Today's meta; each given value wins over the remembered one."""
    return ReportMeta(
        title=title or Settings.title.get(),
        date=datetime.date.today().isoformat(),
        author=author or Settings.author.get(),
        organisation=organisation or Settings.organisation.get(),
        logo=logo or Settings.logo.get(),
    ).filled()


def remember(meta: ReportMeta) -> None:
    """Keep what the user typed (not the fallbacks) for the next report."""
    Settings.title.set(meta.title)
    Settings.author.set(meta.author)
    Settings.organisation.set(meta.organisation)
    Settings.logo.set(meta.logo)

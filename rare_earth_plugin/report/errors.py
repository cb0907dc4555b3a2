"""The one error type of the report: a message for the user that names the file, folder or choice at fault."""

from __future__ import annotations


class ReportError(ValueError):
    """The report cannot be written as asked; ``str(error)`` is fit to show the user as is."""

"""Dock, map tool and dialogs."""

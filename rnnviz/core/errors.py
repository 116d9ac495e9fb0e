"""Errors meant for the user: each message says what was wrong and what to do."""

from __future__ import annotations


class RnnvizError(Exception):
    """An error whose message is shown to the user as it is, with no traceback."""


class DataError(RnnvizError):
    """A corpus, file or download could not be used."""


class ConfigError(RnnvizError):
    """A setting is out of range or does not fit the data."""

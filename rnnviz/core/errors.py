"""Errors meant for the user: each message says what was wrong and what to do."""

from __future__ import annotations


class RnnvizError(Exception):
    """An error whose message is shown to the user as it is, with no traceback."""


class DataError(RnnvizError):
    """A corpus, file or download could not be used."""


class ConfigError(RnnvizError):
    """A setting is out of range or does not fit the data."""


class TextTooShort(DataError):
    """A text too short for one window of training and one of validation; its numbers let a caller that has
    no num_steps to offer (an exercise) say what to do in its own words."""

    def __init__(self, message: str, name: str, count: int, unit: str, minimum: int) -> None:
        super().__init__(message)
        self.name, self.count, self.unit, self.minimum = name, count, unit, minimum

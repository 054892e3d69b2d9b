"""A validation failure that knows which key below the validated model is at fault."""

from __future__ import annotations


class LocatedError(ValueError):
    """A validation failure that points below the model being validated.

    Parameters
    ----------
    message
        What is wrong.
    where
        Key path relative to the validated model or field, e.g. ``("segments", 1, "name")``.
    """

    def __init__(self, message: str, where: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.where = where

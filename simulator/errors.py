"""Typed errors raised by the library; the command line maps them to exit codes."""

from __future__ import annotations


class OverdueError(Exception):
    """Base class of every error overdue raises on purpose."""


class InputError(OverdueError):
    """Bad input from the user: a scenario, an argument, a path. Exit code 2.

    Parameters
    ----------
    message
        What is wrong, in words a user can act on.
    path
        Where in the scenario (dotted key path such as ``book.segments[1].share``), if known.
    line
        The 1-based line in the YAML file, if known.
    source
        The file the problem is in, if any.
    """

    def __init__(
        self,
        message: str,
        path: str | None = None,
        line: int | None = None,
        source: str | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.line = line
        self.source = source
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.source:
            where.append(str(self.source) + (f":{self.line}" if self.line else ""))
        elif self.line:
            where.append(f"line {self.line}")
        if self.path:
            where.append(self.path)
        prefix = ": ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class ExistingOutputError(InputError):
    """The output folder exists and ``--force`` was not given."""

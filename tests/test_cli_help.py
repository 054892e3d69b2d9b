"""Every command's --help reads well in an 80-column terminal: no line wider than the terminal,
every option named in full, nothing cut short with an ellipsis, and prose wrapped to fill its
lines (no line broken where the docstring's source line happened to end)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer.main
from rich.cells import cell_len

from simulator.cli import app

WIDTH = 80
CLI = typer.main.get_command(app)


def _commands(group: Any, path: tuple[str, ...] = ()):
    yield path, group
    for name, sub in getattr(group, "commands", {}).items():
        yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(CLI))


def _help(path: tuple[str, ...], capsys, monkeypatch) -> str:
    """The help as a terminal of WIDTH columns gets it (the test runner's own width aside)."""
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    capsys.readouterr()
    assert CLI.main([*path, "--help"], prog_name="overdue", standalone_mode=False) == 0
    return capsys.readouterr().out


def _variadic_marks(command: Any) -> list[str]:
    """click's own notation for arguments taking several values (``FILES...``), and for
    a group's subcommand (``[ARGS]...``): not truncation."""
    marks = ["[ARGS]..."]
    for param in command.params:
        if param.param_type_name == "argument" and param.nargs != 1:
            name = param.metavar or param.name
            marks += [f"{{{name}}}...", f"{name}...", name]
    return marks


def _prose_paragraphs(text: str) -> list[list[str]]:
    """The description's paragraphs, as printed: the blocks between the usage line and the
    first section heading (``Options:``, ``Arguments:``, ``Commands:``)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Usage:")) + 1
    end = next(i for i, line in enumerate(lines) if re.match(r"^[A-Z]\w*:$", line))
    paragraphs, current = [], []
    for line in [*lines[start:end], ""]:
        if line.strip():
            current.append(line)
        elif current:
            paragraphs.append(current)
            current = []
    return paragraphs


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(p) or "overdue"
                                                         for p, _ in COMMANDS])
def test_help_fits_80_columns_and_names_every_option_in_full(path, command, capsys,
                                                             monkeypatch):
    text = _help(path, capsys, monkeypatch)
    too_wide = [line for line in text.splitlines() if cell_len(line) > WIDTH]
    assert not too_wide, "\n".join(too_wide)
    for param in command.params:
        for name in (*param.opts, *param.secondary_opts):
            if name.startswith("-"):
                assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text), name
    rest = text
    for mark in _variadic_marks(command):
        rest = rest.replace(mark, "")
    assert "…" not in rest and "..." not in rest, text


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(p) or "overdue"
                                                         for p, _ in COMMANDS])
def test_help_prose_fills_its_lines(path, command, capsys, monkeypatch):
    text = _help(path, capsys, monkeypatch)
    for paragraph in _prose_paragraphs(text):
        for line, following in zip(paragraph, paragraph[1:], strict=False):
            next_word = following.split()[0]
            # A line ends early only when the next word would not have fitted on it (click
            # wraps two columns short of the terminal's width).
            fits = cell_len(line) + 1 + cell_len(next_word) <= WIDTH - 2
            assert line.endswith("-") or not fits, (
                f"line broken early:\n{line}\n{following}")

"""`overdue schema`: every column of every results table, with type, unit and meaning."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from simulator.cli.app import app
from simulator.results.registry import json_reference, markdown_reference


class SchemaFormat(StrEnum):
    markdown = "markdown"
    json = "json"


@app.command()
def schema(
    format: Annotated[  # noqa: A002 - the option's public name
        SchemaFormat,
        typer.Option("--format", "-f", help="Output format.", case_sensitive=False),
    ] = SchemaFormat.markdown,
) -> None:
    """Print the results schema.

    Each table's columns, with type, unit and meaning.
    """
    text = markdown_reference() if format is SchemaFormat.markdown else json_reference()
    typer.echo(text)

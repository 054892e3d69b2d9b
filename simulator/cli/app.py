"""The typer application object every command module registers on."""

import typer

app = typer.Typer(
    name="overdue",
    help=(
        "Monte Carlo stress testing for portfolios of small unsecured consumer cash loans "
        "(Jiebei-style): daily accrual, penalty (罚息) and compound (复利) interest, "
        "delinquency buckets, charge-off and recovery."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click help: it rewraps docstrings to the terminal and never cuts an option's name
    # short, where typer's rich panels keep the source's line breaks and, in 80 columns,
    # truncate long options ("--penalty-multip…").
    rich_markup_mode=None,
)

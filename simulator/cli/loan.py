"""`overdue loan`: one drawdown's day-by-day ledger, to see why a borrower owes what they owe.

The command only parses and validates arguments, steps :class:`~simulator.contract.ledger.Ledger`
and formats what it returns; every money rule lives in :mod:`simulator.contract`.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer

from simulator.cli.app import app
from simulator.contract.ledger import PAYMENT_WORDS, Ledger, Payment
from simulator.contract.money import to_micro
from simulator.contract.schedule import METHODS
from simulator.contract.statement import render_csv, render_table, state_dict
from simulator.contract.terms import ALLOCATIONS, Terms
from simulator.errors import InputError
from simulator.scenario import bounds as B

FORMATS = ("table", "csv", "json")
MAX_DAYS = 36_500


# --------------------------------------------------------------------------- parsing
def _positive_int_or_off(text: str, option: str) -> int | None:
    text = text.strip().lower()
    if text == "off":
        return None
    try:
        value = int(text)
    except ValueError:
        raise InputError(
            f"{option} must be a whole number of days or 'off', got {text!r}"
        ) from None
    if not 1 <= value <= B.DPD_MAX:
        raise InputError(f"{option} must be 1 to {B.DPD_MAX} days (or 'off'), got {text[:30]}")
    return value


def _period(text: str) -> int | str:
    text = text.strip().lower()
    if text == "calendar":
        return "calendar"
    try:
        value = int(text)
    except ValueError:
        raise InputError(
            f"--period-days must be a whole number of days or 'calendar', got {text!r}"
        ) from None
    if not B.PERIOD_DAYS_MIN <= value <= B.PERIOD_DAYS_MAX:
        raise InputError(f"--period-days must be {B.PERIOD_DAYS_MIN} to {B.PERIOD_DAYS_MAX} days "
                         f"(or 'calendar'), got {text[:30]}")
    return value


def _yuan(value: float, option: str, *, positive: bool = False) -> int:
    if not math.isfinite(value):
        raise InputError(f"{option} must be a finite amount of yuan, got {value}")
    if value < 0 or (positive and value == 0) or value > B.YUAN_MAX:
        kind = "above 0" if positive else "0 or more"
        raise InputError(f"{option} must be {kind} and at most {B.YUAN_MAX:g} yuan, "
                         f"got {value:g}")
    return to_micro(repr(value))


def _in_range(value: float, option: str, low: float, high: float, *,
              low_open: bool = False) -> None:
    ok = math.isfinite(value) and (low < value if low_open else low <= value) and value <= high
    if not ok:
        above = f"above {low:g}" if low_open else f"at least {low:g}"
        raise InputError(f"{option} must be {above} and at most {high:g}, got {value:g}")


def parse_pay(items: list[str], days: int) -> dict[int, Payment]:
    """``DAY:AMOUNT`` options to the ledger's payment map; AMOUNT is yuan, due, past_due or all."""
    payments: dict[int, Payment] = {}
    for item in items:
        day_text, sep, amount_text = item.partition(":")
        if not sep:
            raise InputError(
                f"--pay must look like DAY:AMOUNT (e.g. 60:500 or 60:all), got {item!r}"
            )
        try:
            day = int(day_text.strip())
        except ValueError:
            raise InputError(f"--pay {item!r}: the day must be a whole number") from None
        if not 1 <= day <= days:
            raise InputError(f"--pay {item!r}: the day must be between 1 and --days ({days})")
        if day in payments:
            raise InputError(f"--pay: day {day} is given twice; give one payment per day")
        amount_text = amount_text.strip()
        if amount_text in PAYMENT_WORDS:
            payments[day] = amount_text
            continue
        try:
            amount = Decimal(amount_text)
        except InvalidOperation:
            raise InputError(
                f"--pay {item!r}: the amount must be yuan, 'due', 'past_due' or 'all'"
            ) from None
        if not amount.is_finite() or amount < 0 or amount > Decimal(B.YUAN_MAX):
            raise InputError(f"--pay {item[:60]!r}: the amount must be 0 to {B.YUAN_MAX:g} yuan")
        payments[day] = to_micro(amount)
    return payments


def build_terms(
    *,
    principal: float,
    daily_rate: float,
    term: int,
    method: str,
    period_days: str,
    disbursed_on: str,
    penalty_multiplier: float,
    compound: bool,
    late_fee: float,
    grace_days: int,
    grace_retroactive: bool,
    acceleration_dpd: str,
    charge_off_dpd: str,
    allocation: str,
    apr_cap: float,
) -> Terms:
    """Validate the options and build the contract, mapping every problem to InputError."""
    principal_micro = _yuan(principal, "--principal", positive=True)
    _in_range(daily_rate, "--daily-rate", 0.0, B.DAILY_RATE_MAX, low_open=True)
    if not B.TERM_MONTHS_MIN <= term <= B.TERM_MONTHS_MAX:
        raise InputError(f"--term must be {B.TERM_MONTHS_MIN} to {B.TERM_MONTHS_MAX} "
                         f"instalments, got {str(term)[:30]}")
    if method not in METHODS:
        raise InputError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    if allocation not in ALLOCATIONS:
        raise InputError(
            f"--allocation must be one of {', '.join(ALLOCATIONS)}, got {allocation!r}"
        )
    try:
        disbursed = _dt.date.fromisoformat(disbursed_on)
    except ValueError:
        raise InputError(
            f"--disbursed-on must be a date YYYY-MM-DD that exists, got {disbursed_on[:40]!r}"
        ) from None
    if not B.AS_OF_MIN <= disbursed <= B.AS_OF_MAX:
        raise InputError(f"--disbursed-on must be from {B.AS_OF_MIN} to {B.AS_OF_MAX}, got "
                         f"{disbursed}")
    _in_range(penalty_multiplier, "--penalty-multiplier", B.PENALTY_MULTIPLIER_MIN,
              B.PENALTY_MULTIPLIER_MAX)
    _in_range(apr_cap, "--apr-cap", 0.0, B.APR_CAP_MAX)
    if not 0 <= grace_days <= B.GRACE_DAYS_MAX:
        raise InputError(
            f"--grace-days must be 0 to {B.GRACE_DAYS_MAX}, got {str(grace_days)[:30]}")
    try:
        return Terms(
            principal=principal_micro,
            daily_rate=daily_rate,
            term=term,
            method=method,
            period=_period(period_days),
            disbursed_on=disbursed,
            penalty_multiplier=penalty_multiplier,
            compound_interest=compound,
            late_fee=_yuan(late_fee, "--late-fee"),
            grace_days=grace_days,
            grace_retroactive=grace_retroactive,
            acceleration_dpd=_positive_int_or_off(acceleration_dpd, "--acceleration-dpd"),
            charge_off_dpd=_positive_int_or_off(charge_off_dpd, "--charge-off-dpd"),
            allocation=allocation,
            apr_cap=apr_cap,
        )
    except ValueError as exc:
        raise InputError(f"bad loan terms: {exc}") from None


def default_days(ledger: Ledger) -> int:
    """The last due day plus 30 (term x period + 30 with fixed periods)."""
    return ledger.due_day(ledger.terms.term) + 30


# --------------------------------------------------------------------------- command
@app.command("loan")
def loan(
    principal: Annotated[float, typer.Option(help="Amount drawn, in yuan.")],
    daily_rate: Annotated[float, typer.Option(help="Daily interest rate r.")] = 0.0004,
    term: Annotated[int, typer.Option(help="Number of instalments.")] = 12,
    method: Annotated[
        str, typer.Option(help="equal_installment | interest_first | equal_principal.")
    ] = "equal_installment",
    period_days: Annotated[
        str, typer.Option(help="Schedule period in days, or 'calendar' for calendar months.")
    ] = "30",
    disbursed_on: Annotated[
        str, typer.Option(help="Disbursement date YYYY-MM-DD (calendar periods, dates).")
    ] = "2026-01-01",
    penalty_multiplier: Annotated[float, typer.Option(help="Penalty rate = r x this.")] = 1.5,
    compound: Annotated[
        bool,
        typer.Option("--compound/--no-compound", help="Compound interest on overdue interest."),
    ] = True,
    late_fee: Annotated[float, typer.Option(help="Fee per missed instalment, yuan.")] = 0.0,
    grace_days: Annotated[int, typer.Option(help="Days after a due day without penalty.")] = 0,
    grace_retroactive: Annotated[
        bool,
        typer.Option(
            "--grace-retroactive/--no-grace-retroactive",
            help="Charge penalty back to the due date once the grace is exceeded.",
        ),
    ] = True,
    acceleration_dpd: Annotated[
        str, typer.Option(help="DPD at which all principal falls due, or 'off'.")
    ] = "90",
    charge_off_dpd: Annotated[str, typer.Option(help="DPD of charge-off, or 'off'.")] = "180",
    allocation: Annotated[
        str, typer.Option(help="default | statute | principal_first.")
    ] = "default",
    apr_cap: Annotated[float, typer.Option(help="All-in APR a court enforces.")] = 0.24,
    pay: Annotated[
        list[str] | None,
        typer.Option(
            help="DAY:AMOUNT, repeatable; AMOUNT is yuan, 'due', 'past_due' or 'all'.",
        ),
    ] = None,
    days: Annotated[
        int | None, typer.Option(help="Days to run [default: term x period + 30].")
    ] = None,
    format: Annotated[str, typer.Option("--format", help="table | csv | json.")] = "table",
) -> None:
    """Print one drawdown's ledger, day by day.

    Why a borrower owes what they owe, under the terms and payments given as options.
    """
    if format not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}, got {format!r}")
    terms = build_terms(
        principal=principal, daily_rate=daily_rate, term=term, method=method,
        period_days=period_days, disbursed_on=disbursed_on,
        penalty_multiplier=penalty_multiplier, compound=compound, late_fee=late_fee,
        grace_days=grace_days, grace_retroactive=grace_retroactive,
        acceleration_dpd=acceleration_dpd, charge_off_dpd=charge_off_dpd,
        allocation=allocation, apr_cap=apr_cap,
    )
    ledger = Ledger(terms)
    n = default_days(ledger) if days is None else days
    if not 1 <= n <= MAX_DAYS:
        raise InputError(f"--days must be between 1 and {MAX_DAYS}, got {str(n)[:30]}")
    payments = parse_pay(pay or [], n)
    history = [ledger.step(payments.get(t, 0)) for t in range(1, n + 1)]
    if format == "csv":
        text = render_csv(history)
    elif format == "json":
        text = json.dumps(state_dict(history[-1], ledger), indent=2, ensure_ascii=False) + "\n"
    else:
        text = render_table(history, ledger)
    typer.echo(text, nl=False)

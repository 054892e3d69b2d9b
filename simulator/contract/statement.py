"""A drawdown's statement: the ledger's days rendered as a table, CSV or JSON, in exact yuan.

What ``overdue loan`` prints; every money rule stays in :mod:`simulator.contract.ledger`.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as _dt
import io

from simulator.contract.ledger import Day, Ledger
from simulator.contract.money import MICRO, fmt_yuan, to_yuan

# Day fields that are counts or labels, not money.
NOT_MONEY = frozenset({"day", "dpd", "bucket", "category", "status", "events"})


def yuan6(micro: int) -> str:
    """Exact yuan with 6 decimals from micro-yuan (no float on the way)."""
    sign = "-" if micro < 0 else ""
    whole, frac = divmod(abs(micro), MICRO)
    return f"{sign}{whole}.{frac:06d}"


def render_csv(days: list[Day]) -> str:
    names = [f.name for f in dataclasses.fields(Day)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for d in days:
        row = []
        for name in names:
            value = getattr(d, name)
            if name == "events":
                row.append(";".join(value))
            elif name in NOT_MONEY:
                row.append(value)
            else:
                row.append(yuan6(value))
        writer.writerow(row)
    return out.getvalue()


def _date_of(ledger: Ledger, day: int) -> str:
    return (ledger.terms.disbursed_on + _dt.timedelta(days=day)).isoformat()


def terms_dict(ledger: Ledger) -> dict:
    t = ledger.terms
    return {
        "principal": to_yuan(t.principal),
        "daily_rate": t.daily_rate,
        "apr_360": t.daily_rate * 360,
        "apr_365": t.daily_rate * 365,
        "term": t.term,
        "method": t.method,
        "period": t.period,
        "disbursed_on": t.disbursed_on.isoformat(),
        "due_days": [ledger.due_day(k) for k in range(1, t.term + 1)],
        "instalment": to_yuan(ledger.instalment),
        "penalty_multiplier": t.penalty_multiplier,
        "compound_interest": t.compound_interest,
        "late_fee": to_yuan(t.late_fee),
        "grace_days": t.grace_days,
        "grace_retroactive": t.grace_retroactive,
        "acceleration_dpd": t.acceleration_dpd,
        "charge_off_dpd": t.charge_off_dpd,
        "allocation": t.allocation,
        "apr_cap": t.apr_cap,
        "non_accrual_dpd": t.non_accrual_dpd,
    }


def state_dict(day: Day, ledger: Ledger) -> dict:
    """The end-of-day state as JSON-ready values (yuan as numbers at micro-yuan precision)."""
    state: dict = {}
    for f in dataclasses.fields(Day):
        value = getattr(day, f.name)
        if f.name == "events":
            state[f.name] = list(value)
        elif f.name in NOT_MONEY:
            state[f.name] = value
        else:
            state[f.name] = to_yuan(value)
    state["date"] = _date_of(ledger, day.day)
    # Unpaid fallen-due instalments; after charge-off they are off the books but still the claim.
    state["instalments"] = [
        {
            "due_day": s.due,
            "due_date": _date_of(ledger, s.due),
            "accelerated": s.accelerated,
            "principal": to_yuan(s.principal),
            "interest": to_yuan(s.interest),
            "penalty": to_yuan(s.penalty),
            "compound": to_yuan(s.compound),
            "fee": to_yuan(s.fee),
            "held_penalty": to_yuan(s.held_penalty),
            "held_compound": to_yuan(s.held_compound),
            "owed": to_yuan(s.owed()),
        }
        for s in ledger.instalments
        if not ledger.closed
    ]
    state["terms"] = terms_dict(ledger)
    return state


def _events(days: list[Day]) -> list[tuple[Day, str]]:
    """Days on which something happens, with what happened in words."""
    rows = []
    prev_dpd = 0
    for d in days:
        words = list(d.events)
        if d.dpd > 0 and prev_dpd == 0 and d.status == "delinquent":
            words.append("overdue")
        prev_dpd = d.dpd
        if words:
            rows.append((d, ", ".join(words)))
    return rows


def _align(rows: list[list[str]], left: int = 1) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for r in rows:
        cells = [
            c.ljust(w) if i >= len(r) - left else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def _breakdown(ledger: Ledger, last: Day) -> tuple[int, int, int, int, int]:
    """Principal, interest, penalty, compound and fees owed (the frozen claim once charged off)."""
    if not ledger.charged_off:
        return (
            last.normal_principal + last.overdue_principal,
            last.accrued_interest + last.overdue_interest,
            last.penalty,
            last.compound,
            last.fees,
        )
    ins = ledger.instalments
    return (
        ledger.normal_principal + sum(s.principal for s in ins),
        ledger.accrued_interest + sum(s.interest for s in ins),
        sum(s.penalty for s in ins),
        sum(s.compound for s in ins),
        sum(s.fee for s in ins),
    )


def render_table(days: list[Day], ledger: Ledger) -> str:
    y = fmt_yuan
    header = [
        "day", "DPD", "bucket", "normal princ", "overdue princ", "overdue int",
        "penalty", "compound", "paid", "total owed", "what happened",
    ]
    rows = [header]
    for d, words in _events(days):
        rows.append([
            str(d.day), str(d.dpd), d.bucket, y(d.normal_principal), y(d.overdue_principal),
            y(d.overdue_interest), y(d.penalty), y(d.compound), y(d.payment),
            y(d.contractual_claim), words,
        ])
    last = days[-1]
    t = ledger.terms
    lines = [
        f"loan {y(t.principal)} yuan at {t.daily_rate:g}/day, {t.term} x "
        f"{t.period}{'' if t.period == 'calendar' else '-day'} {t.method}, "
        f"instalment {y(ledger.instalment)}, allocation {t.allocation}",
        "",
    ]
    lines += _align(rows) if len(rows) > 1 else ["(nothing happens)"]
    block = [
        ["normal principal", y(last.normal_principal)],
        ["accrued interest (current period)", y(last.accrued_interest)],
        ["overdue principal", y(last.overdue_principal)],
        ["overdue interest", y(last.overdue_interest)],
        ["penalty", y(last.penalty)],
        ["compound", y(last.compound)],
        ["fees", y(last.fees)],
        ["paid principal", y(last.paid_principal)],
        ["  of which prepaid", y(last.prepaid_principal)],
        ["paid interest", y(last.paid_interest)],
        ["paid penalty", y(last.paid_penalty)],
        ["paid compound", y(last.paid_compound)],
        ["paid fees", y(last.paid_fees)],
        ["paid total", y(last.paid_total)],
        ["charged-off principal", y(last.charged_off_principal)],
        ["recovered", y(last.recovered)],
        ["contractual claim", y(last.contractual_claim)],
        [f"enforceable claim ({t.apr_cap:g} APR cap)", y(last.enforceable_claim)],
    ]
    lines += ["", f"at the end of day {last.day} ({_date_of(ledger, last.day)}): "
              f"status {last.status}, DPD {last.dpd}, bucket {last.bucket}, "
              f"class {last.category}"]
    lines += ["  " + line for line in _align([[k + ":", v] for k, v in block], left=0)]
    p, i, pen, com, fee = _breakdown(ledger, last)
    explain = (
        f"principal {y(p)} + interest {y(i)} + penalty {y(pen)} + compound {y(com)} "
        f"+ fees {y(fee)}"
    )
    if last.recovered:
        explain += f" - recovered {y(last.recovered)}"
    lines.append(f"owes {y(last.contractual_claim)} = {explain}")
    return "\n".join(lines) + "\n"

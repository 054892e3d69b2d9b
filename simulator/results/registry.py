"""The output schema as code: every column of every results table, declared once.

Each :class:`Column` carries its name, Arrow type, unit and meaning. From these tuples the module
builds the Parquet schema (with field metadata), validates tables before they are written, and
generates the schema reference (``docs/schema.md`` and ``overdue schema``).

Money columns are float64 yuan: the engine computes money exactly in int64 micro-yuan and converts
once, at the end. Counts are int64.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pyarrow as pa

from simulator.contract.buckets import BUCKETS, nominal_range

SCHEMA_VERSION = "3"

QUANTILE_STATS = ("mean", "p01", "p05", "p50", "p95", "p99", "p999")
"""The statistics of the ``quantiles`` table, in the order they are written."""

QUANTILE_LEVELS = {"p01": 0.01, "p05": 0.05, "p50": 0.50, "p95": 0.95, "p99": 0.99, "p999": 0.999}

QUANTILE_METRICS = (
    "dpd30_ratio",
    "dpd90_ratio",
    "npl_no_disposal_ratio",
    "cum_net_loss_rate",
    "outstanding_principal",
)
"""Book-wide metrics of the ``quantiles`` table, in the order they are written."""


@dataclass(frozen=True)
class Column:
    """One column of a results table.

    Parameters
    ----------
    name
        Column name in the Parquet file.
    type
        Arrow data type.
    unit
        Unit of the values (``yuan``, ``count``, ``ratio``, ``day``, ...).
    meaning
        One sentence a risk analyst can read.
    """

    name: str
    type: pa.DataType
    unit: str
    meaning: str


# The buckets' 30-day ranges as the column meanings (and so the Parquet metadata) spell them;
# how far M6 reaches depends on the scenario's charge-off (simulator.contract.buckets).
_BUCKET_DPD = {
    b: "current, 0 DPD" if k == 0 else f"{nominal_range(k).lo}-{nominal_range(k).hi} DPD"
    for k, b in enumerate(BUCKETS)
}


# The quarterly IFRS 9 stage transfers (simulator.kernels.layout TRANSFER_*), in the kernel's
# order: from the stage at the quarter's start (or new in the quarter) to the stage at its end.
STAGE_FROM = ("new", "stage1", "stage2", "stage3")
STAGE_TO = ("stage1", "stage2", "stage3", "charged_off", "repaid")
_FROM_MEANING = {"new": "disbursed in the quarter", "stage1": "in Stage 1 at the quarter's start",
                 "stage2": "in Stage 2 at the quarter's start",
                 "stage3": "in Stage 3 at the quarter's start"}
_TO_MEANING = {"stage1": "in Stage 1 at its end", "stage2": "in Stage 2 at its end",
               "stage3": "in Stage 3 at its end", "charged_off": "charged off in it",
               "repaid": "repaid or closed in it"}


def transfer_columns(kind: str) -> tuple[str, ...]:
    """The transfer columns of ``kind`` (``n`` or ``principal``), from-major, in kernel order."""
    return tuple(f"{kind}_{f}_to_{t}" for f in STAGE_FROM for t in STAGE_TO)


def _money(name: str, meaning: str) -> Column:
    return Column(name, pa.float64(), "yuan", meaning)


def _count(name: str, meaning: str) -> Column:
    return Column(name, pa.int64(), "count", meaning)


TIMESERIES: tuple[Column, ...] = (
    Column("path", pa.int32(), "index", "Monte Carlo path, 0-based."),
    Column(
        "day",
        pa.int32(),
        "day",
        "Day of the horizon: 0 is the state at the start, 1..horizon the state after that "
        "day's events.",
    ),
    Column("segment", pa.string(), "label", "Borrower segment name from the scenario."),
    *(
        _count(f"n_{b}", f"Drawdowns on book in bucket {b} ({_BUCKET_DPD[b]}) at end of day.")
        for b in BUCKETS
    ),
    _count("n_CO", "Drawdowns charged off, cumulative."),
    _count("n_closed", "Drawdowns fully repaid or prepaid, cumulative."),
    *(
        _money(
            f"principal_{b}",
            f"Outstanding principal in bucket {b} ({_BUCKET_DPD[b]}) at end of day.",
        )
        for b in BUCKETS
    ),
    _money("cum_paid_principal", "Principal repaid on schedule or late, cumulative from day 1."),
    _money("cum_prepaid_principal", "Principal prepaid ahead of schedule, cumulative from day 1."),
    _money("cum_charged_off_principal", "Principal charged off, cumulative from day 1."),
    _money(
        "cum_recoveries", "Recoveries received on charged-off drawdowns, cumulative from day 1."
    ),
    _money("interest_accrued", "Contract interest accrued that day (recognised as income)."),
    _money("penalty_accrued", "Penalty interest (罚息) accrued that day (recognised as income)."),
    _money("compound_accrued", "Compound interest (复利) accrued that day (recognised as income)."),
    _money("fees_charged", "Fees charged that day."),
    _money("interest_paid", "Contract interest paid that day."),
    _money("penalty_paid", "Penalty interest paid that day."),
    _money("compound_paid", "Compound interest paid that day."),
    _money("fees_paid", "Fees paid that day."),
    _money("principal_paid", "Principal paid that day, including prepayments."),
    _money(
        "nonaccrual_charges",
        "Penalty, compound and contract interest accrued that day on drawdowns at 90+ DPD, "
        "not recognised as income.",
    ),
    _count(
        "borrowers_dpd30",
        "Borrowers whose maximum DPD over their drawdowns is >= 31 at end of day.",
    ),
    _count(
        "borrowers_dpd90",
        "Borrowers whose maximum DPD over their drawdowns is >= 91 at end of day.",
    ),
    _count("borrowers", "Borrowers of the book, applicants included (from day 0)."),
    _count(
        "borrowers_unemployed",
        "Borrowers of the book unemployed that month (the employment chain, MODEL.md 6).",
    ),
    _count("n_missed", "Due payments missed that day by current drawdowns: their borrower "
           "decided to miss the month's dues, or was in arrears on another drawdown."),
    _count("n_cured", "Delinquent drawdowns that paid everything past due that day."),
    _count("n_prepaid", "Current drawdowns repaid in full early that day."),
    _money(
        "disbursed_principal",
        "Principal of new drawdowns that day (redraws and approved applicants); not in day 0.",
    ),
    _count("n_new", "New drawdowns that day (redraws and approved applicants)."),
    _money(
        "capitalised",
        "Interest and charges turned into principal by restructuring that day.",
    ),
    _money("waived", "Penalty, compound and fees waived by restructuring that day."),
    _count("n_restructurings", "Drawdowns restructured that day."),
    _count("n_restructured", "Restructured drawdowns on book at end of day."),
    _money("principal_restructured", "Outstanding principal of restructured drawdowns on book."),
    _count("n_litigated", "Charged-off drawdowns sent to litigation that day."),
    _money(
        "legal_recoveries",
        "Recoveries from litigation received that day (in cum_recoveries too).",
    ),
    _money("legal_cost", "Cost of litigation started that day."),
    _count("n_roll30", "Drawdowns reaching 31 DPD that day (rolling from M1 into M2)."),
    _count("n_roll90", "Drawdowns reaching 91 DPD that day (rolling from M3 into M4)."),
    _money("principal_due", "Principal of the instalments falling due that day (a balance "
           "brought forward by acceleration is no instalment)."),
    _money("principal_due_unpaid", "Of principal_due, unpaid at the end of that day (day-1 "
           "delinquent; rescheduled by a restructuring that day counts as unpaid)."),
    _money("principal_collected_30", "Of principal_due_unpaid, paid within 30 days of that "
           "due day, counted on the due day (complete once the due day is 30 days past)."),
    *(
        _count(f"n_{f}_to_{t}", f"On a quarter end (days 90, 180, ...): drawdowns "
               f"{_FROM_MEANING[f]} and {_TO_MEANING[t]} (Stage 1: 0-30 DPD, Stage 2: 31-90 "
               "DPD or restructured, Stage 3: 91+ DPD); 0 on other days.")
        for f in STAGE_FROM for t in STAGE_TO
    ),
    *(
        _money(f"principal_{f}_to_{t}", f"Their principal at the quarter's start (when new: "
               f"disbursed), for drawdowns {_FROM_MEANING[f]} and {_TO_MEANING[t]}.")
        for f in STAGE_FROM for t in STAGE_TO
    ),
    _money(
        "collection_cost",
        "Cost of the collection channels that day: delinquent drawdowns by bucket x the "
        "channels' cost per account-day.",
    ),
)

PATHS: tuple[Column, ...] = (
    Column("path", pa.int32(), "index", "Monte Carlo path, 0-based."),
    _money("initial_principal", "Outstanding principal on day 0, all segments."),
    _money(
        "net_loss",
        "Principal charged off minus recoveries received within the horizon.",
    ),
    Column("net_loss_rate", pa.float64(), "ratio", "net_loss / initial_principal."),
    Column(
        "loss_rate_avg_balance",
        pa.float64(),
        "ratio",
        "net_loss / average outstanding principal over days 0..horizon (the Federal Reserve's "
        "ratio, over the whole horizon; not annualised).",
    ),
    Column(
        "nine_quarter_loss_rate",
        pa.float64(),
        "ratio",
        "The Federal Reserve's nine-quarter loss rate on average balance: principal charged off "
        "minus recoveries over days 1..810 / average outstanding principal over days 0..810 "
        "(nine quarters of 90 days, the shocks' 30-day months); over days 0..horizon when the "
        "horizon is shorter, and then equal to loss_rate_avg_balance.",
    ),
    Column(
        "peak_dpd30_ratio",
        pa.float64(),
        "ratio",
        "Highest over days 1..horizon of principal in M2..M6 (DPD >= 31) / principal in M0..M6.",
    ),
    Column(
        "peak_dpd90_ratio",
        pa.float64(),
        "ratio",
        "Highest over days 1..horizon of principal in M4..M6 (DPD >= 91, non-performing) / "
        "principal in M0..M6.",
    ),
    Column(
        "end_dpd30_ratio",
        pa.float64(),
        "ratio",
        "Principal in M2..M6 / principal in M0..M6 on the last day (charged-off excluded).",
    ),
    Column(
        "end_dpd90_ratio",
        pa.float64(),
        "ratio",
        "Principal in M4..M6 / principal in M0..M6 on the last day (charged-off excluded).",
    ),
    Column(
        "end_npl_no_disposal_ratio",
        pa.float64(),
        "ratio",
        "NPL ratio without disposal on the last day: (principal in M4..M6 + principal charged "
        "off since day 0) / (principal in M0..M6 + principal charged off since day 0); "
        "recoveries not netted.",
    ),
    _money("penalty_income", "Penalty interest accrued and recognised over the horizon."),
    _money("compound_income", "Compound interest accrued and recognised over the horizon."),
    _money("interest_income", "Contract interest accrued and recognised over the horizon."),
    _money("recoveries", "Recoveries received within the horizon."),
    _money("charged_off_principal", "Principal charged off within the horizon."),
    _money("disbursed_principal", "Principal of new drawdowns within the horizon."),
    _money("collection_cost", "Cost of the collection channels over the horizon."),
    _money("legal_cost", "Cost of litigation started within the horizon."),
)

QUANTILES: tuple[Column, ...] = (
    Column("day", pa.int32(), "day", "Day of the horizon (0..horizon)."),
    Column(
        "metric",
        pa.string(),
        "label",
        "dpd30_ratio, dpd90_ratio, npl_no_disposal_ratio (90+ and charged-off principal over "
        "on-book and charged-off principal), cum_net_loss_rate (ratios) or "
        "outstanding_principal (yuan), book-wide; the same suffixed ':<segment>' for one "
        "segment.",
    ),
    Column(
        "stat",
        pa.string(),
        "label",
        "Statistic across paths: mean, p01, p05, p50, p95, p99 or p999 (linear interpolation).",
    ),
    Column("value", pa.float64(), "metric's unit", "The statistic's value."),
)

VINTAGES: tuple[Column, ...] = (
    Column("path", pa.int32(), "index", "Monte Carlo path, 0-based."),
    Column("vintage", pa.int32(), "month",
           "Origination month: v >= 1 for drawdowns disbursed on days 30(v-1)+1..30v (redraws "
           "and approved applicants); 0 for the book on day 0 (seasoned, burn-in and day-0 "
           "drawdowns together). A restructured drawdown keeps its vintage."),
    Column("month", pa.int32(), "month",
           "Month of the horizon the row ends (days 30(m-1)+1..30m; 0: day 0); every month "
           "from the vintage's own on."),
    Column("months_on_book", pa.int32(), "months", "month - vintage."),
    _money("disbursed_principal", "The vintage's principal disbursed (vintage 0: its "
           "principal on book on day 0); the base of the rates."),
    _money("cum_dpd30_principal", "Principal outstanding when each drawdown of the vintage "
           "first reached 31 DPD (30+, M2), cumulative to the month's end; vintage 0 counts "
           "at month 0 the day-0 principal of its drawdowns that had reached it before."),
    _money("cum_dpd90_principal", "The same on first reaching 91 DPD (90+, M4)."),
    _money("cum_charged_off_principal", "The vintage's principal charged off, cumulative."),
    _money("cum_recoveries", "Recoveries received on the vintage's charge-offs, cumulative."),
    _money("cum_fpd_principal", "Principal outstanding when a drawdown reached 31 DPD on the "
           "first instalment of its original schedule (first-payment default), cumulative."),
    Column("dpd30_rate", pa.float64(), "ratio",
           "cum_dpd30_principal / disbursed_principal (NaN where nothing was disbursed)."),
    Column("dpd90_rate", pa.float64(), "ratio", "cum_dpd90_principal / disbursed_principal."),
    Column("charge_off_rate", pa.float64(), "ratio",
           "cum_charged_off_principal / disbursed_principal."),
    Column("net_loss_rate", pa.float64(), "ratio",
           "(cum_charged_off_principal - cum_recoveries) / disbursed_principal."),
    Column("fpd_rate", pa.float64(), "ratio", "cum_fpd_principal / disbursed_principal."),
)

TABLES: dict[str, tuple[Column, ...]] = {
    "timeseries": TIMESERIES,
    "paths": PATHS,
    "quantiles": QUANTILES,
    "vintages": VINTAGES,
}
"""Every results table, in the order they are written and documented."""

_TABLE_MEANING = {
    "timeseries": "One row per (path, day, segment): the book's state and that day's flows.",
    "paths": "One row per path: losses, delinquency ratios and income over the horizon.",
    "quantiles": "Long format, one row per (day, metric, stat): statistics across paths.",
    "vintages": "One row per (path, vintage, month): each origination month's cumulative "
    "30+, 90+, charged-off principal, recoveries and first-payment defaults, and their shares "
    "of its disbursed principal (vintage curves).",
}


def columns(table_name: str) -> tuple[Column, ...]:
    """Return the declared columns of ``table_name``; raise ``KeyError`` for an unknown table."""
    try:
        return TABLES[table_name]
    except KeyError:
        known = ", ".join(TABLES)
        raise KeyError(f"unknown results table {table_name!r}; known: {known}") from None


def arrow_schema(table_name: str) -> pa.Schema:
    """Build the Arrow schema of ``table_name`` with unit and meaning as field metadata.

    The schema metadata carries ``overdue.table`` and ``overdue.schema_version``.
    """
    fields = [
        pa.field(
            c.name,
            c.type,
            nullable=False,
            metadata={"unit": c.unit, "meaning": c.meaning},
        )
        for c in columns(table_name)
    ]
    return pa.schema(
        fields,
        metadata={"overdue.table": table_name, "overdue.schema_version": SCHEMA_VERSION},
    )


def _type_ok(declared: pa.DataType, actual: pa.DataType) -> bool:
    if actual == declared:
        return True
    if pa.types.is_string(declared) and pa.types.is_dictionary(actual):
        return pa.types.is_string(actual.value_type)
    return False


def validate_table(table_name: str, table: pa.Table) -> None:
    """Check that ``table`` matches the registry exactly.

    Column names and their order, Arrow types (a ``dictionary<string>`` column is accepted where
    ``string`` is declared) and the absence of nulls are checked.

    Raises
    ------
    ValueError
        Naming the table and the first offending column.
    """
    declared = columns(table_name)
    names = table.schema.names
    want = [c.name for c in declared]
    if names != want:
        missing = [n for n in want if n not in names]
        extra = [n for n in names if n not in want]
        if missing:
            detail = f"missing column {missing[0]!r}"
        elif extra:
            detail = f"unexpected column {extra[0]!r}"
        else:
            pos = next(i for i, (a, b) in enumerate(zip(names, want, strict=True)) if a != b)
            detail = f"column {want[pos]!r} expected at position {pos}, found {names[pos]!r}"
        raise ValueError(f"table {table_name!r}: {detail}")
    for col in declared:
        actual = table.schema.field(col.name).type
        if not _type_ok(col.type, actual):
            raise ValueError(
                f"table {table_name!r}: column {col.name!r} has type {actual}, expected {col.type}"
            )
        nulls = table.column(col.name).null_count
        if nulls:
            raise ValueError(f"table {table_name!r}: column {col.name!r} has {nulls} null values")


def conform(table_name: str, table: pa.Table) -> pa.Table:
    """Validate ``table`` and return it with the registry schema (metadata, plain strings).

    Dictionary-encoded string columns are decoded so the written file has exactly the declared
    types.
    """
    validate_table(table_name, table)
    schema = arrow_schema(table_name)
    arrays = []
    for field in schema:
        col = table.column(field.name)
        if col.type != field.type:
            col = col.cast(field.type)
        arrays.append(col)
    return pa.Table.from_arrays(arrays, schema=schema)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_reference() -> str:
    """Return the schema reference as Markdown: one section per table, one row per column."""
    lines = [
        "# Results schema",
        "",
        "<!-- Generated from simulator/results/registry.py by `overdue schema`; do not edit. -->",
        "",
        f"Schema version {SCHEMA_VERSION}. Money is in yuan (float64), computed exactly in int64 "
        "micro-yuan inside the engine and converted once. Every column is non-null. Each Parquet "
        "file carries the unit and meaning of each column as field metadata.",
        "",
    ]
    for name, cols in TABLES.items():
        lines += [
            f"## `{name}.parquet`",
            "",
            _TABLE_MEANING[name],
            "",
            "| Column | Type | Unit | Meaning |",
            "| --- | --- | --- | --- |",
        ]
        for c in cols:
            lines.append(f"| `{c.name}` | {c.type} | {c.unit} | {_md_escape(c.meaning)} |")
        lines.append("")
    return "\n".join(lines)


def json_reference() -> str:
    """Return the schema reference as JSON: ``{"schema_version", "tables": {name: [columns]}}``."""
    doc = {
        "schema_version": SCHEMA_VERSION,
        "tables": {
            name: [
                {"name": c.name, "type": str(c.type), "unit": c.unit, "meaning": c.meaning}
                for c in cols
            ]
            for name, cols in TABLES.items()
        },
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)

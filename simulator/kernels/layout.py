"""Index constants shared by the kernel and the engine: aggregate metrics and state fields.

The kernel adds into ``agg[path, day, segment, metric]`` (int64; money in micro-yuan). *State*
metrics are written as changes on the day they happen and turned into levels by a cumulative
sum over days in the engine (so a drawdown that does not change costs nothing to report);
*flow* metrics are that day's amounts.
"""

from __future__ import annotations

# ---- calendar and buckets ------------------------------------------------------------------
DAYS_PER_MONTH = 30  # simulation month of day d: d // DAYS_PER_MONTH (as the scenario's)
DAYS_PER_YEAR = 365  # the APR cap's day count
N_BUCKETS = 7  # M0 (current) .. M6 (151+ DPD)
BUCKET_DAYS = 30  # M1 is DPD 1-30, M2 31-60, ..., M5 121-150, M6 151 and over
LAST_BUCKET = N_BUCKETS - 1
PAST_30_DPD = 31  # the first DPD counted as "30+" (the roll from M1 to M2)
PAST_90_DPD = 91  # the first DPD counted as "90+" (the roll from M3 to M4)

# ---- aggregate metrics ----------------------------------------------------------------------
# Bucket codes: the buckets 0..N_BUCKETS-1, then charged off and closed.
CODE_CHARGED_OFF = N_BUCKETS
CODE_CLOSED = N_BUCKETS + 1
N_CODES = N_BUCKETS + 2
N_BY_CODE = 0  # n_M0..n_M6, n_CO, n_closed: metric N_BY_CODE + code
PRINCIPAL_BY_BUCKET = N_BY_CODE + N_CODES  # principal_M0..principal_M6 at 9..15
PRINCIPAL_PAID = 16
PREPAID = 17
CHARGED_OFF = 18
RECOVERIES = 19
INTEREST_ACCRUED = 20
PENALTY_ACCRUED = 21
COMPOUND_ACCRUED = 22
FEES_CHARGED = 23
INTEREST_PAID = 24
PENALTY_PAID = 25
COMPOUND_PAID = 26
FEES_PAID = 27
NONACCRUAL = 28
BORROWERS_DPD30 = 29
BORROWERS_DPD90 = 30
N_MISSED = 31
N_CURED = 32
N_PREPAYMENTS = 33
DISBURSED = 34  # principal of drawdowns originated that day (redraws and new borrowers)
N_NEW = 35
CAPITALISED = 36  # interest and charges turned into principal by restructuring
WAIVED = 37  # penalty, compound and fees waived by restructuring
N_RESTRUCTURINGS = 38
N_RESTRUCTURED = 39  # state: restructured drawdowns on book
P_RESTRUCTURED = 40  # state: their principal
N_LITIGATED = 41
LEGAL_RECOVERIES = 42  # part of RECOVERIES
LEGAL_COST = 43
N_ROLL30 = 44  # drawdowns reaching PAST_30_DPD that day (rolling from M1 to M2)
N_ROLL90 = 45  # drawdowns reaching PAST_90_DPD that day (rolling from M3 to M4)
# Runs of quiet days: a constant daily amount recorded as two changes (at the run's first
# day and the day after it), folded into its flow metric by the engine: two writes per run,
# not one per day.
INTEREST_RUN = 46
PENALTY_RUN = 47
COMPOUND_RUN = 48
NONACCRUAL_RUN = 49
BORROWERS = 50  # state: the book's borrowers (applicants included, from day 0)
BORROWERS_UNEMPLOYED = 51  # state: those of them unemployed (changes on month starts)
# Early warning (day-1 delinquency and 30-day collection, as listed lenders report them), all
# by the instalment's due day, from day 1; acceleration's balance is no instalment.
PRINCIPAL_DUE = 52  # principal of the instalments falling due that day
PRINCIPAL_DUE_UNPAID = 53  # of it, unpaid at the end of that day (restructured counts unpaid)
# of that, paid 1..COLLECTION_WINDOW_DAYS days after the due day: written into the due day's
# cell when the payment comes (aggregates are sums, so a past day's cell takes it as well)
PRINCIPAL_COLLECTED_30 = 54
# IFRS 9 stage transfers, counted on each quarter end (days QUARTER_DAYS, 2 x QUARTER_DAYS, ...)
# for every drawdown on book at the quarter's start (day 0 for the first) or disbursed in it:
# from its stage then (STAGE_NEW: disbursed in the quarter) to its stage at the quarter end, or
# to charged off / repaid (a redraw's predecessor is repaid), with its principal at the
# quarter's start (a new drawdown's: disbursed). Metric TRANSFER_N + from x N_STAGE_TO + to.
TRANSFER_N = 55
TRANSFER_PRINCIPAL = 75
N_METRICS = 95
QUARTER_DAYS = 90
STAGE_NEW, STAGE_1, STAGE_2, STAGE_3 = 0, 1, 2, 3  # from: new, or the stage at the start
N_STAGE_FROM = 4
TO_STAGE_1, TO_STAGE_2, TO_STAGE_3, TO_CHARGED_OFF, TO_REPAID = 0, 1, 2, 3, 4  # to
N_STAGE_TO = 5
COLLECTION_WINDOW_DAYS = 30
RUN_FLOWS = ((INTEREST_RUN, INTEREST_ACCRUED), (PENALTY_RUN, PENALTY_ACCRUED),
             (COMPOUND_RUN, COMPOUND_ACCRUED), (NONACCRUAL_RUN, NONACCRUAL))

STATE_METRICS = tuple(range(N_BY_CODE, PRINCIPAL_BY_BUCKET + N_BUCKETS)) + (
    BORROWERS_DPD30, BORROWERS_DPD90, N_RESTRUCTURED, P_RESTRUCTURED, BORROWERS,
    BORROWERS_UNEMPLOYED)

# ---- vintages ----------------------------------------------------------------------------------
# ``vintage[path, vintage, month, V_*]`` (int64 micro-yuan), book-wide: vintage 0 is the book on
# day 0 (seasoned, burn-in and day-0 drawdowns), vintage v >= 1 the drawdowns disbursed in month
# v (days 30(v-1)+1 .. 30v); ``month`` is the month of the event the same way (0: day 0), so
# months on book are month - vintage. The block is carried flat in the aggregate's columns from
# N_METRICS on (``vintage_columns`` of them; none: not recorded), so that it is merged, saved
# and resumed with the aggregate, path by path; those columns mean nothing per day or segment.
V_DISBURSED = 0  # principal disbursed (vintage 0: principal on book on day 0)
V_DPD30 = 1  # principal outstanding when a drawdown first reaches PAST_30_DPD (vintage 0,
# month 0: the day-0 principal of those that had reached it before)
V_DPD90 = 2  # the same at PAST_90_DPD
V_CHARGED_OFF = 3  # principal charged off
V_RECOVERIES = 4  # recoveries received on its charge-offs
V_FPD = 5  # principal outstanding when a drawdown reaches PAST_30_DPD on its first instalment
N_VINTAGE_METRICS = 6
VF_DPD30, VF_DPD90 = 1, 2


def vintage_months(horizon: int) -> int:
    """Months of the vintage block, day 0's included: 0 .. ceil(horizon / 30)."""
    return (horizon + DAYS_PER_MONTH - 1) // DAYS_PER_MONTH + 1


def vintage_columns(horizon: int, n_segments: int) -> int:
    """Aggregate columns after N_METRICS that carry the vintage block of a run."""
    cells = vintage_months(horizon) ** 2 * N_VINTAGE_METRICS
    per_column = (horizon + 1) * n_segments
    return -(-cells // per_column)


# ---- per-drawdown state (int64 scratch, one row per drawdown of the borrower in hand) -------
S_NORMAL_PRINCIPAL = 0  # principal not yet due
S_ACCRUED_INTEREST = 1  # interest accrued in the current broken period
S_NEXT_INSTALMENT = 2  # next instalment to fall due (1-based)
S_DPD = 3
S_ACCELERATED = 4  # 1 once accelerated
S_STATUS = 5  # ACTIVE, CLOSED or CHARGED_OFF_STATUS
S_N_SLOTS = 6  # number of due, unpaid instalments (slots, below)
S_REPORTED_CODE = 7  # bucket code last reported (-1 none)
S_REPORTED_PRINCIPAL = 8  # principal last reported
S_PAID_PRINCIPAL = 9
S_PAID_INTEREST = 10
S_PAID_PENALTY = 11
S_PAID_COMPOUND = 12
S_PAID_FEES = 13
S_PREPAID_PRINCIPAL = 14
S_CHARGED_OFF_PRINCIPAL = 15
S_ORIGIN = 16  # sim day of disbursement (loan day = sim day - origin)
S_GENERATION = 17  # 0: the book's drawdown; n: its n-th redraw
S_TERM = 18  # instalments of the current schedule
S_INSTALMENT = 19  # fixed instalment of the current schedule
S_RESTRUCTURED = 20  # 1 once restructured
S_PRINCIPAL_DAYS = 21  # principal x days, for the enforceable claim under the APR cap
S_REPORTED_RESTRUCTURED = 22  # restructured principal last reported (-1 none)
S_NEXT_STEP = 23  # the next day the drawdown needs a full step
S_UNACCRUED_FROM = 24  # the first day not yet accrued (quiet days are settled lazily)
S_LEVEL_PAYMENT = 25  # the schedule's level monthly payment, the debt service in the DSR
S_TODAY_TERMS = 26  # 1: drawn under today's policy (a redraw from day 1): its redraw rate
S_VINTAGE = 27  # its vintage (below), kept through a restructuring
S_VINTAGE_FLAGS = 28  # VF_* bits: thresholds it has reached (each counted once in its life)
S_QUARTER_STAGE = 29  # STAGE_*: its stage at the last quarter end (STAGE_NEW: disbursed since)
S_QUARTER_PRINCIPAL = 30  # its principal then (disbursed, when new)
N_STATE = 31

ACTIVE, CLOSED, CHARGED_OFF_STATUS = 0, 1, 2

# ---- due, unpaid instalments ("slots"), oldest first ---------------------------------------
D_DUE_DAY = 0  # loan day the instalment fell due
D_PRINCIPAL = 1
D_INTEREST = 2
D_PENALTY = 3
D_COMPOUND = 4
D_FEES = 5
D_HELD_PENALTY = 6  # penalty held within the grace days
D_HELD_COMPOUND = 7
D_ACCELERATED = 8  # 1: the balance brought forward by acceleration
N_SLOT_FIELDS = 9

# ---- a payment's flows: by slot field (D_PRINCIPAL .. D_FEES), and the prepaid principal ----
F_PREPAID = N_SLOT_FIELDS  # principal paid before it fell due (also counted in D_PRINCIPAL)
N_FLOWS = F_PREPAID + 1

# ---- scratch of the borrower in hand: its drawdowns' draw keys, the path's daily chances --
# keys[j, K_*]: one per draw stream. The miss and cure keys are the borrower's (every drawdown
# of a borrower holds the same), prepayment and restructuring each drawdown's own.
K_CURE, K_MISS, K_PREPAY, K_RESTRUCTURE = 0, 1, 2, 3
N_KEYS = 4
K_UNEMPLOYMENT = 4  # among the path's stream keys only: the borrower's employment chain
# The borrower's state at the start of the day (``Scratch.borrower``), from its drawdowns at
# the end of the last day stepped: what its decisions read, so every drawdown stepped on a day
# sees the same borrower whatever their order.
B_LEVEL_PAYMENTS = 0  # level payments of its drawdowns on book, micro-yuan
B_YOUNGEST_ORIGIN = 1  # origin of its youngest drawdown on book (its months on book)
B_OLDEST_DUE = 2  # sim day its oldest unpaid instalment fell due (NO_ARREARS: none)
B_RESTRUCTURED = 3  # 1: a restructured drawdown on book
B_DECIDED_MONTH = 4  # the month of its last due-date decision, and that decision
B_MISSES_MONTH = 5
N_BORROWER = 6
NO_ARREARS = 1 << 40
H_CURE, H_PARTIAL = 0, 1  # hazard[month, bucket, H_*]: daily chance of a cure, of a part payment
N_HAZARDS = 2

# ---- forced payment plans (tests and `overdue check ledger`) -------------------------------
PLAN_NONE, PLAN_AMOUNT, PLAN_DUE, PLAN_PAST_DUE, PLAN_ALL = 0, 1, 2, 3, 4

# ---- per-drawdown end state (tests and `overdue check ledger`) -----------------------------
END_FIELDS = (
    "normal_principal", "accrued_interest", "overdue_principal", "overdue_interest", "penalty",
    "compound", "fees", "dpd", "status", "paid_principal", "paid_interest", "paid_penalty",
    "paid_compound", "paid_fees", "prepaid_principal", "charged_off_principal",
)
# Their columns, in END_FIELDS order (unpacking fails at import if the two drift apart).
(END_NORMAL_PRINCIPAL, END_ACCRUED_INTEREST, END_OVERDUE_PRINCIPAL, END_OVERDUE_INTEREST,
 END_PENALTY, END_COMPOUND, END_FEES, END_DPD, END_STATUS, END_PAID_PRINCIPAL,
 END_PAID_INTEREST, END_PAID_PENALTY, END_PAID_COMPOUND, END_PAID_FEES, END_PREPAID_PRINCIPAL,
 END_CHARGED_OFF_PRINCIPAL) = range(len(END_FIELDS))
N_END_FIELDS = len(END_FIELDS)
END_BALANCES = END_FEES + 1  # columns [0, END_BALANCES) are balances, zero once charged off

"""Index constants shared by the kernel and the engine: aggregate metrics and state fields.

The kernel adds into ``agg[path, day, segment, metric]`` (int64; money in micro-yuan). *State*
metrics are written as changes on the day they happen and turned into levels by a cumulative
sum over days in the engine (so a drawdown that does not change costs nothing to report);
*flow* metrics are that day's amounts.
"""

from __future__ import annotations

# ---- aggregate metrics ----------------------------------------------------------------------
N_BUCKET = 0  # n_M0..n_M6 at 0..6; n_CO at 7; n_closed at 8 (bucket codes 7 and 8)
CODE_CO = 7
CODE_CLOSED = 8
P_BUCKET = 9  # principal_M0..principal_M6 at 9..15
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
N_ROLL30 = 44  # drawdowns reaching 31 DPD that day (rolling from M1 to M2)
N_ROLL90 = 45  # drawdowns reaching 91 DPD that day (rolling from M3 to M4)
# Runs of quiet days: a constant daily amount recorded as two changes (at the run's first
# day and the day after it), folded into its flow metric by the engine: two writes per run,
# not one per day.
INTEREST_RUN = 46
PENALTY_RUN = 47
COMPOUND_RUN = 48
NONACCRUAL_RUN = 49
N_METRICS = 50
RUN_FLOWS = ((INTEREST_RUN, INTEREST_ACCRUED), (PENALTY_RUN, PENALTY_ACCRUED),
             (COMPOUND_RUN, COMPOUND_ACCRUED), (NONACCRUAL_RUN, NONACCRUAL))

STATE_METRICS = tuple(range(0, 16)) + (BORROWERS_DPD30, BORROWERS_DPD90, N_RESTRUCTURED,
                                       P_RESTRUCTURED)

# ---- per-drawdown state (int64 scratch, one row per drawdown of the borrower in hand) -------
S_NP = 0  # normal (not yet due) principal
S_ACC = 1  # interest accrued in the current broken period
S_NEXTK = 2  # next instalment to fall due (1-based)
S_DPD = 3
S_ACCEL = 4  # 1 once accelerated
S_STATUS = 5  # 0 on book, 1 closed, 2 charged off
S_NSLOT = 6  # number of due, unpaid instalments
S_REP_CODE = 7  # bucket code last reported (-1 none)
S_REP_PRIN = 8  # principal last reported
S_PAID_P = 9
S_PAID_I = 10
S_PAID_PEN = 11
S_PAID_COM = 12
S_PAID_FEE = 13
S_PREPAID = 14
S_CO_P = 15
S_ORIGIN = 16  # sim day of disbursement (loan day = sim day - origin)
S_GEN = 17  # 0: the book's drawdown; n: its n-th redraw
S_TERM = 18  # instalments of the current schedule
S_INST = 19  # fixed instalment of the current schedule
S_RESTR = 20  # 1 once restructured
S_PDAYS = 21  # principal-days, for the enforceable claim under the APR cap
S_REP_RESTR = 22  # restructured principal last reported (-1 none)
S_NEXT = 23  # the next day the drawdown needs a full step
S_CLOCK = 24  # the first day not yet accrued (quiet days are settled lazily)
N_STATE = 25

ACTIVE, CLOSED, CHARGED_OFF_STATUS = 0, 1, 2

# ---- due, unpaid instalments ("slots"), oldest first ---------------------------------------
D_DUE = 0
D_PRIN = 1
D_INT = 2
D_PEN = 3
D_COM = 4
D_FEE = 5
D_HPEN = 6  # penalty held within the grace days
D_HCOM = 7
D_ACCEL = 8
N_SLOT_FIELDS = 9

# ---- forced payment plans (tests and `overdue check ledger`) -------------------------------
PLAN_NONE, PLAN_AMOUNT, PLAN_DUE, PLAN_PAST_DUE, PLAN_ALL = 0, 1, 2, 3, 4

# ---- per-drawdown end state (tests and `overdue check ledger`) -----------------------------
END_FIELDS = (
    "normal_principal", "accrued_interest", "overdue_principal", "overdue_interest", "penalty",
    "compound", "fees", "dpd", "status", "paid_principal", "paid_interest", "paid_penalty",
    "paid_compound", "paid_fees", "prepaid_principal", "charged_off_principal",
)

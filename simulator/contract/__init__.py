"""Contract mechanics: money, schedules, terms, and the reference day-by-day ledger."""

from simulator.contract.ledger import BUCKETS, Day, Ledger, run_ledger
from simulator.contract.money import MICRO, to_micro, to_yuan
from simulator.contract.terms import Terms

__all__ = ["BUCKETS", "MICRO", "Day", "Ledger", "Terms", "run_ledger", "to_micro", "to_yuan"]

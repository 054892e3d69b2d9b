"""`overdue loan`: one loan's daily ledger (placeholder until the ledger lands)."""

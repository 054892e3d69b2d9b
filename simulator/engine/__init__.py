"""Execution: scenario to kernel inputs, (path block x borrower chunk) tasks, local or Dask
execution, and the deterministic merge of integer aggregates."""

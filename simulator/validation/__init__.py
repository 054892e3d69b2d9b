"""Model validation on the real kernel: what `overdue check` runs."""

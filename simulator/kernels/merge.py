"""Adding a task's int64 aggregate into the run's total in one pass, noting any sum that
wrapped past int64 (the engine refuses the run then: simulator.engine.tasks.add_exact)."""

from __future__ import annotations

from simulator.kernels.jit import jit


@jit
def add_wrapping(total, part):
    """``total += part`` elementwise (flat, same length); the number of sums that wrapped: a
    wrapped sum has the opposite sign of both addends."""
    wrapped = 0
    for i in range(total.shape[0]):
        a = total[i]
        b = part[i]
        s = a + b
        if ((a ^ s) & (b ^ s)) < 0:
            wrapped += 1
        total[i] = s
    return wrapped

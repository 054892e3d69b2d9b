"""The shipped baseline made quick, for tests of anything but the burn-in.

The baseline burns in 36 months before day 0 (``book.burn_in_months``): a tenth of a run's cost
is its horizon. Tests of the engine, the files and the report take instead a typed day-0
arrears mix (the segments' ``initial_buckets``, the pre-burn-in baseline's: 30+ 1.5%, 90+ 1.0%
of drawdowns) and charge-off at 180 DPD, so arrears, charge-offs and recoveries all happen
inside a short horizon.
"""

MIX = "{M0: 0.973, M1: 0.012, M2: 0.003, M3: 0.002, M4: 0.004, M5: 0.003, M6: 0.003}"
QUICK = ["book.burn_in_months=0", "contract.charge_off_dpd=180",
         *[f"book.segments[{i}].initial_buckets={MIX}" for i in range(3)]]
QUICK_ARGS = [arg for item in QUICK for arg in ("--set", item)]  # the same, for the CLI

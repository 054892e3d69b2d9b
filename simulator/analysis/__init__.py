"""What a run says: the path x day grid, derived figures, risk measures, comparison."""

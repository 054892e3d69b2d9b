"""Studies over many runs: calibration to targets and reverse stress tests."""

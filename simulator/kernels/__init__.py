"""Numba kernels only: counter-based random numbers and the day-by-day portfolio simulation."""

"""overdue: Monte Carlo stress testing for Jiebei-style consumer cash-loan portfolios."""

__version__ = "0.1.0"

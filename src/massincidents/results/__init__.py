"""The one result object every model returns, and tables of several results."""

from massincidents.results.result import TIDY_COLUMNS, Result

__all__ = ["TIDY_COLUMNS", "Result"]

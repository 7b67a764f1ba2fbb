"""The gateway's database: one schema for SQLite and PostgreSQL, managed tokens, usage records."""

from .database import Store, TokenExists, open_store
from .records import BUDGET_PERIODS, BudgetPeriod, ModelLimit, TokenRecord, UsageRecord
from .schema import LATEST, MIGRATIONS

__all__ = [
    "BUDGET_PERIODS",
    "LATEST",
    "MIGRATIONS",
    "BudgetPeriod",
    "ModelLimit",
    "Store",
    "TokenExists",
    "TokenRecord",
    "UsageRecord",
    "open_store",
]

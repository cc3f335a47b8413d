"""The seeder's small helpers for drawing values and dates."""

from __future__ import annotations

import calendar
import random
from datetime import date
from decimal import Decimal


def pick(rng: random.Random, weights: dict):
    """One key of `weights`, drawn with the values as relative weights."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), clamped to the end of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def cents(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)

"""Cron schedules as Kubernetes CronJobs read them: parsed once, so the stack spec can reject a bad one with
its key path, and the cost model can count how often a batch job runs.

Five fields (minute, hour, day of month, month, day of week), each ``*``, a number, a range ``a-b``, a list
``a,b`` or a step ``*/n`` / ``a-b/n``; month and weekday names (``jan``, ``mon``) and the macros ``@hourly``,
``@daily``, ``@weekly``, ``@monthly``, ``@yearly`` as the CronJob controller accepts them. When both day of
month and day of week are restricted a day matches either, as in cron.

Example::

    Cron.parse("0 2 * * 1-5").runs_per_month()   # 21.7: weekdays at 02:00
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_DAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
# (name, lowest, highest, names)
_FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),  # 7 is Sunday too
)


class CronError(ValueError):
    """An expression the CronJob controller would refuse; the message says which field and why."""


def _number(text: str, names: dict[str, int], field: str) -> int:
    value = names.get(text.lower())
    if value is not None:
        return value
    if not text.isdigit():
        raise CronError(f"{field}: {text!r} is not a number{' or a name' if names else ''}")
    return int(text)


def _field(text: str, field: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"{field}: step {step_text!r} must be a positive number")
            step = int(step_text)
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, b = base.split("-", 1)
            first, last = _number(a, names, field), _number(b, names, field)
        else:
            first = _number(base, names, field)
            last = high if step_text else first
        if not (low <= first <= high and low <= last <= high) or first > last:
            raise CronError(f"{field}: {part!r} is outside {low}-{high}")
        values.update(range(first, last + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    days_restricted: bool
    weekdays_restricted: bool

    @classmethod
    def parse(cls, expression: str) -> Cron:
        """The schedule of a CronJob's ``schedule`` string; raises :class:`CronError` naming the bad field."""
        text = _MACROS.get(expression.strip().lower(), expression.strip())
        parts = text.split()
        if len(parts) != 5:
            raise CronError(f"needs 5 fields (minute hour day-of-month month day-of-week), got {len(parts)}")
        sets = [_field(p, *spec) for p, spec in zip(parts, _FIELDS, strict=True)]
        weekdays = frozenset(d % 7 for d in sets[4])
        return cls(sets[0], sets[1], sets[2], sets[3], weekdays, parts[2] != "*", parts[4] != "*")

    def _day_matches(self, year: int, month: int, day: int) -> bool:
        weekday = (calendar.weekday(year, month, day) + 1) % 7  # cron counts from Sunday
        in_days, in_weekdays = day in self.days, weekday in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return in_days or in_weekdays
        return in_days and in_weekdays

    def runs_per_month(self, year: int = 2026) -> float:
        """Average runs per month over a year (a year with 365 days, so February has 28)."""
        days = sum(
            1
            for month in self.months
            for day in range(1, calendar.monthrange(year, month)[1] + 1)
            if self._day_matches(year, month, day)
        )
        return days * len(self.hours) * len(self.minutes) / 12

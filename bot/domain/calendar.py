"""The school calendar SEM's rounds follow: zone A school holidays (Saint-Étienne is in
the académie de Lyon) from ``vacances-scolaires-france``, French public holidays from
``holidays``. Both are data shipped with the packages: no network, nothing at run time.

Art. 3: « les interventions ... seront réalisées pendant les vacances scolaires » where
possible; a round falls on a working day (Monday to Friday, not a public holiday).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Protocol

import holidays
from vacances_scolaires_france import SchoolHolidayDates, UnsupportedYearException

ZONE = "A"  # académie de Lyon, hence the Loire and Saint-Étienne


class SchoolCalendar(Protocol):
    def is_school_holiday(self, day: date) -> bool: ...

    def is_public_holiday(self, day: date) -> bool: ...


class ZoneACalendar:
    """Zone A school holidays and French public holidays, as the packages know them.

    A year the holiday data does not cover yet counts as having no school holidays: the
    round proposal then falls back to the first working day (collections.propose_round_day).
    """

    def __init__(self, zone: str = ZONE) -> None:
        self.zone = zone
        self._dates = SchoolHolidayDates()
        self._public: holidays.HolidayBase = holidays.country_holidays("FR")

    @lru_cache(maxsize=4096)  # noqa: B019 - one calendar per process, a few hundred days
    def is_school_holiday(self, day: date) -> bool:
        try:
            return bool(self._dates.is_holiday_for_zone(day, self.zone))
        except UnsupportedYearException:
            return False

    def is_public_holiday(self, day: date) -> bool:
        return day in self._public

"""Quiet hours: no reminder reaches a person at night (pure, time injected).

A reminder due between ``start`` (20:00) and ``end`` (08:00), Paris time, is moved to a
daytime slot next to that night (decision 0023):

* an **escalation** to staff (it reports a deadline already missed) waits for the morning,
  ``end`` (08:00);
* a **reminder** goes at the last of the night's two daytime slots that is still before
  its deadline: the next morning (08:00) when the deadline is later than that, else the
  evening before (``start`` less ``EVENING_MARGIN``: 19:30), so that the person is told
  before the deadline;
* when the deadline itself is in that night and the evening is already past at planning
  time (nothing earlier is left), the reminder goes at 08:00.

Both bounds are wall-clock times in the zone (DST changes move nothing: 08:00 stays 08:00
on the clock); ``start == end`` means no quiet hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.dates import PARIS, local_to_utc, to_utc

# ------------------------------------------------------------------ readings (one place)
QUIET_START = time(20, 0)
QUIET_END = time(8, 0)
# The evening slot is this much before the night starts: a sweep runs every minute and
# paces its sends, so a reminder placed at 19:30 has left well before 20:00.
EVENING_MARGIN = timedelta(minutes=30)
# -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: time = QUIET_START
    end: time = QUIET_END
    tz: ZoneInfo = PARIS

    @property
    def enabled(self) -> bool:
        return self.start != self.end

    def is_quiet(self, instant: datetime) -> bool:
        """Whether ``instant`` falls in the quiet hours (``start`` included, ``end`` not)."""
        if not self.enabled:
            return False
        local = to_utc(instant, "instant").astimezone(self.tz).time().replace(tzinfo=None)
        if self.start < self.end:  # a night that does not cross midnight (00:00–06:00)
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def morning_after(self, instant: datetime) -> datetime:
        """The first ``end`` (08:00 on the clock) strictly after ``instant``."""
        local = to_utc(instant, "instant").astimezone(self.tz)
        candidate = local_to_utc(local.date(), self.end, self.tz)
        if candidate <= instant:
            candidate = local_to_utc(local.date() + timedelta(days=1), self.end, self.tz)
        return candidate

    def evening_before(self, instant: datetime) -> datetime:
        """The evening slot of the night ``instant`` is in: the last ``start`` not after
        ``instant``, less ``EVENING_MARGIN``."""
        local = to_utc(instant, "instant").astimezone(self.tz)
        night = local_to_utc(local.date(), self.start, self.tz)
        if night > instant:
            night = local_to_utc(local.date() - timedelta(days=1), self.start, self.tz)
        return night - EVENING_MARGIN

    def place(
        self,
        due_at: datetime,
        *,
        deadline: datetime | None = None,
        escalation: bool = False,
        now: datetime | None = None,
    ) -> datetime:
        """When a reminder due at ``due_at`` should go, quiet hours respected.

        ``deadline`` is the instant the reminded thing is due (``None``: no deadline, the
        morning is always fine); ``now`` is the planning instant (an evening slot already
        past is not used).
        """
        due = to_utc(due_at, "due_at")
        if not self.is_quiet(due):
            return due
        morning = self.morning_after(due)
        if escalation or deadline is None or morning < to_utc(deadline, "deadline"):
            return morning
        evening = self.evening_before(due)
        if now is None or evening >= to_utc(now, "now"):
            return evening
        return morning


NO_QUIET_HOURS = QuietHours(QUIET_START, QUIET_START)

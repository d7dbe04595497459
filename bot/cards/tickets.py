"""Tickets of every kind as words: the staff's queue and search, a dossier's staff part,
a person's list of tickets, a ticket's thread and a message relayed on it — the same texts
on every front end (Telegram's /file, /recherche, /dossier, /mes_dossiers and the relay,
Discord's). Buttons are each front end's own; the texts are here, in one place."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.cards.claims import ClaimCard
from bot.domain.bodies import body_variant
from bot.domain.dates import local_date
from bot.domain.deadlines import last_day
from bot.i18n import I18n, Safe
from bot.services import relay
from bot.services import tickets as service
from bot.services.delivery import Actions, actions
from bot.services.kinds import TicketKind

THREAD_SHOWN = 20  # the latest messages of a thread shown when a ticket is opened


class TicketsCard:
    def __init__(self, i18n: I18n, lang: str, tz: ZoneInfo) -> None:
        self.i18n = i18n
        self.lang = lang
        self.tz = tz

    def t(self, key: str, /, **params: object) -> str:
        return self.i18n.t(self.lang, key, **params)

    # --- words shared by the lists ----------------------------------------------------------

    def state(self, kind: str, state: str, body_kind: str | None = None) -> str:
        """A state's words; « démarches de l'organisme gestionnaire » on an OGEC's ticket."""
        key = f"{kind}.state.{state}"
        worded = body_variant(key, body_kind)
        if self.i18n.has(worded):
            return self.t(worded)
        return self.t(key) if self.i18n.has(key) else state

    def role(self, role: str | None, body_kind: str | None = None) -> str:
        """A writer's role; an agent on a ticket is an agent of the ticket's body (« agent
        d'organisme gestionnaire » on a private school's ticket under an OGEC)."""
        if not role:
            return self.t("relay.thread.system")
        return self.t(
            body_variant(f"role.{role}", body_kind) if role == "commune" else f"role.{role}"
        )

    def _kind(self, kind: str) -> str:
        key = f"relay.kind.{kind}"
        return self.t(key) if self.i18n.has(key) else kind

    # --- the staff's queue and search -----------------------------------------------------

    def deadline(self, deadline: datetime | None) -> str:
        """A ticket's next deadline in the queue: a window that closes at midnight (the
        payment's year) by its last day, as the card says it; a 48 h duty by its hour."""
        if deadline is None:
            return ""
        day = last_day(deadline, self.tz)
        if day is not None:
            return self.t(
                "ticket.queue.deadline_day", day=self.i18n.date(self.lang, day, short=True)
            )
        return self.t(
            "ticket.queue.deadline", at=self.i18n.datetime(self.lang, deadline, short=True)
        )

    def queue(
        self,
        rows: Sequence[service.QueueRow],
        *,
        total: int,
        page: int,
        per_page: int,
        overdue: bool,
        now: datetime,
    ) -> str:
        lines = []
        for row in rows:
            deadline = self.deadline(row.next_deadline)
            if row.late_by is not None:  # a claim's 48 h duties done after their deadline
                deadline += self.t(
                    "ticket.queue.done_late", late=ClaimCard(self.i18n, self.lang).late(row.late_by)
                )
            lines.append(
                self.t(
                    "ticket.queue.line",
                    flag="⚠️ " if row.overdue else "",
                    number=row.number,
                    kind=self.t(f"ticket.kind.{row.kind}"),
                    state=self.state(row.kind, row.state, row.body_kind),
                    school=row.school or "—",
                    commune=row.commune,
                    age=(now - row.created_at).days,
                    deadline=Safe(deadline),
                    assignee=row.assignee or self.t("ticket.queue.unassigned"),
                )
            )
        title = "ticket.queue.title_overdue" if overdue else "ticket.queue.title"
        text = self.t(title, total=total, page=page + 1, pages=max(1, -(-total // per_page)))
        return text + "\n\n" + ("\n".join(lines) if lines else self.t("ticket.queue.empty"))

    def search(self, text: str, found: Sequence[service.Found]) -> str:
        if not found:
            return self.t("ticket.search.none", text=text)
        lines = [
            self.t(
                "ticket.search.line",
                number=f.number,
                kind=self.t(f"ticket.kind.{f.kind}"),
                state=self.state(f.kind, f.state, f.body_kind),
                school=f.school or "—",
                commune=f.commune,
                created=self.i18n.date(self.lang, local_date(f.created_at, self.tz), short=True),
            )
            for f in found
        ]
        return self.t(
            "ticket.search.results", text=text, count=len(found), lines=Safe("\n".join(lines))
        )

    def dossier_extra(self, extra: service.Dossier) -> str:
        """What staff read under a kind's card: the assignee, the thread with its notes."""
        parts = [
            self.t(
                "ticket.dossier.assignee", name=extra.assignee or self.t("ticket.queue.unassigned")
            )
        ]
        if extra.thread:
            parts.append(self.t("ticket.dossier.thread"))
            for message in extra.thread:
                key = (
                    "ticket.dossier.note"
                    if message.visibility == "internal"
                    else "ticket.dossier.message"
                )
                parts.append(
                    self.t(
                        key,
                        at=self.i18n.datetime(self.lang, message.at, short=True),
                        who=message.author or self.t("claim.timeline.system"),
                        body=message.body,
                    )
                )
        # The count of attachments is on the kind's card and on the « Renvoyer » button.
        parts.append(self.t("ticket.dossier.how_to_reply"))
        return "\n".join(parts)

    def staff_actions(
        self, kind: TicketKind, view: Any, extra: service.Dossier, person_id: int
    ) -> Actions:
        """The core's actions on any ticket in a dossier, then the kind's own (without
        « view », since the dossier is what is shown)."""
        ticket = view.id
        mine = extra.assignee_id == person_id
        rows: list[tuple[tuple[str, str], ...]] = [
            (
                # Taking a ticket already one's own is no action: only (re)assigning is.
                *(() if mine else ((self.t("ticket.button.take"), f"tk:take:{ticket}"),)),
                (self.t("ticket.button.assign"), f"tk:assign:{ticket}"),
            ),
            (
                (self.t("ticket.button.reply"), f"tk:reply:{ticket}"),
                (self.t("ticket.button.note"), f"tk:note:{ticket}"),
            ),
        ]
        if extra.attachments:
            label = self.t("ticket.button.files", count=len(extra.attachments))
            rows.append(((label, f"tk:files:{ticket}"),))
        if kind.is_closed(view):
            rows.append(((self.t("ticket.button.reopen"), f"tk:reopen:{ticket}"),))
        # The kind's own actions (for a closed claim: a recovery of stolen items, if any).
        own = kind.staff_actions(self.i18n, self.lang, view)
        rows.extend(
            tuple((b.label, b.action) for b in row)
            for row in own
            if not row[0].action.startswith(f"{kind.namespace}:view:")
        )
        return actions(rows)

    # --- a person's tickets and a ticket's thread ----------------------------------------------

    def mine(self, page: relay.TicketPage) -> str:
        """/mes_dossiers: one page of the tickets the person follows."""
        title_key = f"relay.mine.title.{page.listing}"
        if page.listing == "commune":
            title_key = body_variant(title_key, page.scope_kind)  # an OGEC: its name alone
        title = self.t(title_key, scope=page.scope_name)
        if not page.lines:
            return self.t("relay.mine.empty", title=Safe(title))
        lines = [
            self.t(
                "relay.mine.line",
                number=line.number,
                kind=self._kind(line.kind),
                state=self.state(line.kind, line.state, line.body_kind),
                place=line.place,
                date=self.i18n.date(self.lang, local_date(line.created_at, self.tz), short=True),
            )
            for line in page.lines
        ]
        return self.t(
            "relay.mine.page",
            title=Safe(title),
            total=page.total,
            page=page.page + 1,
            pages=page.pages,
            lines=Safe("\n".join(lines)),
        )

    def thread(self, thread: relay.TicketThread, *, group: bool = False) -> str:
        """A ticket's thread as the person may read it (the service chose the entries)."""
        ticket = thread.ticket
        lines = [self.t("relay.thread.title", number=ticket.number)]
        earlier = len(thread.entries) - THREAD_SHOWN
        if earlier > 0:
            lines.append(self.t("relay.thread.earlier", count=earlier))
        for entry in thread.entries[-THREAD_SHOWN:]:
            who = entry.author_name or self.t("relay.thread.system")
            at = self.i18n.datetime(self.lang, entry.at, short=True)
            role = self.role(entry.author_role, ticket.body_kind)
            if entry.author_name is None:
                lines.append(self.t("relay.thread.system_line", at=at, body=entry.body))
            elif entry.file_kind is not None:
                what = (
                    self.t("relay.thread.photo")
                    if entry.file_kind == "photo"
                    else self.t("relay.thread.document", name=entry.file_name or "")
                )
                if entry.visibility is relay.Visibility.INTERNAL:
                    line = self.t(
                        "relay.thread.note_file_line", at=at, who=who, file=what, caption=entry.body
                    )
                else:
                    line = self.t(
                        "relay.thread.file_line",
                        at=at,
                        who=who,
                        role=role,
                        file=what,
                        caption=entry.body,
                    )
                lines.append(line.rstrip())
            elif entry.visibility is relay.Visibility.INTERNAL:
                lines.append(self.t("relay.thread.note_line", at=at, who=who, body=entry.body))
            else:
                lines.append(
                    self.t("relay.thread.line", at=at, who=who, role=role, body=entry.body)
                )
        if not thread.entries:
            lines.append(self.t("relay.thread.empty"))
        if not thread.for_staff:
            hint = "relay.thread.hint"
        else:
            hint = "relay.thread.hint_staff_group" if group else "relay.thread.hint_staff"
        lines.append(self.t(hint, number=ticket.number))
        return "\n\n".join(lines)


def posted_text(
    i18n: I18n,
    lang: str,
    posted: relay.Posted,
    sender_first_name: str,
    *,
    body: str | None = None,
    group: bool = False,
) -> str:
    """A message written on a ticket as its recipient reads it, in their language
    (``group``: the staff group, where a reply is kept as an internal note, and the hint
    says so)."""
    ticket = posted.ticket
    body = posted.body if body is None else body
    if posted.audience is relay.Audience.REPORTER:
        key = "relay.file.to_reporter" if posted.file else "relay.to_reporter"
        text = i18n.t(lang, key, number=ticket.number, name=sender_first_name, body=body)
    else:
        if posted.file:
            key = "relay.file.to_staff"
        else:
            key = "relay.to_staff_group" if group else "relay.to_staff"
        card = TicketsCard(i18n, lang, ZoneInfo("UTC"))
        text = i18n.t(
            lang,
            key,
            number=ticket.number,
            place=ticket.place,
            name=posted.author_name,
            role=card.role(posted.author_role, ticket.body_kind),
            body=body,
        )
    return text.rstrip()  # a file without caption leaves an empty last line

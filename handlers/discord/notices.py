"""/fibre and /travaux on Discord: a school's head or a body's agent tells SEM of fibre
news, works, shared premises or a move (convention art. 2), through the same services
as Telegram's /fibre and /travaux (``bot.services.notices``), the notices for staff and
the body sent through the router.

``/fibre nouvelle:<…> [ecole:<…>]`` → a summary naming the news and the school, with
« Envoyer » (no comment) or « Avec un commentaire » (a form whose sending sends).
``/travaux genre:<…> [ecole:<…>]`` → what will be told, named, with « Remplir et
envoyer » → one form (description, start, end or none, rooms or none, and for a move
the UAI of the school the inventory goes to or the new address) → each field checked as
Telegram checks it when typed (all refusals said at once, the form offered again), then
the notice written. The school is the person's own, or one of their body's, suggested
from their scope only. No photos or plans on Discord yet. State rides in the custom ids
(``ntcf:fib:<school>:<news>``, ``ntcf:wrk:<school>:<kind>``), free texts in the forms
(decision 0049).
"""

from __future__ import annotations

import html
import logging
import re
import secrets
import unicodedata
from datetime import date
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.domain import notices as rules
from bot.domain.dates import ERR_UNREADABLE, local_date, parse_calendar_day
from bot.domain.errors import DomainError
from bot.domain.notices import FibreNews, WorksKind
from bot.domain.roles import Action, Role, can
from bot.services import notice_notices
from bot.services import notices as service
from bot.services.claims import SchoolRef
from bot.services.delivery import actions
from handlers.discord.buttons import on, refuse
from handlers.discord.commands import described, name, option
from handlers.discord.context import Ctx, answer, answer_error, context_of
from handlers.discord.render import components
from handlers.discord.telling import tell

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord

log = logging.getLogger(__name__)
_TAGS = re.compile(r"<[^>]*>")
_UAI = re.compile(r"^\s*\d{7}\s*[A-Za-z]\s*$")

NAMESPACE = "ntcf"
LABEL = 45
PLACEHOLDER = 100
FORM_TIMEOUT = 900.0
MAX_ID = 2**31 - 1


def _plain(html_text: str) -> str:
    """A catalog text where Discord shows plain text (a form's title, labels, hints)."""
    return html.unescape(_TAGS.sub("", html_text))


def _cut(text: str, limit: int = LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _today(ctx: Ctx) -> date:
    return local_date(ctx.services.clock.now(), ctx.services.settings.tz)


def _said(ctx: Ctx, error: DomainError) -> str:
    """The domain's refusal in the person's words (its dates as they read them)."""
    i18n = ctx.services.i18n
    params = {
        key: i18n.date(ctx.lang, value) if isinstance(value, date) else value
        for key, value in error.params.items()
    }
    return ctx.t(error.code, **params)


# --- the school ----------------------------------------------------------------------------------


async def _school(ctx: Ctx, action: Action, typed: str | None) -> SchoolRef | None:
    """The school told of: the person's only one, or the one chosen among theirs (by id
    from the suggestions, or by UAI or name typed); otherwise the refusal is said."""
    assert ctx.person is not None
    schools = await service.notice_schools(ctx.services.db, ctx.person.id, action)
    if not schools:
        await refuse(ctx, "works.no_school")
        return None
    if not typed:
        if len(schools) == 1:
            return schools[0]
        await refuse(ctx, "dflows.notice.school_needed")
        return None
    needle = _folded(typed.strip())
    found = [s for s in schools if str(s.id) == needle or _folded(s.uai) == needle]
    if not found:
        found = [s for s in schools if needle and needle in _folded(s.name)]
    if len(found) != 1:
        await refuse(ctx, "notice.error.school_out_of_scope")
        return None
    return found[0]


async def _school_by_id(ctx: Ctx, action: Action, school_id: int) -> SchoolRef | None:
    assert ctx.person is not None
    schools = await service.notice_schools(ctx.services.db, ctx.person.id, action)
    found = next((s for s in schools if s.id == school_id), None)
    if found is None:  # a forged or stale button: never trust custom ids
        await refuse(ctx, "notice.error.school_out_of_scope")
    return found


async def _suggest_schools(ctx: Ctx, action: Action, typed: str) -> list[app_commands.Choice[str]]:
    if ctx.person is None or not can(ctx.person.role, action):
        return []
    schools = await service.notice_schools(ctx.services.db, ctx.person.id, action)
    needle = _folded(typed.strip())
    shown = [s for s in schools if not needle or needle in _folded(f"{s.name} {s.uai}")]
    return [
        app_commands.Choice(name=f"{s.name} ({s.uai})"[:100], value=str(s.id)) for s in shown[:25]
    ]


# --- /fibre --------------------------------------------------------------------------------------


async def fibre(ctx: Ctx, news: FibreNews, school_typed: str | None) -> None:
    if ctx.person is None or not can(ctx.person.role, Action.NOTIFY_WORKS):
        await refuse(ctx, "common.error.forbidden")
        return
    school = await _school(ctx, Action.NOTIFY_WORKS, school_typed)
    if school is None:
        return
    rows = [
        [(ctx.t("fibre.button.send"), f"{NAMESPACE}:fib:{school.id}:{news.value}")],
        [(ctx.t("dflows.fibre.button.comment"), f"{NAMESPACE}:fibc:{school.id}:{news.value}")],
        [(ctx.t("common.button.cancel"), f"{NAMESPACE}:abort")],
    ]
    text = ctx.t(
        "fibre.summary",
        what=ctx.t(f"notice.what.fibre.{news.value}"),
        school=school.name,
        comment=ctx.t("fibre.no_comment"),
    )
    await answer(ctx, text, view=components(actions(rows)))


class FibreForm(discord.ui.Modal):
    """The comment of a fibre notice; « Envoyer » sends."""

    def __init__(self, ctx: Ctx, school: SchoolRef, news: FibreNews) -> None:
        super().__init__(
            title=_cut(_plain(ctx.t("dflows.fibre.form_title", school=school.name))),
            timeout=FORM_TIMEOUT,
            custom_id=f"{NAMESPACE}:m:fib:{school.id}:{news.value}:{secrets.token_hex(4)}",
        )
        self.client = ctx.client
        self.school_id = school.id
        self.news = news
        self.comment: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=_cut(_plain(ctx.t("dflows.fibre.field.comment"))),
            custom_id="comment",
            style=discord.TextStyle.paragraph,
            required=True,
            max_length=rules.MAX_DESCRIPTION,
        )
        self.add_item(self.comment)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        ctx = await context_of(self.client, interaction)
        await _send_fibre(ctx, self.school_id, self.news, self.comment.value)

    async def on_error(  # type: ignore[override]  # discord.py: Modal drops the item
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        log.error("discord: the fibre form failed", exc_info=error)
        await answer_error(self.client, interaction)


async def _send_fibre(ctx: Ctx, school_id: int, news: FibreNews, comment: str | None) -> None:
    if ctx.person is None or not can(ctx.person.role, Action.NOTIFY_WORKS):
        await refuse(ctx, "common.error.forbidden")
        return
    services = ctx.services
    if comment is not None and not any(c.isalnum() for c in comment):
        again = [[(ctx.t("dflows.form.again"), f"{NAMESPACE}:fibc:{school_id}:{news.value}")]]
        await answer(ctx, ctx.t("dflows.fibre.comment_expected"), view=components(actions(again)))
        return
    command = service.TellFibre(
        reporter_id=ctx.person.id, school_id=school_id, news=news, description=comment
    )
    try:
        view = await service.tell_fibre(services.db, command, services.clock.now())
    except DomainError as error:  # already followed, or out of scope
        await answer(ctx, _said(ctx, error))
        return
    await answer(ctx, ctx.t("fibre.done", number=view.number, school=view.school_name))
    await tell(
        ctx, await notice_notices.after_telling(services.db, services.i18n, services.settings, view)
    )


# --- /travaux ------------------------------------------------------------------------------------


async def works(ctx: Ctx, kind: WorksKind, school_typed: str | None) -> None:
    if ctx.person is None or not can(ctx.person.role, Action.NOTIFY_WORKS):
        await refuse(ctx, "common.error.forbidden")
        return
    school = await _school(ctx, Action.NOTIFY_WORKS, school_typed)
    if school is None:
        return
    rows = [
        [(ctx.t("dflows.works.button.fill"), f"{NAMESPACE}:wrk:{school.id}:{kind.value}")],
        [(ctx.t("common.button.cancel"), f"{NAMESPACE}:abort")],
    ]
    text = ctx.t(
        "dflows.works.intro",
        what=ctx.t(f"notice.what.works.{kind.value}"),
        school=school.name,
        max=rules.MAX_DESCRIPTION,
    )
    await answer(ctx, text, view=components(actions(rows)))


class WorksForm(discord.ui.Modal):
    """Description, start, end, rooms, and a move's target; « Envoyer » sends."""

    def __init__(self, ctx: Ctx, school: SchoolRef, kind: WorksKind) -> None:
        what = _plain(ctx.t(f"notice.what.works.{kind.value}"))
        super().__init__(
            title=_cut(_plain(ctx.t("dflows.works.form_title", what=what))),
            timeout=FORM_TIMEOUT,
            custom_id=f"{NAMESPACE}:m:wrk:{school.id}:{kind.value}:{secrets.token_hex(4)}",
        )
        self.client = ctx.client
        self.school_id = school.id
        self.kind = kind

        def field(key: str, *, long: bool = False, required: bool, limit: int) -> Any:
            item: discord.ui.TextInput[Any] = discord.ui.TextInput(
                label=_cut(_plain(ctx.t(f"dflows.works.field.{key}"))),
                custom_id=key,
                style=discord.TextStyle.paragraph if long else discord.TextStyle.short,
                placeholder=_cut(_plain(ctx.t(f"dflows.works.hint.{key}")), PLACEHOLDER),
                required=required,
                max_length=limit,
            )
            self.add_item(item)
            return item

        self.description = field(
            "description", long=True, required=True, limit=rules.MAX_DESCRIPTION
        )
        self.start = field("start", required=True, limit=40)
        self.end = field("end", required=False, limit=40)
        self.rooms = field("rooms", required=False, limit=rules.MAX_ROOMS)
        self.move = (
            field("move", required=True, limit=rules.MAX_ROOMS) if kind is WorksKind.MOVE else None
        )

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        ctx = await context_of(self.client, interaction)
        typed = {
            "description": self.description.value,
            "start": self.start.value,
            "end": self.end.value,
            "rooms": self.rooms.value,
            "move": self.move.value if self.move is not None else "",
        }
        await _send_works(ctx, self.school_id, self.kind, typed)

    async def on_error(  # type: ignore[override]  # discord.py: Modal drops the item
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        log.error("discord: the works form failed", exc_info=error)
        await answer_error(self.client, interaction)


def _typed_day(ctx: Ctx, typed: str) -> date:
    """A day typed; without a year, the coming one (works are told before they start)."""
    try:
        return parse_calendar_day(typed, _today(ctx), future=True)
    except DomainError as error:
        if error.code == ERR_UNREADABLE:
            raise DomainError("works.error.date_unreadable") from None
        raise


def _meaningful(text: str) -> str:
    return text if any(c.isalnum() for c in text) else ""


async def _send_works(ctx: Ctx, school_id: int, kind: WorksKind, typed: dict[str, str]) -> None:
    """Each field checked as Telegram checks it when typed; all refusals said at once
    with the form offered again; then the notice written and its notices sent."""
    person = ctx.person
    if person is None or not can(person.role, Action.NOTIFY_WORKS):
        await refuse(ctx, "common.error.forbidden")
        return
    services = ctx.services
    today = _today(ctx)
    problems: list[str] = []

    def field_said(key: str, error: DomainError) -> None:
        label = _plain(ctx.t(f"dflows.works.field.{key}"))
        problems.append(ctx.t("dflows.works.refused", field=label, reason=_said(ctx, error)))

    description = ""
    try:
        description = (
            rules.text_of(
                _meaningful(typed["description"]), limit=rules.MAX_DESCRIPTION, code="description"
            )
            or ""
        )
    except DomainError as error:
        field_said("description", error)
    start: date | None = None
    try:
        start = _typed_day(ctx, typed["start"])
        rules.check_period(start, None, today)
    except DomainError as error:
        field_said("start", error)
        start = None
    end: date | None = None
    if typed["end"].strip():
        try:
            end = _typed_day(ctx, typed["end"])
            # Against the start when it was read; alone otherwise (an end already past).
            rules.check_period(start if start is not None else end, end, today)
            rules.check_period(end, None, today)  # an end years ahead is a slip too
        except DomainError as error:
            field_said("end", error)
    rooms: str | None = None
    if typed["rooms"].strip():
        try:
            rooms = rules.text_of(_meaningful(typed["rooms"]), limit=rules.MAX_ROOMS, code="rooms")
        except DomainError as error:
            field_said("rooms", error)
    new_uai: str | None = None
    new_address: str | None = None
    if kind is WorksKind.MOVE:
        target = typed["move"].strip()
        try:
            if _UAI.match(target):
                new_uai = (await service.move_target(services.db, person.id, target, school_id)).uai
            else:
                new_address = rules.text_of(
                    _meaningful(target), limit=rules.MAX_ROOMS, code="address"
                )
        except DomainError as error:
            field_said("move", error)
    if problems or start is None:
        again = [[(ctx.t("dflows.form.again"), f"{NAMESPACE}:wrk:{school_id}:{kind.value}")]]
        await answer(ctx, "\n".join(problems), view=components(actions(again)))
        return
    command = service.TellWorks(
        reporter_id=person.id,
        school_id=school_id,
        works=kind,
        description=description,
        starts_on=start,
        ends_on=end,
        rooms=rooms,
        new_school_uai=new_uai,
        new_address=new_address,
    )
    try:
        view = await service.tell_works(services.db, command, services.clock.now())
    except DomainError as error:
        again = [[(ctx.t("dflows.form.again"), f"{NAMESPACE}:wrk:{school_id}:{kind.value}")]]
        await answer(ctx, _said(ctx, error), view=components(actions(again)))
        return
    key = "works.done.body" if person.role == Role.COMMUNE else "works.done.others"
    lines = [
        ctx.t(
            key,
            number=view.number,
            what=ctx.t(f"notice.what.works.{view.subkind}"),
            school=view.school_name,
            body=view.body_name,
        )
    ]
    assert view.starts_on is not None
    planned = rules.plan_works_reminders(
        rules.Period(view.starts_on, view.ends_on), services.clock.now()
    )
    kinds = {p.kind for p in planned}
    if rules.KIND_WORKS_BEFORE in kinds:
        lines.append(ctx.t("works.follow.before"))
    if rules.KIND_WORKS_RETURN in kinds:
        lines.append(ctx.t("works.follow.after"))
    await answer(ctx, "\n".join(lines))
    await tell(
        ctx, await notice_notices.after_telling(services.db, services.i18n, services.settings, view)
    )


# --- the buttons ---------------------------------------------------------------------------------


@on(NAMESPACE)
async def tapped(ctx: Ctx, action: str) -> None:
    if ctx.person is None or not can(ctx.person.role, Action.NOTIFY_WORKS):
        await refuse(ctx, "common.error.forbidden")
        return
    parts = action.split(":")
    if parts[1:] == ["abort"]:
        await answer(ctx, ctx.t("common.cancelled"))
        return
    if len(parts) == 4 and parts[2].isdigit() and int(parts[2]) <= MAX_ID:
        verb, school_id, value = parts[1], int(parts[2]), parts[3]
        if verb in ("fib", "fibc") and value in {n.value for n in FibreNews}:
            school = await _school_by_id(ctx, Action.NOTIFY_WORKS, school_id)
            if school is None:
                return
            if verb == "fib":
                await _send_fibre(ctx, school.id, FibreNews(value), None)
            else:
                await ctx.interaction.response.send_modal(FibreForm(ctx, school, FibreNews(value)))
            return
        if verb == "wrk" and value in {k.value for k in WorksKind}:
            school = await _school_by_id(ctx, Action.NOTIFY_WORKS, school_id)
            if school is None:
                return
            await ctx.interaction.response.send_modal(WorksForm(ctx, school, WorksKind(value)))
            return
    await refuse(ctx, "common.stale_button")


# --- registration --------------------------------------------------------------------------------


def register(client: PneDiscord) -> None:
    tree = client.tree
    i18n = client.services.i18n
    news_choices = [
        app_commands.Choice(name=_plain(i18n.t("fr", f"fibre.news.{n.value}")), value=n.value)
        for n in FibreNews
    ]
    kind_choices = [
        app_commands.Choice(
            name=_plain(i18n.t("fr", f"notice.what.works.{k.value}")), value=k.value
        )
        for k in WorksKind
    ]

    @tree.command(name=name("fibre"), description=described(client, "fibre"))
    @app_commands.describe(
        nouvelle=option(client, "dflows.option.fibre_news"),
        ecole=option(client, "dflows.option.school"),
    )
    @app_commands.choices(nouvelle=news_choices)
    async def fibre_command(
        interaction: discord.Interaction,
        nouvelle: app_commands.Choice[str],
        ecole: str | None = None,
    ) -> None:
        await fibre(await context_of(client, interaction), FibreNews(nouvelle.value), ecole)

    @tree.command(name=name("travaux"), description=described(client, "travaux"))
    @app_commands.describe(
        genre=option(client, "dflows.option.works_kind"),
        ecole=option(client, "dflows.option.school"),
    )
    @app_commands.choices(genre=kind_choices)
    async def works_command(
        interaction: discord.Interaction,
        genre: app_commands.Choice[str],
        ecole: str | None = None,
    ) -> None:
        await works(await context_of(client, interaction), WorksKind(genre.value), ecole)

    @fibre_command.autocomplete("ecole")
    async def _fibre_school(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await _suggest_schools(
            await context_of(client, interaction), Action.NOTIFY_WORKS, current
        )

    @works_command.autocomplete("ecole")
    async def _works_school(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await _suggest_schools(
            await context_of(client, interaction), Action.NOTIFY_WORKS, current
        )

"""/fibre, /travaux and /classe on Discord: a school's head or a body's agent tells SEM
of fibre news, works, shared premises or a move (convention art. 2), of a class opening
or closing (art. 1), through the same services as Telegram's /fibre, /travaux, /classe
(``bot.services.notices``), the notices for staff and the body sent through the router.

``/fibre nouvelle:<…> [ecole:<…>]`` → a summary naming the news and the school, with
« Envoyer » (no comment) or « Avec un commentaire » (a form whose sending sends).
``/travaux genre:<…> [ecole:<…>]`` → what will be told, named, with « Remplir et
envoyer » → one form (description, start, end or none, rooms or none, and for a move
the UAI of the school the inventory goes to or the new address) → each field checked as
Telegram checks it when typed (all refusals said at once, the form offered again), then
the notice written.
``/classe changement:<…> [ecole:<…>]`` → the same with one form: the class's name,
level and day (1 September proposed), and for a closure SEM's items of the class (tags)
and where they will be gathered; a closure with items opens their collection. (A head's
change of post stays on Telegram.) The school is the person's own, or one of their body's, suggested
from their scope only. State rides in the custom ids
(``ntcf:fib:<school>:<news>``, ``ntcf:wrk:<school>:<kind>``), free texts in the forms
(decision 0049). /travaux takes an optional ``photo`` (an image; plans stay on Telegram),
kept as a draft row under the person, its nonce added to the ids
(``ntcf:wrk:<school>:<kind>:<nonce>``) and sent with the notice (decision 0056).
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

from bot.cards.notices import NoticeCard
from bot.domain import collections as collection_rules
from bot.domain import notices as rules
from bot.domain.dates import ERR_UNREADABLE, local_date, parse_calendar_day
from bot.domain.directory import MAX_LENGTHS
from bot.domain.errors import DomainError
from bot.domain.notices import ClassChange, FibreNews, WorksKind
from bot.domain.roles import Action, Role, can
from bot.domain.text import units
from bot.services import collection_notices, drafts, notice_notices
from bot.services import collections as collection_service
from bot.services import notices as service
from bot.services.claims import SchoolRef
from bot.services.collections import Flagged
from bot.services.delivery import actions
from handlers.discord.buttons import on, refuse
from handlers.discord.collections import keep_photo, kept_photo
from handlers.discord.commands import described, name, option
from handlers.discord.context import Ctx, answer, answer_error, context_of
from handlers.discord.render import components
from handlers.discord.telling import tell

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord

log = logging.getLogger(__name__)
_TAGS = re.compile(r"<[^>]*>")
_UAI = re.compile(r"^\s*\d{7}\s*[A-Za-z]\s*$")
_WORDS = re.compile(r"[\s,;]+")

NAMESPACE = "ntcf"
WORKS_PHOTO = "discord:works_photo"  # the draft of a photo given with /travaux
LABEL = 45
PLACEHOLDER = 100
FORM_TIMEOUT = 900.0
MAX_ID = 2**31 - 1
MAX_LEVEL = 20  # as the service reads it
SCHOOL_YEAR_START = (9, 1)  # 1 September, proposed as a class change's day


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
        await answer_error(self.client, interaction, error)


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


async def works(
    ctx: Ctx, kind: WorksKind, school_typed: str | None, photo: discord.Attachment | None = None
) -> None:
    if ctx.person is None or not can(ctx.person.role, Action.NOTIFY_WORKS):
        await refuse(ctx, "common.error.forbidden")
        return
    school = await _school(ctx, Action.NOTIFY_WORKS, school_typed)
    if school is None:
        return
    accepted, nonce = await keep_photo(ctx, WORKS_PHOTO, photo)
    if not accepted:
        return
    fill = f"{NAMESPACE}:wrk:{school.id}:{kind.value}" + (f":{nonce}" if nonce else "")
    rows = [
        [(ctx.t("dflows.works.button.fill"), fill)],
        [(ctx.t("common.button.cancel"), f"{NAMESPACE}:abort")],
    ]
    text = ctx.t(
        "dflows.works.intro",
        what=ctx.t(f"notice.what.works.{kind.value}"),
        school=school.name,
        max=rules.MAX_DESCRIPTION,
    )
    if nonce:
        text += "\n\n" + ctx.t("collection.card.attachments", count=1)
    await answer(ctx, text, view=components(actions(rows)))


class WorksForm(discord.ui.Modal):
    """Description, start, end, rooms, and a move's target; « Envoyer » sends."""

    def __init__(self, ctx: Ctx, school: SchoolRef, kind: WorksKind, nonce: str = "") -> None:
        what = _plain(ctx.t(f"notice.what.works.{kind.value}"))
        super().__init__(
            title=_cut(_plain(ctx.t("dflows.works.form_title", what=what))),
            timeout=FORM_TIMEOUT,
            custom_id=f"{NAMESPACE}:m:wrk:{school.id}:{kind.value}:{secrets.token_hex(4)}",
        )
        self.client = ctx.client
        self.school_id = school.id
        self.kind = kind
        self.nonce = nonce

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
        await _send_works(ctx, self.school_id, self.kind, typed, self.nonce)

    async def on_error(  # type: ignore[override]  # discord.py: Modal drops the item
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        log.error("discord: the works form failed", exc_info=error)
        await answer_error(self.client, interaction, error)


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


async def _send_works(
    ctx: Ctx, school_id: int, kind: WorksKind, typed: dict[str, str], nonce: str = ""
) -> None:
    """Each field checked as Telegram checks it when typed; all refusals said at once
    with the form offered again; then the notice written (with its photo) and its
    notices sent."""
    person = ctx.person
    if person is None or not can(person.role, Action.NOTIFY_WORKS):
        await refuse(ctx, "common.error.forbidden")
        return
    services = ctx.services
    photos = await kept_photo(ctx, WORKS_PHOTO, nonce)
    if photos is None:
        return
    form = f"{NAMESPACE}:wrk:{school_id}:{kind.value}" + (f":{nonce}" if nonce else "")
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
        again = [[(ctx.t("dflows.form.again"), form)]]
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
        files=photos,
    )
    try:
        view = await service.tell_works(services.db, command, services.clock.now())
    except DomainError as error:
        again = [[(ctx.t("dflows.form.again"), form)]]
        await answer(ctx, _said(ctx, error), view=components(actions(again)))
        return
    if nonce:
        await drafts.drop(services.db, WORKS_PHOTO, str(person.id))
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


# --- /classe -------------------------------------------------------------------------------------


def next_school_year_start(today: date) -> date:
    """The coming start of the school year (1 September; today if it is that day)."""
    month, day = SCHOOL_YEAR_START
    this_year = date(today.year, month, day)
    return this_year if this_year >= today else date(today.year + 1, month, day)


async def class_change(ctx: Ctx, change: ClassChange, school_typed: str | None) -> None:
    if ctx.person is None or not can(ctx.person.role, Action.NOTIFY_CLASS_CHANGE):
        await refuse(ctx, "common.error.forbidden")
        return
    school = await _school(ctx, Action.NOTIFY_CLASS_CHANGE, school_typed)
    if school is None:
        return
    rows = [
        [(ctx.t("dflows.works.button.fill"), f"{NAMESPACE}:cls:{school.id}:{change.value}")],
        [(ctx.t("common.button.cancel"), f"{NAMESPACE}:abort")],
    ]
    text = ctx.t(
        f"dflows.class.intro.{change.value}",
        school=school.name,
        day=ctx.services.i18n.date(ctx.lang, next_school_year_start(_today(ctx))),
    )
    await answer(ctx, text, view=components(actions(rows)))


class ClassForm(discord.ui.Modal):
    """The class's name, level and day; for a closure, SEM's items of the class and
    where they will be gathered (art. 4). « Envoyer » sends."""

    def __init__(self, ctx: Ctx, school: SchoolRef, change: ClassChange) -> None:
        what = _plain(ctx.t(f"notice.what.class.{change.value}"))
        super().__init__(
            title=_cut(_plain(ctx.t("dflows.class.form_title", what=what, school=school.name))),
            timeout=FORM_TIMEOUT,
            custom_id=f"{NAMESPACE}:m:cls:{school.id}:{change.value}:{secrets.token_hex(4)}",
        )
        self.client = ctx.client
        self.school_id = school.id
        self.change = change
        proposed = ctx.services.i18n.date(ctx.lang, next_school_year_start(_today(ctx)))

        def field(key: str, *, required: bool, limit: int, long: bool = False) -> Any:
            item: discord.ui.TextInput[Any] = discord.ui.TextInput(
                label=_cut(_plain(ctx.t(f"dflows.class.field.{key}"))),
                custom_id=key,
                style=discord.TextStyle.paragraph if long else discord.TextStyle.short,
                placeholder=_cut(
                    _plain(ctx.t(f"dflows.class.hint.{key}", day=proposed)), PLACEHOLDER
                ),
                required=required,
                max_length=limit,
            )
            self.add_item(item)
            return item

        self.name = field("name", required=True, limit=rules.MAX_CLASS_NAME)
        self.level = field("level", required=False, limit=MAX_LEVEL)
        self.day = field("day", required=True, limit=40)
        closing = change is ClassChange.CLOSING
        self.tags = field("tags", required=False, limit=400, long=True) if closing else None
        self.place = (
            field("place", required=False, limit=collection_rules.MAX_PLACE) if closing else None
        )

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        ctx = await context_of(self.client, interaction)
        typed = {
            "name": self.name.value,
            "level": self.level.value,
            "day": self.day.value,
            "tags": self.tags.value if self.tags is not None else "",
            "place": self.place.value if self.place is not None else "",
        }
        await _send_class(ctx, self.school_id, self.change, typed)

    async def on_error(  # type: ignore[override]  # discord.py: Modal drops the item
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        log.error("discord: the class form failed", exc_info=error)
        await answer_error(self.client, interaction, error)


async def _class_tags(
    ctx: Ctx, school_id: int, typed: str, problems: list[str], said: Any
) -> tuple[str, ...]:
    """The class's SEM items typed: this school's in service are kept; each other word
    is refused with its own reason (the collections' words)."""
    assert ctx.person is not None
    words = [w for w in _WORDS.split(typed) if w][: 2 * collection_rules.MAX_ITEMS]
    if not words:
        return ()
    checks = await collection_service.check_tags(ctx.services.db, ctx.person.id, school_id, words)
    kept: list[str] = []
    for check in checks:
        if check.unreadable:
            error = DomainError(
                "collection.error.typed_tag", value=check.asset_tag, max=MAX_LENGTHS["asset_tag"]
            )
        elif check.other_school:
            error = DomainError("collection.error.tag_other_school", tag=check.asset_tag)
        elif not check.known:
            error = DomainError("collection.error.unknown_tag", tag=check.asset_tag)
        elif check.unavailable:
            error = DomainError("collection.error.tag_unavailable", tag=check.asset_tag)
        elif check.owner not in (None, "sem"):
            continue  # the body's own: not SEM's to collect
        else:
            if check.asset_tag not in kept:
                kept.append(check.asset_tag)
            continue
        said("tags", error)
    return tuple(kept)


async def _send_class(ctx: Ctx, school_id: int, change: ClassChange, typed: dict[str, str]) -> None:
    person = ctx.person
    if person is None or not can(person.role, Action.NOTIFY_CLASS_CHANGE):
        await refuse(ctx, "common.error.forbidden")
        return
    services = ctx.services
    today = _today(ctx)
    problems: list[str] = []

    def said(key: str, error: DomainError) -> None:
        label = _plain(ctx.t(f"dflows.class.field.{key}"))
        problems.append(ctx.t("dflows.works.refused", field=label, reason=_said(ctx, error)))

    name = typed["name"].strip()
    try:
        if not any(c.isalnum() for c in name):
            raise DomainError("notice.error.class_name_required")
        rules.text_of(name, limit=rules.MAX_CLASS_NAME, code="class_name")
    except DomainError as error:
        said("name", error)
    level = typed["level"].strip() or None
    if level is not None and units(level) > MAX_LEVEL:
        said("level", DomainError("notice.error.level_too_long", max=MAX_LEVEL))
    day: date | None = None
    try:
        day = parse_calendar_day(typed["day"], today, future=True)
        rules.check_class_date(day, change, today)
    except DomainError as error:
        if error.code == ERR_UNREADABLE:
            error = DomainError("dflows.class.date_unreadable")
        said("day", error)
        day = None
    tags: tuple[str, ...] = ()
    place: str | None = None
    if change is ClassChange.CLOSING:
        tags = await _class_tags(ctx, school_id, typed["tags"], problems, said)
        place = typed["place"].strip() or None
        if tags and (place is None or not any(c.isalnum() for c in place)):
            said("place", DomainError("class_change.error.place_required"))
    if problems or day is None:
        again = [[(ctx.t("dflows.form.again"), f"{NAMESPACE}:cls:{school_id}:{change.value}")]]
        await answer(ctx, "\n".join(problems), view=components(actions(again)))
        return
    command = service.TellClassChange(
        reporter_id=person.id,
        school_id=school_id,
        change=change,
        class_name=name,
        on=day,
        level=level,
        asset_tags=tags,
        place=place if tags else None,
    )
    now = services.clock.now()
    try:
        view = await service.tell_class_change(services.db, command, now)
    except DomainError as error:  # an item flagged meanwhile, the school out of scope…
        again = [[(ctx.t("dflows.form.again"), f"{NAMESPACE}:cls:{school_id}:{change.value}")]]
        await answer(ctx, _said(ctx, error), view=components(actions(again)))
        return
    i18n = services.i18n
    lines = [ctx.t(f"class_change.done.{view.subkind}", number=view.number)]
    if view.subkind == ClassChange.CLOSING.value and view.starts_on is not None:
        if view.collection_number:
            lines.append(ctx.t("class_change.done.collection", number=view.collection_number))
        else:
            lines.append(ctx.t("class_change.done.no_collection"))
        due = [
            i18n.date(ctx.lang, local_date(p.due_at, services.settings.tz))
            for p in rules.plan_closure_reminders(view.starts_on, now)
        ]
        if due:
            lines.append(ctx.t("class_change.done.reminders", count=len(due), days=", ".join(due)))
    lines.append(ctx.t("class_change.done.training"))
    card = NoticeCard(i18n, ctx.lang)
    await answer(ctx, "\n\n".join(lines), view=components(actions([[card.view_action(view)]])))
    await tell(ctx, await notice_notices.after_telling(services.db, i18n, services.settings, view))
    if view.collection_id is not None:
        collection = await collection_service.collection_view(
            services.db, person.id, view.collection_id, now
        )
        await tell(
            ctx,
            await collection_notices.after_flagging(
                services.db, i18n, services.settings, Flagged(collection, ())
            ),
        )


# --- the buttons ---------------------------------------------------------------------------------


@on(NAMESPACE)
async def tapped(ctx: Ctx, action: str) -> None:
    parts = action.split(":")
    needed = Action.NOTIFY_CLASS_CHANGE if parts[1:2] == ["cls"] else Action.NOTIFY_WORKS
    if ctx.person is None or not can(ctx.person.role, needed):
        await refuse(ctx, "common.error.forbidden")
        return
    if parts[1:] == ["abort"]:
        await answer(ctx, ctx.t("common.cancelled"))
        return
    if (
        len(parts) == 5
        and parts[1] == "wrk"
        and parts[2].isdigit()
        and int(parts[2]) <= MAX_ID
        and parts[3] in {k.value for k in WorksKind}
    ):
        school = await _school_by_id(ctx, Action.NOTIFY_WORKS, int(parts[2]))
        if school is None or await kept_photo(ctx, WORKS_PHOTO, parts[4]) is None:
            return
        form = WorksForm(ctx, school, WorksKind(parts[3]), parts[4])
        await ctx.interaction.response.send_modal(form)
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
        if verb == "cls" and value in {c.value for c in ClassChange}:
            school = await _school_by_id(ctx, Action.NOTIFY_CLASS_CHANGE, school_id)
            if school is None:
                return
            await ctx.interaction.response.send_modal(ClassForm(ctx, school, ClassChange(value)))
            return
    await refuse(ctx, "common.stale_button")


# --- registration --------------------------------------------------------------------------------


def register(client: PneDiscord) -> None:
    tree = client.tree
    i18n = client.services.i18n

    def choice(key: str, value: str) -> app_commands.Choice[str]:
        # French, with the catalog's English for English clients (CatalogTranslator).
        return app_commands.Choice(
            name=app_commands.locale_str(_plain(i18n.t("fr", key)), key=key), value=value
        )

    news_choices = [choice(f"fibre.news.{n.value}", n.value) for n in FibreNews]
    kind_choices = [choice(f"notice.what.works.{k.value}", k.value) for k in WorksKind]

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
        photo=option(client, "drnd.option.photo"),
    )
    @app_commands.choices(genre=kind_choices)
    async def works_command(
        interaction: discord.Interaction,
        genre: app_commands.Choice[str],
        ecole: str | None = None,
        photo: discord.Attachment | None = None,
    ) -> None:
        await works(await context_of(client, interaction), WorksKind(genre.value), ecole, photo)

    change_choices = [choice(f"notice.what.class.{c.value}", c.value) for c in ClassChange]

    @tree.command(name=name("classe"), description=described(client, "classe"))
    @app_commands.describe(
        changement=option(client, "dflows.option.class_change"),
        ecole=option(client, "dflows.option.school"),
    )
    @app_commands.choices(changement=change_choices)
    async def class_command(
        interaction: discord.Interaction,
        changement: app_commands.Choice[str],
        ecole: str | None = None,
    ) -> None:
        await class_change(
            await context_of(client, interaction), ClassChange(changement.value), ecole
        )

    @class_command.autocomplete("ecole")
    async def _class_school(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await _suggest_schools(
            await context_of(client, interaction), Action.NOTIFY_CLASS_CHANGE, current
        )

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

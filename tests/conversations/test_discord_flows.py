"""The other ticket kinds on Discord, over the same services as Telegram.

/collecte: a teacher on Discord flags a tablet (tag suggested from her school only, its
condition in a select, a summary naming it, the form for the place and a note), staff on
Telegram hear of it through the router; a bad tag, a blank place, a stale select are
refused with the domain's French messages.

/ami: a call published through the service reaches a head registered on Discord (and
the other head on Telegram) through the router; she applies from Discord with the
publication's own « Candidater », every bad answer of the form said with the domain's
words, edits with the form pre-filled, withdraws after a confirmation; late, ineligible,
a teacher on a heads' call and forged ids refused.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from bot.domain.calls import Question, QuestionKind, Reach
from bot.domain.platforms import DISCORD
from bot.domain.roles import Role
from bot.services import call_notices, calls, registration
from handlers.discord.offline.api import AUTOCOMPLETE, InteractionRecord, SimUser
from handlers.discord.render import markdown
from storage.models import CallApplication, Equipment, Person, School
from tests.conversations.conftest import DiscordSide, World

EPHEMERAL = 1 << 6


def _text(record: InteractionRecord) -> str:
    response = record.response or {}
    return str(response.get("data", response).get("content") or "")


def _posted(side: DiscordSide, record: InteractionRecord) -> Any:
    """The message the bot answered the interaction with."""
    assert record.original_id is not None
    return side.discord.message(record.original_id)


async def _suggest(side: DiscordSide, user: SimUser, command: str, option: str, typed: str) -> Any:
    """``user`` types ``typed`` in the option ``option`` of ``/command``: the choices
    the bot suggests (an autocomplete interaction, as Discord sends it)."""
    offline = side.discord
    registered = offline._find_command(command, side.guild.id)
    data = {
        "id": registered["id"],
        "name": command,
        "type": 1,
        "options": [{"type": 3, "name": option, "value": typed, "focused": True}],
    }
    if registered.get("guild_id"):
        data["guild_id"] = registered["guild_id"]
    record = await offline._play(offline._interaction(AUTOCOMPLETE, user, side.hall, data))
    assert record.response_type == 8, record.response
    return [c["value"] for c in record.response["data"]["choices"]]


async def test_a_teacher_flags_a_broken_tablet_from_discord(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    staff = await world.registered("Sacha", Role.STAFF)
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    hall = side.hall

    # The tags suggested are her school's equipment in service, never another school's.
    assert await _suggest(side, zoe, "collecte", "materiel", "sem-0") == [
        "SEM-0001", "SEM-0002", "SEM-0003", "SEM-0004", "SEM-0005",
    ]  # fmt: skip
    assert await _suggest(side, zoe, "collecte", "materiel", "0101") == []
    stranger = side.user("inconnu")
    assert await _suggest(side, stranger, "collecte", "materiel", "SEM") == []

    # Bad tags: each refused with the domain's message, only to her.
    other = await side.discord.slash(zoe, "collecte", {"materiel": "SEM-0101"}, channel=hall)
    assert _text(other) == "SEM-0101 appartient à l'inventaire d'une autre école."
    assert other.response is not None and other.response["data"]["flags"] & EPHEMERAL
    unknown = await side.discord.slash(zoe, "collecte", {"materiel": "SEM-9999"}, channel=hall)
    assert _text(unknown) == (
        "SEM-9999 n'est pas dans l'inventaire : vérifiez le numéro sur l'étiquette."
    )
    unreadable = await side.discord.slash(zoe, "collecte", {"materiel": "§§ ?"}, channel=hall)
    assert _text(unreadable).startswith("« §§ ? » n'est pas un numéro d'inventaire lisible")
    refused = await side.discord.slash(stranger, "collecte", {"materiel": "SEM-0001"}, channel=hall)
    assert _text(refused) == "Vous n'avez pas accès à cette action."

    # The tag as typed on the label: its condition asked in a select.
    asked = await side.discord.slash(zoe, "collecte", {"materiel": "sem-0001"}, channel=hall)
    assert _text(asked) == "Objet 1 sur 1 : `SEM-0001 (tablette, iPad 9)`\nDans quel état est-il ?"
    [select_id] = _posted(side, asked).custom_ids
    assert select_id.startswith("colf:cond:")
    chosen = await side.discord.choose(zoe, asked.original_id, select_id, ["broken"])
    summary = _text(chosen)
    assert summary.startswith("📦 **Votre signalement** — École du Soleil\n\n")
    assert "• `SEM-0001 (tablette, iPad 9)` — hors d'usage" in summary
    assert "la SEM choisit de le réparer ou de le recycler" in summary
    assert _posted(side, chosen).buttons == [
        ("✅ Envoyer le signalement (1 objet)", select_id.replace("cond", "form") + ":broken"),
        ("✖️ Annuler", "colf:abort"),
    ]

    # The form: a blank place is refused with the domain's message, the form offered again.
    opened = await side.discord.tap(
        zoe, chosen.original_id, select_id.replace("cond", "form") + ":broken"
    )
    assert opened.modal is not None and opened.modal["title"] == "Signaler SEM-0001"
    blank = await side.discord.submit_modal(zoe, {"place": "   ", "note": "écran fissuré"})
    assert _text(blank) == "Dites où le matériel est regroupé dans l'école."
    assert [b[0] for b in _posted(side, blank).buttons] == [
        "✏️ Reprendre le formulaire", "✖️ Annuler",
    ]  # fmt: skip
    assert not any("C-2026" in t for t in world.texts(staff))
    again = await side.discord.tap(zoe, blank.original_id, _posted(side, blank).custom_ids[0])
    assert again.modal is not None
    done = await side.discord.submit_modal(
        zoe, {"place": "Salle 12, armoire du fond", "note": "Écran fissuré", "hours": "lundi 8 h"}
    )
    assert _text(done) == (
        "✅ Signalement **C-2026-0001** envoyé : 1 objet.\n\n"
        "La SEM est informée. Elle passera collecter son matériel (ou réparer celui qui peut "
        "l'être), de préférence pendant les vacances scolaires ; l'école sera prévenue de la "
        "date."
    )
    assert _posted(side, done).buttons == [("📄 Voir le signalement", "col:view:1")]
    # Staff, on Telegram, hear of it through the router, with their decision buttons.
    notice = world.api.last(staff.id)
    assert notice.text is not None and notice.text.startswith(
        "📦 Nouveau signalement C-2026-0001 — École du Soleil (Saint-Étienne), par zoe\n"
    )
    assert "« Écran fissuré »" in notice.text and "Lieu : Salle 12, armoire du fond" in notice.text
    assert "Remise : lundi 8 h" in notice.text
    async with world.db.uow() as uow:
        tablet = await uow.directory.equipment_by_tag("SEM-0001")
        assert isinstance(tablet, Equipment) and tablet.state == "out_of_order"

    # The old select, chosen again: re-checked, the tablet is no longer in service.
    stale = await side.discord.choose(zoe, asked.original_id, select_id, ["unused"])
    assert _text(stale) == (
        "SEM-0001 n'est pas en service (déjà signalé, volé, en stock…) : il ne peut pas être"
        " signalé."
    )
    twice = await side.discord.slash(zoe, "collecte", {"materiel": "SEM-0001"}, channel=hall)
    assert _text(twice) == _text(stale)
    cancelled = await side.discord.tap(zoe, chosen.original_id, "colf:abort")
    assert _text(cancelled) == "C'est annulé. Rien n'a été envoyé."


# ------------------------------------------------------------------------------ /ami

CLOSES_AT = datetime(2026, 3, 31, 10, 0, tzinfo=UTC)  # noon in Paris (summer time)
QUESTIONS = (
    Question(QuestionKind.TEXT, "Projet pédagogique"),
    Question(QuestionKind.NUMBER, "Nombre de classes", minimum=1, maximum=20),
    Question(QuestionKind.CHOICE, "Cycle", ("Cycle 2", "Cycle 3")),
    Question(QuestionKind.COMMITMENT, "L'équipe suivra la formation"),
    Question(QuestionKind.TEXT, "Remarques", required=False),
)


def _t(world: World, key: str, **params: object) -> str:
    return str(world.app.bot_data["services"].i18n.t("fr", key, **params))


async def _publish(world: World, **changes: object) -> calls.CampaignView:
    """A call published by staff through the service, delivered through the router: each
    head where they are (Telegram or Discord)."""
    services = world.app.bot_data["services"]
    if "Sacha" not in world.ids:
        await world.registered("Sacha", Role.STAFF)
        async with world.db.uow() as uow:
            found = await uow.session.scalar(select(Person.id).where(Person.full_name == "Sacha"))
        assert found is not None
        world.ids["Sacha"] = found
    values: dict[str, object] = {
        "title": "Tablettes <pour> les classes",
        "nature": "tablet",
        "description": "Des lots de tablettes & leur formation.",
        "quantity": 2,
        "kit_size": 15,
        "reach": Reach.PUBLIC,
        "opens_on": date(2026, 3, 9),
        "opens_time": time(10, 0),
        "closes_on": date(2026, 3, 31),
        "closes_time": time(12, 0),
        "questions": QUESTIONS,
        "allow_teachers": False,
    }
    values.update(changes)
    now = world.clock.now()
    draft = await calls.create_campaign(
        world.db,
        world.ids["Sacha"],
        calls.CampaignDraft(**values),  # type: ignore[arg-type]
        now,
    )
    published = await calls.publish(world.db, world.ids["Sacha"], draft.id, now)
    for message in call_notices.publication(services.i18n, published):
        await services.router(message)  # as the outbox's paced lane does
    return published.campaign


async def _forged(side: DiscordSide, user: SimUser, custom_id: str) -> InteractionRecord:
    """A button the bot never offered this person (an old or forged id), tapped."""
    offline = side.discord
    dm = offline.dm_channel(user)
    stored = offline._store_message(
        dm,
        author=offline.bot,
        content="…",
        components=[
            {
                "type": 1,
                "components": [{"type": 2, "style": 2, "label": "x", "custom_id": custom_id}],
            }
        ],
    )
    return await offline.tap(user, int(stored["id"]), custom_id)


def _field_values(record: InteractionRecord) -> dict[str, str]:
    """The fields of the modal shown in answer, with the values they are pre-filled with."""
    assert record.modal is not None
    found: dict[str, str] = {}
    for top in record.modal["components"]:
        field = top["components"][0] if top.get("type") == 1 else top["component"]
        found[field["custom_id"]] = field.get("value") or ""
    return found


async def test_a_head_on_discord_applies_to_a_call_published_through_the_router(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    denis = await world.registered("Denis", Role.DIRECTOR)  # Soleil's other head, Telegram
    dora = await side.registered(world, "dora", Role.DIRECTOR)
    campaign = await _publish(world)
    dm = side.discord.dm_channel(dora)
    publication = side.discord.last_message(dm)
    assert "**Tablettes \\<pour> les classes**" in publication.content
    assert publication.buttons == [("Candidater", f"ami:apply:{campaign.id}")]
    assert any("Tablettes <pour> les classes" in t for t in world.texts(denis))
    heard = len(world.texts(denis))

    intro = await side.discord.tap(dora, publication, f"ami:apply:{campaign.id}")
    text = _text(intro)
    assert text.startswith(
        "📣 Candidature de **École du Soleil** à « Tablettes \\<pour> les classes »\n"
    )
    assert "jusqu'au mardi 31 mars 2026 à 12:00" in text
    assert "Question 2/5 — **Nombre de classes**\nTapez un nombre entre 1 et 20." in text
    assert "Question 5/5 — **Remarques**\nRépondez en quelques phrases" in text
    assert _posted(side, intro).buttons == [
        ("📝 Répondre", f"ami:form:{campaign.id}"), ("✖️ Annuler", "ami:abort"),
    ]  # fmt: skip

    # The form: every bad answer said with the domain's words, the form offered again.
    opened = await side.discord.tap(dora, intro.original_id, f"ami:form:{campaign.id}")
    assert opened.modal is not None
    assert opened.modal["title"] == "Candidature : Tablettes <pour> les classes"
    assert list(_field_values(opened)) == ["q0", "q1", "q2", "q3", "q4"]
    bad = await side.discord.submit_modal(
        dora, {"q0": "   ", "q1": "quarante", "q2": "Cycle 4", "q3": "non"}
    )
    assert _text(bad) == "\n".join(
        [
            f"Question 1 — **Projet pédagogique** : {_t(world, 'call.error.answer_required')}",
            f"Question 2 — **Nombre de classes** : {_t(world, 'call.error.number_expected')}",
            f"Question 3 — **Cycle** : {_t(world, 'call.error.choice_expected')}",
            "Question 4 — **L'équipe suivra la formation** : "
            + _t(world, "call.error.commitment_required"),
        ]
    )
    assert await _applications(world) == 0
    again = await side.discord.tap(dora, bad.original_id, f"ami:form:{campaign.id}")
    assert again.modal is not None
    out_of_range = await side.discord.submit_modal(
        dora, {"q0": "Une classe numérique", "q1": "40", "q2": "cycle 3", "q3": "Oui"}
    )
    assert _text(out_of_range) == "Question 2 — **Nombre de classes** : " + _t(
        world, "call.error.number_range", minimum=1, maximum=20
    )
    await side.discord.tap(dora, out_of_range.original_id, f"ami:form:{campaign.id}")
    sent = await side.discord.submit_modal(
        dora, {"q0": "Une classe numérique", "q1": "4", "q2": "cycle 3", "q3": "Oui"}
    )
    card = _text(sent)
    assert card.startswith("✅ Candidature A-2026-0001 envoyée.\n\n")
    assert "Cycle 3" in card and "Une classe numérique" in card
    assert [b[0] for b in _posted(side, sent).buttons] == ["✏️ Modifier", "Retirer"]
    assert await _applications(world) == 1
    # The other head, on Telegram, hears who sent it (through the router).
    told = world.texts(denis)[heard:]
    assert len(told) == 1 and "A-2026-0001" in told[0] and "dora" in told[0]

    # « Candidater » again (the publication): the school's application, not a second one.
    found = await side.discord.tap(dora, publication, f"ami:apply:{campaign.id}")
    assert _text(found).startswith(_t(world, "ami.found", number="A-2026-0001"))
    listed = await side.discord.slash(dora, "ami", channel=side.hall)
    assert "Votre école a candidaté : A-2026-0001." in _text(listed)
    assert _posted(side, listed).buttons == [
        ("Voir la candidature", "ami:view:" + str(sent_id(sent)))
    ]

    # « Modifier »: the form pre-filled with the answers sent.
    edit = await side.discord.tap(dora, sent.original_id, f"ami:edit:{sent_id(sent)}")
    assert _field_values(edit) == {
        "q0": "Une classe numérique", "q1": "4", "q2": "Cycle 3", "q3": "oui", "q4": "",
    }  # fmt: skip
    edited = await side.discord.submit_modal(dora, {"q1": "5"})
    assert _text(edited).startswith("✅ Candidature A-2026-0001 modifiée.")
    async with world.db.uow() as uow:
        application = await uow.session.scalar(select(CallApplication))
        assert application is not None and application.answers["1"] == 5

    # « Retirer »: a confirmation naming the call and the school, then withdrawn.
    asked = await side.discord.tap(dora, edited.original_id, f"ami:wd:{sent_id(sent)}")
    assert _text(asked) == (
        "Retirer la candidature A-2026-0001 de École du Soleil à l'appel « Tablettes \\<pour>"
        " les classes » ? Elle ne sera plus examinée."
    )
    kept = await side.discord.tap(dora, asked.original_id, f"ami:wdno:{sent_id(sent)}")
    assert _text(kept) == "La candidature est maintenue."
    gone = await side.discord.tap(dora, asked.original_id, f"ami:wdok:{sent_id(sent)}")
    assert _text(gone) == (
        "Candidature A-2026-0001 de École du Soleil à « Tablettes \\<pour> les classes » retirée."
    )
    again_gone = await side.discord.tap(dora, asked.original_id, f"ami:wdok:{sent_id(sent)}")
    assert _text(again_gone) == _t(world, "call.error.withdrawn")


def sent_id(record: InteractionRecord) -> int:
    """The application's ticket id, from the « Modifier » button of its card."""
    [edit] = [c for c in _response_ids(record) if c.startswith("ami:edit:")]
    return int(edit.rsplit(":", 1)[1])


def _response_ids(record: InteractionRecord) -> list[str]:
    components = (record.response or {}).get("data", {}).get("components", [])
    return [
        c["custom_id"] for row in components for c in row.get("components", []) if "custom_id" in c
    ]


async def _applications(world: World) -> int:
    async with world.db.uow() as uow:
        return len((await uow.session.scalars(select(CallApplication))).all())


async def test_late_ineligible_heads_only_and_long_calls_are_refused_on_discord(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    async with world.db.uow() as uow:
        soleil = await uow.session.get(School, world.ids["soleil"])
        assert soleil is not None
        soleil_body = soleil.body_id
    luc = await side.registered(world, "luc", Role.DIRECTOR, school="0420002Z")  # Lune
    fabien = await side.registered(world, "fabien", Role.DIRECTOR, school="0420003A")  # Forges
    zoe = await side.registered(world, "zoe", Role.TEACHER)  # Soleil
    campaign = await _publish(world, reach=Reach.BODIES, body_ids=frozenset({soleil_body}))
    long_call = await _publish(
        world,
        title="Robots",
        questions=(*QUESTIONS, Question(QuestionKind.TEXT, "Sixième question")),
    )
    # Forges is not Saint-Étienne's: not told, and refused with the domain's words.
    assert all(
        "Tablettes" not in m.content for m in side.discord.messages(side.discord.dm_channel(fabien))
    )
    refused = await _forged(side, fabien, f"ami:apply:{campaign.id}")
    assert _text(refused) == _t(world, "call.error.not_eligible")
    # A teacher on a heads' call: listed without « Candidater », refused if forged.
    listed = await side.discord.slash(zoe, "ami", channel=side.hall)
    assert _t(world, "ami.school.heads_apply").replace("'", "'") in _text(listed)
    assert _posted(side, listed).buttons == []
    teacher = await _forged(side, zoe, f"ami:apply:{campaign.id}")
    assert _text(teacher) == _t(world, "call.error.heads_only")
    # Six questions: two forms (decision 0057), said before the first.
    long_tap = await _forged(side, luc, f"ami:apply:{long_call.id}")
    assert _t(world, "dform.ami.several_forms", forms=2) in _text(long_tap)
    # Forged ids: not trusted.
    for forged in ("ami:apply:99999", "ami:apply:x", "ami:view:424242", "ami:zzz:1"):
        said = _text(await _forged(side, luc, forged))
        assert said in (
            _t(world, "call.error.campaign_not_found"),
            _t(world, "call.error.application_not_found"),
            _t(world, "common.stale_button"),
        ), forged
    # Late: the form opened a second before the closing, sent at the closing instant.
    world.clock.set(CLOSES_AT - timedelta(seconds=1))
    publication = side.discord.last_message(side.discord.dm_channel(luc))
    publication = next(
        m
        for m in side.discord.messages(side.discord.dm_channel(luc))
        if f"ami:apply:{campaign.id}" in m.custom_ids
    )
    intro = await side.discord.tap(luc, publication, f"ami:apply:{campaign.id}")
    await side.discord.tap(luc, intro.original_id, f"ami:form:{campaign.id}")
    world.clock.set(CLOSES_AT)
    late = await side.discord.submit_modal(
        luc, {"q0": "Projet", "q1": "3", "q2": "Cycle 2", "q3": "oui"}
    )
    assert _text(late) == _t(world, "call.error.closed")
    assert await _applications(world) == 0
    closed = await side.discord.tap(luc, publication, f"ami:apply:{campaign.id}")
    assert _text(closed) == _t(world, "call.error.closed")
    # Staff's /ami on Discord lists the campaigns (tests/conversations/test_discord_call_staff.py).
    sam = await side.registered(world, "sam", Role.STAFF)
    assert _text(await side.discord.slash(sam, "ami", channel=side.hall)).startswith(
        "📣 2 appels à manifestation d'intérêt :"
    )


# ------------------------------------------------------------------ /fibre and /travaux


async def test_fibre_news_told_from_discord_with_and_without_a_comment(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    staff = await world.registered("Sacha", Role.STAFF)
    dora = await side.registered(world, "dora", Role.DIRECTOR)
    claude = await side.registered(world, "claude", Role.COMMUNE)  # Saint-Étienne's schools
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    hall = side.hall

    # The choices are French, with the catalog's English for English clients.
    command = side.discord._find_command("fibre", side.guild.id)
    [news] = [o for o in command["options"] if o["name"] == "nouvelle"]
    assert [
        (c["name"], (c.get("name_localizations") or {}).get("en-US")) for c in news["choices"]
    ] == [
        ("École éligible au FTTH", "School eligible to FTTH"),
        ("Fibre arrivée jusqu'à la baie", "Fibre in, up to the cabinet"),
    ]
    refused = await side.discord.slash(zoe, "fibre", {"nouvelle": "eligible"}, channel=hall)
    assert _text(refused) == "Vous n'avez pas accès à cette action."
    summary = await side.discord.slash(dora, "fibre", {"nouvelle": "eligible"}, channel=hall)
    assert _text(summary).startswith("📡 **Votre signalement** — ")
    assert "École : École du Soleil\nSans commentaire" in _text(summary)
    [send, comment, cancel] = _posted(side, summary).custom_ids
    assert (send, cancel) == (f"ntcf:fib:{world.ids['soleil']}:eligible", "ntcf:abort")
    done = await side.discord.tap(dora, summary.original_id, send)
    assert _text(done).startswith("✅ **N-2026-0001** — École du Soleil : la SEM est prévenue")
    assert any("N-2026-0001" in t for t in world.texts(staff))
    # Told twice: the domain refuses, in French.
    twice = await side.discord.tap(dora, summary.original_id, comment)
    assert twice.modal is not None
    blank = await side.discord.submit_modal(dora, {"comment": "..."})
    assert _text(blank) == _t(world, "dflows.fibre.comment_expected")
    await side.discord.tap(dora, blank.original_id, _posted(side, blank).custom_ids[0])
    again = await side.discord.submit_modal(dora, {"comment": "Le technicien est passé."})
    assert _text(again) == _t(world, "notice.error.fibre_already_open")

    # An agent of several schools: the school asked for, suggested from theirs only.
    needed = await side.discord.slash(claude, "fibre", {"nouvelle": "installed"}, channel=hall)
    assert _text(needed) == _t(world, "dflows.notice.school_needed")
    options = await _suggest(side, claude, "fibre", "ecole", "")
    assert sorted(options) == sorted([str(world.ids["lune"]), str(world.ids["soleil"])])
    outside = await side.discord.slash(
        claude, "fibre", {"nouvelle": "installed", "ecole": "Forges"}, channel=hall
    )
    assert _text(outside) == _t(world, "notice.error.school_out_of_scope")
    lune = await side.discord.slash(
        claude, "fibre", {"nouvelle": "installed", "ecole": "0420002Z"}, channel=hall
    )
    assert "École : École de la Lune" in _text(lune)
    await side.discord.tap(claude, lune.original_id, _posted(side, lune).custom_ids[1])
    sent = await side.discord.submit_modal(claude, {"comment": "Fibre jusqu'à la baie <enfin>"})
    assert _text(sent).startswith("✅ **N-2026-0002** — École de la Lune")
    told = next(t for t in world.texts(staff) if "N-2026-0002" in t)
    assert "Fibre jusqu'à la baie <enfin>" in told


async def test_a_move_told_from_discord_with_each_field_checked(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    staff = await world.registered("Sacha", Role.STAFF)
    claude = await side.registered(world, "claude", Role.COMMUNE)
    soleil = str(world.ids["soleil"])
    intro = await side.discord.slash(
        claude, "travaux", {"genre": "move", "ecole": soleil}, channel=side.hall
    )
    assert _text(intro).startswith("🏗️ **Déménagement** — École du Soleil\n")
    fill = f"ntcf:wrk:{soleil}:move"
    assert _posted(side, intro).custom_ids == [fill, "ntcf:abort"]
    opened = await side.discord.tap(claude, intro.original_id, fill)
    assert list(_field_values(opened)) == ["description", "start", "end", "rooms", "move"]
    bad = await side.discord.submit_modal(
        claude,
        {
            "description": " . ",
            "start": "le jour d'après",
            "end": "01/01/2020",
            "move": "0429999Z",
        },
    )
    assert _text(bad).split("\n") == [
        f"**Le projet, en quelques mots** : {_t(world, 'notice.error.description_required')}",
        f"**Date de début** : {_t(world, 'works.error.date_unreadable')}",
        "**Date de fin (vide : à partir de)** : " + _t(world, "notice.error.ended"),
        "**UAI de l'école d'accueil, ou adresse** : "
        + _t(world, "notice.error.unknown_school", uai="0429999Z"),
    ]
    assert not any("N-2026" in t for t in world.texts(staff))
    await side.discord.tap(claude, bad.original_id, fill)
    same = await side.discord.submit_modal(
        claude,
        {"description": "Regroupement", "start": "13/04/2026", "move": "0420001Y"},
    )
    assert _text(same) == "**UAI de l'école d'accueil, ou adresse** : " + _t(
        world, "notice.error.move_target"
    )
    await side.discord.tap(claude, same.original_id, fill)
    done = await side.discord.submit_modal(
        claude,
        {
            "description": "Regroupement avec les Forges",
            "start": "13/04/2026",
            "end": "",
            "rooms": "CM1, BCD",
            "move": "0420003a",
        },
    )
    text = _text(done)
    assert text.startswith(
        "✅ **N-2026-0001** — Déménagement, École du Soleil : la SEM est prévenue.\n"
    )
    assert _t(world, "works.follow.before") in text
    told = next(t for t in world.texts(staff) if "N-2026-0001" in t)
    assert "Regroupement avec les Forges" in told and "CM1, BCD" in told


# ------------------------------------------------------------------------------ /classe


async def test_a_class_closure_told_from_discord_opens_the_collection_of_its_items(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    staff = await world.registered("Sacha", Role.STAFF)
    dora = await side.registered(world, "dora", Role.DIRECTOR)
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    refused = await side.discord.slash(zoe, "classe", {"changement": "closing"}, channel=side.hall)
    assert _text(refused) == "Vous n'avez pas accès à cette action."
    intro = await side.discord.slash(dora, "classe", {"changement": "closing"}, channel=side.hall)
    assert _text(intro).startswith("🏫 **Fermeture de classe** — École du Soleil\n")
    fill = f"ntcf:cls:{world.ids['soleil']}:closing"
    opened = await side.discord.tap(dora, intro.original_id, fill)
    assert list(_field_values(opened)) == ["name", "level", "day", "tags", "place"]
    bad = await side.discord.submit_modal(
        dora,
        {"name": " - ", "day": "01/03/2026", "tags": "SEM-0101, SEM-9999, SEM-0001", "place": ""},
    )
    assert _text(bad).split("\n") == [
        f"**Nom de la classe** : {_t(world, 'notice.error.class_name_required')}",
        f"**Jour** : {_t(world, 'notice.error.closure_past')}",
        "**Matériel SEM de la classe (numéros)** : "
        + _t(world, "collection.error.tag_other_school", tag="SEM-0101"),
        "**Matériel SEM de la classe (numéros)** : "
        + _t(world, "collection.error.unknown_tag", tag="SEM-9999"),
        "**Lieu de regroupement du matériel** : " + _t(world, "class_change.error.place_required"),
    ]
    await side.discord.tap(dora, bad.original_id, fill)
    unreadable = await side.discord.submit_modal(dora, {"name": "CM2 B", "day": "bientôt"})
    assert _text(unreadable) == "**Jour** : " + _t(world, "dflows.class.date_unreadable")
    assert not any("N-2026" in t for t in world.texts(staff))
    await side.discord.tap(dora, unreadable.original_id, fill)
    done = await side.discord.submit_modal(
        dora,
        {
            "name": "CM2 B",
            "level": "CM2",
            "day": "03/07/2026",
            "tags": "sem-0002",
            "place": "Bureau de la direction",
        },
    )
    lines = _text(done).split("\n\n")
    assert lines[0] == "✅ Fermeture enregistrée : N-2026-0001. La SEM est informée."
    assert lines[1].startswith("📦 La collecte du matériel de la SEM est ouverte : C-2026-0001.")
    assert lines[-1] == _t(world, "class_change.done.training")
    told = world.texts(staff)
    assert any("N-2026-0001" in t for t in told) and any("C-2026-0001" in t for t in told)
    async with world.db.uow() as uow:
        tablet = await uow.directory.equipment_by_tag("SEM-0002")
        assert isinstance(tablet, Equipment) and tablet.state != "in_service"


async def test_a_class_opening_told_by_the_body_from_discord(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    staff = await world.registered("Sacha", Role.STAFF)
    head = await world.registered("Luc", Role.DIRECTOR, school="0420002Z")  # Lune, Telegram
    claude = await side.registered(world, "claude", Role.COMMUNE)
    lune = str(world.ids["lune"])
    intro = await side.discord.slash(
        claude, "classe", {"changement": "opening", "ecole": lune}, channel=side.hall
    )
    assert "1 septembre 2026" in _text(intro)
    fill = f"ntcf:cls:{lune}:opening"
    opened = await side.discord.tap(claude, intro.original_id, fill)
    assert list(_field_values(opened)) == ["name", "level", "day"]
    far = await side.discord.submit_modal(claude, {"name": "CP C", "day": "01/09/2031"})
    assert _text(far) == "**Jour** : " + _t(world, "notice.error.too_far")
    await side.discord.tap(claude, far.original_id, fill)
    done = await side.discord.submit_modal(claude, {"name": "CP C", "day": "1er septembre"})
    assert _text(done).startswith("✅ Ouverture enregistrée : N-2026-0001.")
    assert any("N-2026-0001" in t for t in world.texts(staff))
    assert any("N-2026-0001" in t for t in world.texts(head))  # told by the body: the head hears


async def test_a_teacher_follows_the_calls_from_discord(both: tuple[World, DiscordSide]) -> None:
    from bot.services import call_applying

    world, side = both
    d = side.discord
    teacher = await side.registered(world, "zoe", Role.TEACHER)
    head = await side.registered(world, "dora", Role.DIRECTOR)
    i18n = world.app.bot_data["services"].i18n
    said = await d.slash(head, "suivre_ami", channel=side.hall)
    assert said.response is not None
    assert said.response["data"]["content"] == markdown(i18n.t("fr", "ami.follow.heads"))
    shown = await d.slash(teacher, "suivre_ami", channel=side.hall)
    assert shown.response is not None
    assert shown.response["data"]["content"] == markdown(i18n.t("fr", "ami.follow.off"))
    assert shown.original_id is not None
    followed = await d.tap(teacher, shown.original_id, "ami:follow:on")
    assert followed.response is not None
    assert followed.response["data"]["content"] == markdown(i18n.t("fr", "ami.follow.on"))
    person = await registration.find_person(world.db, DISCORD, teacher.id)
    assert person is not None and await call_applying.follows(world.db, person.id)

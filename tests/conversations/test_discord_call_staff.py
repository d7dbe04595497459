"""Staff's side of the calls for interest on Discord (/ami's campaigns and cards,
/livraison), over the same services, cards and words as Telegram's
(tests/conversations/test_calls_staff.py, test_call_campaign.py).

A call published through the services; three schools apply (two heads on Discord, one
on Telegram). Staff on Discord see the list with its counts and the card, extend the
call (an earlier closing and an unreadable one refused in the domain's words, the
confirmation naming the new closing, each applicant told on their own platform, the
confirmation stale once used); after the closing see the selection (one message per
application with its buttons, the workbook as a file), are refused a quantity beyond
what the call holds, select, wait-list and decline with a reason; send the results
(heads on Telegram and on Discord told) and serve the waiting list. /livraison: a bad
row refused line by line (nothing recorded), then good typed rows recorded, and a
supplier's CSV for the other school. Another call is cancelled (the applicant told); a
head forging staff's ids is refused, a tapped-again confirmation too.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select

from bot.domain.calls import Question, QuestionKind, Reach
from bot.domain.platforms import DISCORD, TELEGRAM
from bot.domain.roles import Role
from bot.services import calls, registration
from handlers.discord.offline.api import InteractionRecord, PostedMessage
from handlers.discord.render import markdown
from storage.models import AuditEntry, CallCampaign, Equipment, InsuranceCertificate
from tests.conversations.conftest import DiscordSide, World, outbox_sent

TITLE = "Robots en classe"
AFTER_CLOSING = datetime(2026, 3, 28, 9, 0, tzinfo=UTC)  # the extended call closed the 27th


def _md(world: World, key: str, **params: object) -> str:
    return markdown(world.app.bot_data["services"].i18n.t("fr", key, **params))


def _plain(world: World, key: str, **params: object) -> str:
    """A catalog text as Telegram shows it (tags off, entities read)."""
    import html
    import re

    text = world.app.bot_data["services"].i18n.t("fr", key, **params)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def _shown(side: DiscordSide, record: InteractionRecord) -> list[PostedMessage]:
    """Every message the bot answered the interaction with, in order."""
    ids: list[int] = []
    for message_id in (record.original_id, *record.followup_ids):
        if message_id is not None and message_id not in ids:
            ids.append(message_id)
    return [side.discord.message(i) for i in ids]


def _text(side: DiscordSide, record: InteractionRecord) -> str:
    if record.modal is not None:
        return str(record.modal.get("title", ""))
    return "\n".join(m.content for m in _shown(side, record))


def _last(side: DiscordSide, record: InteractionRecord) -> PostedMessage:
    return _shown(side, record)[-1]


def _labels(message: PostedMessage) -> list[str | None]:
    return [label for label, _ in message.buttons]


def _button(message: PostedMessage, label: str) -> str:
    found = [custom_id for shown, custom_id in message.buttons if shown == label]
    assert found, (label, message.buttons)
    assert found[0] is not None
    return found[0]


async def _person(world: World, platform: str, user: Any) -> int:
    person = await registration.find_person(world.db, platform, user.id)
    assert person is not None
    return person.id


async def _campaign(
    world: World, staff_id: int, *, title: str = TITLE, published: bool = True
) -> int:
    """A call published through the services, as test_calls_staff.py makes it: 3 kits of
    6 robots, public schools, 10 to 20 March (Paris), one free-text question."""
    now = world.clock.now()
    draft = calls.CampaignDraft(
        title=title,
        nature="robot_kit",
        description="Des robots pour apprendre à coder.",
        quantity=3,
        kit_size=6,
        reach=Reach.PUBLIC,
        opens_on=date(2026, 3, 10),
        opens_time=time(9, 0),
        closes_on=date(2026, 3, 20),
        closes_time=time(18, 0),
        questions=(Question(QuestionKind.TEXT, "Votre projet ?"),),
    )
    view = await calls.create_campaign(world.db, staff_id, draft, now)
    if published:
        await calls.publish(world.db, staff_id, view.id, now)
    return view.id


async def _applied(world: World, person_id: int, campaign_id: int, project: str) -> int:
    done = await calls.apply(world.db, person_id, campaign_id, {0: project}, world.clock.now())
    return done.view.id


def _dm(side: DiscordSide, user: Any) -> str:
    return side.discord.last_message(side.discord.dm_channel(user)).content


async def _card(side: DiscordSide, staff: Any, campaign_id: int) -> InteractionRecord:
    listed = await side.discord.slash(staff, "ami", channel=side.hall)
    return await side.discord.tap(staff, listed.original_id, f"amis:card:{campaign_id}")


async def test_staff_run_a_call_from_discord_to_its_delivery(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    d = side.discord
    dora = await side.registered(world, "dora", Role.DIRECTOR)  # École du Soleil
    luc = await world.registered("Luc", Role.DIRECTOR, school="0420002Z")  # la Lune, Telegram
    fabien = await side.registered(world, "fabien", Role.DIRECTOR, school="0420003A")  # Forges
    claude = await world.registered("Claude", Role.COMMUNE)  # Saint-Étienne, Telegram
    sam = await side.registered(world, "sam", Role.STAFF)
    staff_id = await _person(world, DISCORD, sam)
    campaign_id = await _campaign(world, staff_id)
    soleil = await _applied(world, await _person(world, DISCORD, dora), campaign_id, "Un club")
    lune = await _applied(world, await _person(world, TELEGRAM, luc), campaign_id, "En CP")
    forges = await _applied(world, await _person(world, DISCORD, fabien), campaign_id, "?")

    # /ami: the campaigns with their counts, a button each; the card and its buttons.
    listed = await d.slash(sam, "ami", channel=side.hall)
    text = _text(side, listed)
    assert text.startswith("📣 1 appel à manifestation d'intérêt :")
    assert "**Robots en classe** (n° 1) — publié" in text
    assert "3 candidatures, 0 retenue" in text
    assert _last(side, listed).buttons == [(f"{campaign_id} · {TITLE}", f"amis:card:{campaign_id}")]
    card = await d.tap(sam, listed.original_id, f"amis:card:{campaign_id}")
    assert _text(side, card).startswith("📣 **Robots en classe**\nMatériel : kit robotique")
    assert "Questions :\n1\\. Votre projet ? (réponse libre)" in _text(side, card)
    assert _labels(_last(side, card)) == ["⏰ Prolonger", "🗑 Annuler l'appel"]

    # Extended: the form offers the current closing; an earlier one and an unreadable
    # one are refused in the domain's words, with the form offered again.
    form = await d.tap(sam, card.original_id, f"amis:extend:{campaign_id}")
    assert form.modal is not None and form.modal["title"] == "Prolonger « Robots en classe »"
    [field] = [row["components"][0] for row in form.modal["components"]]
    assert field["value"] == "20/03/2026 18:00"
    earlier = await d.submit_modal(sam, {"closes": "19/03/2026 18:00"}, origin=form)
    assert _text(side, earlier) == _md(world, "call.error.extend_earlier")
    again = await d.tap(sam, earlier.original_id, f"amis:extend:{campaign_id}")
    unreadable = await d.submit_modal(sam, {"closes": "le 27"}, origin=again)
    assert _text(side, unreadable) == _md(world, "ami.staff.error.moment")
    again = await d.tap(sam, unreadable.original_id, f"amis:extend:{campaign_id}")
    asked = await d.submit_modal(sam, {"closes": "27/03/2026 18:00"}, origin=again)
    assert _text(side, asked) == (
        "Prolonger « Robots en classe » jusqu'au vendredi 27 mars 2026 à 18:00 ? Les écoles "
        "qui ont candidaté (3 candidatures) en seront prévenues."
    )
    ok = _button(_last(side, asked), "✅ Prolonger")
    done = await d.tap(sam, asked.original_id, ok)
    assert _text(side, done) == (
        "« Robots en classe » clôt désormais le vendredi 27 mars 2026 à 18:00. 3 personnes à "
        "prévenir."
    )
    await outbox_sent(world)  # the outbox sends it, then tells staff how it went
    assert (
        _dm(side, sam) == "« Robots en classe » : la prolongation reçue par 3 personnes, 0 échec."
    )
    extended = _plain(
        world,
        "ami.extended",
        title=TITLE,
        number="A-2026-0001",
        closes="vendredi 27 mars 2026 à 18:00",
    )
    assert markdown(extended.split("\n")[0]) in _dm(side, dora)
    assert world.last_text(luc).startswith(
        _plain(
            world,
            "ami.extended",
            title=TITLE,
            number="A-2026-0002",
            closes="vendredi 27 mars 2026 à 18:00",
        )
    )
    # The confirmation tapped twice: not extended again.
    twice = await d.tap(sam, asked.original_id, ok)
    assert _text(side, twice) == "Ce bouton n'est plus valable."

    # Before the closing, no decision: the domain's words.
    still_open = await _forged(side, sam, f"ami:select:{soleil}")
    assert _text(side, still_open) == _md(world, "call.error.still_open")

    # A head forging staff's ids: refused, whatever the id.
    for forged in (
        f"amis:card:{campaign_id}",
        f"amis:cxlok:{campaign_id}",
        f"amis:resok:{campaign_id}",
        f"amis:sel:{campaign_id}:0",
        f"ami:select:{soleil}",
        f"ami:decline:{lune}",
    ):
        refused = await _forged(side, dora, forged)
        assert _text(side, refused) == _md(world, "common.error.forbidden"), forged

    # After the closing: the card offers the selection, the waiting list, the results.
    world.clock.set(AFTER_CLOSING)
    card = await _card(side, sam, campaign_id)
    assert _labels(_last(side, card)) == [
        "⏰ Prolonger",
        "📋 Sélection",
        "⏳ Servir la liste d'attente",
        "📨 Envoyer les résultats",
        "🗑 Annuler l'appel",
    ]
    shown = await d.tap(sam, card.original_id, f"amis:sel:{campaign_id}:0")
    messages = _shown(side, shown)
    assert messages[0].content == (
        "📋 Sélection de « Robots en classe » : 3 candidatures. Attribué : 0 lot de 6 unités ;"
        " reste : 3 lots de 6 unités. (page 1/1)"
    )
    rows = [m for m in messages if m.content.startswith("**A-2026-")]
    assert [m.content.split(" — ")[0] for m in rows] == [
        "**A-2026-0001**",
        "**A-2026-0002**",
        "**A-2026-0003**",
    ]
    assert rows[0].content == (
        "**A-2026-0001** — École du Soleil (Saint-Étienne), envoyée le mardi 10 mars 2026 à "
        "10:00\n0 matériel de ce type en service ; 0 sinistre sur 12 mois\n**Votre projet ?** : "
        "Un club"
    )
    assert [r.buttons for r in rows] == [
        [
            ("Retenir", f"ami:select:{ticket}"),
            ("Liste d'attente", f"ami:wait:{ticket}"),
            ("Refuser", f"ami:decline:{ticket}"),
        ]
        for ticket in (soleil, lune, forges)
    ]
    assert all(len(m.content) <= 2000 for m in messages)
    [workbook] = [a for m in messages for a in m.attachments]
    assert workbook["filename"] == f"ami-{campaign_id}.xlsx"
    sheet = load_workbook(io.BytesIO(d.download(workbook["url"]))).active
    assert sheet is not None
    table = [[c.value for c in row] for row in sheet.iter_rows()]
    assert [r[0] for r in table[1:]] == ["École du Soleil", "École de la Lune", "École des Forges"]
    assert messages[-1].content == _md(world, "ami.staff.sel.foot")
    assert _labels(messages[-1]) == ["⏳ Servir la liste d'attente", "📨 Envoyer les résultats"]

    # Selected beyond what the call holds: the domain's words, the form offered again.
    form = await d.tap(sam, rows[0], f"ami:select:{soleil}")
    assert form.modal is not None and form.modal["title"] == "A-2026-0001 — École du Soleil"
    beyond = await d.submit_modal(sam, {"quantity": "5"}, origin=form)
    assert _text(side, beyond) == "L'appel n'en a plus assez : il reste 3, vous en attribuez 5."
    again = await d.tap(sam, beyond.original_id, f"ami:select:{soleil}")
    words = await d.submit_modal(sam, {"quantity": "deux"}, origin=again)
    assert _text(side, words) == _md(world, "ami.staff.error.whole_number")
    again = await d.tap(sam, words.original_id, f"ami:select:{soleil}")
    selected = await d.submit_modal(sam, {"quantity": "2"}, origin=again)
    assert (
        _text(side, selected) == "✅ A-2026-0001 (École du Soleil) : retenue, 2 lots de 6 unités."
    )
    # The waiting list asks two kits; one is left.
    form = await d.tap(sam, rows[1], f"ami:wait:{lune}")
    waiting = await d.submit_modal(sam, {"quantity": "2"}, origin=form)
    assert _text(side, waiting) == (
        "⏳ A-2026-0002 (École de la Lune) : sur liste d'attente, rang 1 (2 lots de 6 unités)."
    )
    # Declined: a blank reason refused, then a reason.
    form = await d.tap(sam, rows[2], f"ami:decline:{forges}")
    blank = await d.submit_modal(sam, {"reason": " . "}, origin=form)
    assert _text(side, blank) == _md(world, "call.error.reason", max=500)
    again = await d.tap(sam, blank.original_id, f"ami:decline:{forges}")
    declined = await d.submit_modal(sam, {"reason": "Le projet n'est pas décrit"}, origin=again)
    assert _text(side, declined) == (
        "❌ A-2026-0003 (École des Forges) : non retenue. Motif : Le projet n'est pas décrit"
    )

    # The results: confirmed, then each head told on their own platform.
    card = await _card(side, sam, campaign_id)
    asked = await d.tap(sam, card.original_id, f"amis:results:{campaign_id}")
    assert _text(side, asked) == (
        "Envoyer les résultats de « Robots en classe » ? 1 retenue, 1 en attente, 1 non "
        "retenue : chaque école recevra sa réponse, avec le motif si elle n'est pas retenue."
    )
    sent = await d.tap(sam, asked.original_id, f"amis:resok:{campaign_id}")
    assert _text(side, sent) == "Les résultats de « Robots en classe » partent vers 3 personnes."
    await outbox_sent(world)
    assert _dm(side, sam) == "« Robots en classe » : la réponse reçue par 3 personnes, 0 échec."
    assert _dm(side, dora) == (
        "🎉 Votre candidature A-2026-0001 à l'appel « Robots en classe » est retenue : "
        "2 lots de 6 unités."
    )
    assert world.last_text(luc).startswith(
        "Votre candidature A-2026-0002 à l'appel « Robots en classe » est sur liste d'attente"
        " (rang 1)"
    )
    assert _dm(side, fabien) == (
        "Votre candidature A-2026-0003 à l'appel « Robots en classe » n'est pas retenue. "
        "Motif : Le projet n'est pas décrit"
    )
    # Tapped again: the results are sent already, the domain says so; no one told twice.
    before = len(world.api.messages(luc.id))
    twice = await d.tap(sam, asked.original_id, f"amis:resok:{campaign_id}")
    assert _text(side, twice) == _md(world, "call.error.not_published")
    assert len(world.api.messages(luc.id)) == before

    # /livraison: the selected application; a bad row refused, nothing recorded.
    world.clock.set(datetime(2026, 3, 30, 8, 0, tzinfo=UTC))  # Monday 10:00, summer time
    picked = await d.slash(sam, "livraison", channel=side.hall)
    assert _text(side, picked).startswith(_md(world, "amid.ask_application"))
    [menu] = [c for c in _last(side, picked).walk() if c.get("type") == 3]
    assert [o["label"] for o in menu["options"]] == ["A-2026-0001 — École du Soleil (0/12)"]
    form = await d.choose(sam, picked.original_id, menu["custom_id"], [str(soleil)])
    assert form.modal is not None and form.modal["title"] == "Livraison A-2026-0001"
    bad = await d.submit_modal(
        sam,
        {"items": "ROB-0001;SN-1;120,00;30/03/2026\nROB-0002;SN-2;beaucoup;30/03/2026"},
        origin=form,
    )
    assert _text(side, bad).startswith(
        "Rien n'est enregistré : 1 ligne est à corriger, puis renvoyez toute la liste.\nLigne 2 : "
    )
    async with world.db.uow() as uow:
        assert await uow.directory.equipment_by_tag("ROB-0001") is None
    # « Corriger la liste »: the form filled as it was sent.
    fix = _button(_last(side, bad), "✏️ Corriger la liste")
    again = await d.tap(sam, bad.original_id, fix)
    assert again.modal is not None
    [field] = [row["components"][0] for row in again.modal["components"]]
    assert field["value"].endswith("ROB-0002;SN-2;beaucoup;30/03/2026")
    summary = await d.submit_modal(
        sam,
        {"items": "ROB-0001;SN-1;120,00;30/03/2026\nROB-0002;SN-2;120,00;30/03/2026;Salle 4"},
        origin=again,
    )
    assert _text(side, summary) == (
        "📦 **Livraison A-2026-0001** — École du Soleil\n2 articles :\n"
        "• ROB-0001 — n° de série SN-1 — 120,00\u00a0€ — installé le lundi 30 mars 2026\n"
        "• ROB-0002 — n° de série SN-2 — 120,00\u00a0€ — installé le lundi 30 mars 2026 — "
        "Salle 4\n\n"
        "L'attestation d'assurance sera demandée à Saint-Étienne (rappel chaque semaine "
        "jusqu'à son acceptation)."
    )
    record = _button(_last(side, summary), "✅ Enregistrer 2 articles — École du Soleil")
    recorded = await d.tap(sam, summary.original_id, record)
    assert _text(side, recorded) == (
        "✅ Livraison A-2026-0001 enregistrée : 2 articles à École du Soleil, à l'inventaire de"
        " la SEM. Besoin de formation noté. L'attestation d'assurance est demandée à "
        "Saint-Étienne."
    )
    assert world.last_text(claude).startswith(
        "📦 Nouveau matériel de la SEM installé à École du Soleil : 2 × kit robotique."
    )
    assert _dm(side, dora).startswith(
        "📦 Le matériel de votre candidature est installé à École du Soleil : 2 × kit robotique."
    )
    async with world.db.uow() as uow:
        item = await uow.directory.equipment_by_tag("ROB-0002")
        assert item is not None and (item.owner, item.school_id) == ("sem", world.ids["soleil"])
        asked_certificates = (await uow.session.scalars(select(InsuranceCertificate))).all()
    assert len(asked_certificates) == 1
    # The record tapped twice: nothing recorded again.
    twice = await d.tap(sam, summary.original_id, record)
    assert _text(side, twice) == "Ce bouton n'est plus valable."

    # The waiting list served once Soleil gives up... its remaining kit: La Lune's turn.
    await calls.withdraw(world.db, await _person(world, DISCORD, dora), soleil, world.clock.now())
    card = await _card(side, sam, campaign_id)
    assert _labels(_last(side, card)) == ["📋 Sélection", "⏳ Servir la liste d'attente"]
    asked = await d.tap(sam, card.original_id, f"amis:serve:{campaign_id}")
    assert _text(side, asked) == (
        "Servir la liste d'attente de « Robots en classe » ? Il reste 3 lots de 6 unités pour 1"
        " en attente, servies dans leur ordre."
    )
    kept = await d.tap(sam, asked.original_id, "amis:keep")
    assert _text(side, kept) == _md(world, "ami.staff.nothing_done")
    served = await d.tap(sam, asked.original_id, f"amis:srvok:{campaign_id}")
    assert _text(side, served).startswith(
        "« Robots en classe » : servies depuis la liste d'attente : École de la Lune. "
        "1 personne à prévenir."
    )
    await outbox_sent(world)
    assert world.last_text(luc) == (
        "🎉 Votre candidature A-2026-0002 à l'appel « Robots en classe » est retenue : "
        "2 lots de 6 unités."
    )

    # A supplier's CSV for La Lune: all or nothing, then recorded.
    bad_csv = d.file(
        "bon.csv",
        b"asset_tag;serial;value_eur;installed_on\nROB-0003;S3;120;30/03/2026\nROB-0001;;1;x\n",
        "text/csv",
    )
    refused = await d.slash(sam, "livraison", {"fichier": bad_csv}, channel=side.hall)
    assert _text(side, refused).startswith(
        "Rien n'est enregistré : 1 ligne est à corriger, puis renvoyez toute la liste.\nLigne 3 : "
    )
    good_csv = d.file(
        "bon.csv",
        b"asset_tag;serial;value_eur;installed_on;room\nROB-0003;S3;120;30/03/2026;CP\n",
        "text/csv",
    )
    picked = await d.slash(sam, "livraison", {"fichier": good_csv}, channel=side.hall)
    assert "Bon de livraison bon.csv lu : 1 article, tous lisibles." in _text(side, picked)
    [menu] = [c for c in _last(side, picked).walk() if c.get("type") == 3]
    assert [o["label"] for o in menu["options"]] == ["A-2026-0002 — École de la Lune (0/12)"]
    summary = await d.choose(sam, picked.original_id, menu["custom_id"], [str(lune)])
    assert _text(side, summary).startswith("📦 **Livraison A-2026-0002** — École de la Lune\n")
    recorded = await d.tap(
        sam,
        summary.original_id,
        _button(_last(side, summary), "✅ Enregistrer 1 article — École de la Lune"),
    )
    assert _text(side, recorded).startswith("✅ Livraison A-2026-0002 enregistrée : 1 article")
    # The first CSV's menu is stale now.
    stale = await d.choose(sam, picked.original_id, menu["custom_id"], [str(lune)])
    assert _text(side, stale) == "Ce bouton n'est plus valable."
    async with world.db.uow() as uow:
        tags = set((await uow.session.scalars(select(Equipment.asset_tag))).all())
    assert {"ROB-0001", "ROB-0002", "ROB-0003"} <= tags
    assert d.sent(ok=False) == []


async def _forged(side: DiscordSide, user: Any, custom_id: str) -> InteractionRecord:
    """``user`` taps a button ``custom_id`` they were never shown (a crafted interaction)."""
    from tests.conversations.test_discord_flows import _forged as forged

    record: InteractionRecord = await forged(side, user, custom_id)
    return record


async def test_another_call_cancelled_and_stale_or_forged_buttons_refused(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    d = side.discord
    dora = await side.registered(world, "dora", Role.DIRECTOR)
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    sam = await side.registered(world, "sam", Role.STAFF)
    staff_id = await _person(world, DISCORD, sam)
    kept = await _campaign(world, staff_id, title="Tablettes")
    campaign_id = await _campaign(world, staff_id)
    await _applied(world, await _person(world, DISCORD, dora), campaign_id, "Un club")

    listed = await d.slash(sam, "ami", channel=side.hall)
    assert _text(side, listed).startswith("📣 2 appels à manifestation d'intérêt :")
    card = await d.tap(sam, listed.original_id, f"amis:card:{campaign_id}")
    asked = await d.tap(sam, card.original_id, f"amis:cancel:{campaign_id}")
    assert _text(side, asked) == (
        "Annuler l'appel « Robots en classe » ? Ses candidatures (1 candidature) seront "
        "closes et les écoles prévenues. C'est définitif."
    )
    nothing = await d.tap(sam, asked.original_id, "amis:keep")
    assert _text(side, nothing) == _md(world, "ami.staff.nothing_done")
    done = await d.tap(sam, asked.original_id, f"amis:cxlok:{campaign_id}")
    assert _text(side, done) == "L'appel « Robots en classe » est annulé. 1 personne à prévenir."
    await outbox_sent(world)
    assert _dm(side, sam) == "« Robots en classe » : l'annulation reçue par 1 personne, 0 échec."
    assert _dm(side, dora) == markdown(
        world.app.bot_data["services"].i18n.t(
            "fr", "ami.cancelled", title=TITLE, number="A-2026-0001"
        )
    )
    async with world.db.uow() as uow:
        row = await uow.session.get(CallCampaign, campaign_id)
        other = await uow.session.get(CallCampaign, kept)
        assert row is not None and row.state == "cancelled"
        assert other is not None and other.state == "published"
    # The confirmation tapped twice: the domain refuses, nobody is told again.
    told = len(d.messages(d.dm_channel(dora)))
    twice = await d.tap(sam, asked.original_id, f"amis:cxlok:{campaign_id}")
    assert _text(side, twice) == _md(world, "call.error.not_cancellable")
    assert len(d.messages(d.dm_channel(dora))) == told
    # The cancelled call's card offers nothing more.
    card = await d.tap(sam, listed.original_id, f"amis:card:{campaign_id}")
    assert _last(side, card).buttons == []

    # A kept draft published from its card: the confirmation names the call and whom it
    # reaches; the heads told on their own platform (Discord here, Telegram there).
    luc = await world.registered("Luc", Role.DIRECTOR, school="0420002Z")
    draft_id = await _campaign(world, staff_id, title="Robots (suite)", published=False)
    card = await _card(side, sam, draft_id)
    assert _labels(_last(side, card)) == ["📣 Publier", "🗑 Annuler l'appel"]
    asked = await d.tap(sam, card.original_id, f"amis:publish:{draft_id}")
    assert _text(side, asked) == (
        "Publier l'appel « Robots (suite) » ? Il sera envoyé à 2 personnes (3 écoles). La "
        "publication ne se retire pas, elle s'annule."
    )
    published = await d.tap(sam, asked.original_id, f"amis:pubok:{draft_id}")
    assert _text(side, published) == (
        "📣 L'appel « Robots (suite) » est publié. Envoi en cours à 2 personnes : je vous "
        "dirai quand c'est fait."
    )
    await outbox_sent(world)
    assert _dm(side, sam) == "« Robots (suite) » : la publication reçue par 2 personnes, 0 échec."
    assert f"ami:apply:{draft_id}" in d.last_message(d.dm_channel(dora)).custom_ids
    assert world.last_text(luc).startswith("Nouvel appel à manifestation d'intérêt de la SEM.")
    told = len(world.api.messages(luc.id))
    republished = await d.tap(sam, asked.original_id, f"amis:pubok:{draft_id}")
    assert _text(side, republished) == _md(world, "call.error.not_draft")
    assert len(world.api.messages(luc.id)) == told
    async with world.db.uow() as uow:
        audit = await uow.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "call.delivered")
        )
    assert audit is not None and audit.details["delivered"] == 2
    # The preview's « Enregistrer comme brouillon » (its id, as /ami_nouveau offers it).
    kept_draft = await _forged(side, sam, f"amis:kept:{draft_id}")
    assert _text(side, kept_draft) == _md(world, "ami.staff.kept", title="Robots (suite)")

    # Forged or malformed ids, by staff: not honoured.
    for forged in (
        "amis:card:99999",
        "amis:card:x",
        "amis:card:99999999999",
        "amis:sel:1",
        "amis:extok:zz",
        "amis:zzz:1",
        "ami:select:99999",
        "ami:wait:x",
    ):
        said = _text(side, await _forged(side, sam, forged))
        assert said in (
            _md(world, "call.error.campaign_not_found"),
            _md(world, "call.error.application_not_found"),
            "Ce bouton n'est plus valable.",
        ), forged
    # A teacher and a head: staff's buttons and /livraison refused.
    for person in (zoe, dora):
        for forged in (f"amis:extend:{kept}", f"amis:pubok:{kept}", "amis:keep", "amid:ok:ab"):
            refused = await _forged(side, person, forged)
            assert _text(side, refused) == _md(world, "common.error.forbidden"), forged
        denied = await d.slash(person, "livraison", channel=side.hall)
        assert _text(side, denied) == _md(world, "common.error.forbidden")
    # Nothing to deliver yet: said.
    nothing = await d.slash(sam, "livraison", channel=side.hall)
    assert _text(side, nothing) == _md(world, "amid.none")
    assert d.sent(ok=False) == []


async def test_a_long_selection_is_paged_within_discords_limit(
    both: tuple[World, DiscordSide],
) -> None:
    from storage.models import School

    world, side = both
    d = side.discord
    sam = await side.registered(world, "sam", Role.STAFF)
    campaign_id = await _campaign(world, await _person(world, DISCORD, sam))
    for index in range(10):
        uai = f"04201{index:02d}K"
        async with world.db.uow() as uow:
            uow.session.add(
                School(
                    uai=uai,
                    name=f"École n° {index} 🤖",
                    commune_id=world.ids["st_etienne"],
                    sector="public",
                    created_at=world.clock.now(),
                )
            )
            await uow.commit()
        head = await side.registered(world, f"tete{index}", Role.DIRECTOR, school=uai)
        await _applied(world, await _person(world, DISCORD, head), campaign_id, "🤖" * 750)
    world.clock.set(AFTER_CLOSING)
    card = await _card(side, sam, campaign_id)
    first = await d.tap(sam, card.original_id, f"amis:sel:{campaign_id}:0")
    messages = _shown(side, first)
    assert messages[0].content.endswith("(page 1/2)")
    numbers = [m.content.split(" — ")[0] for m in messages if m.content.startswith("**A-")]
    assert numbers == [f"**A-2026-{n:04d}**" for n in range(1, 9)]
    assert len([a for m in messages for a in m.attachments]) == 1
    assert _labels(messages[-1])[0] == "Suivantes ▶️"
    second = await d.tap(sam, messages[-1], f"amis:sel:{campaign_id}:1")
    messages = _shown(side, second)
    assert messages[0].content.endswith("(page 2/2)")
    numbers = [m.content.split(" — ")[0] for m in messages if m.content.startswith("**A-")]
    assert numbers == ["**A-2026-0009**", "**A-2026-0010**"]
    assert [a for m in messages for a in m.attachments] == []  # the workbook: page 1 only
    # A page beyond the last shows the last.
    beyond = await _forged(side, sam, f"amis:sel:{campaign_id}:9999")
    assert _shown(side, beyond)[0].content.endswith("(page 2/2)")
    assert d.sent(ok=False) == []

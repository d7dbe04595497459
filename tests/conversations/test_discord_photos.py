"""Photos with /collecte and /travaux on Discord, as Telegram's dialogues take them: the
command's optional ``photo`` (an image only) is kept as a draft row under the person, named
in the summary, and stored with the flagging or the notice through the same service path
as Telegram's photos (an attachment of platform ``discord``, its URL as its id). A file
that is not an image is refused in French, nothing written; an older summary after a newer
photo, and a forged nonce, are stale."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.domain.platforms import DISCORD
from bot.domain.roles import Role
from handlers.discord.offline.api import InteractionRecord
from handlers.discord.render import markdown
from storage.models import Attachment, Ticket
from tests.conversations.conftest import DiscordSide, World

STALE = "Ce bouton n'est plus valable."


def _text(record: InteractionRecord) -> str:
    response = record.response or {}
    return str(response.get("data", response).get("content") or "")


def _posted(side: DiscordSide, record: InteractionRecord) -> Any:
    assert record.original_id is not None
    return side.discord.message(record.original_id)


def _t(world: World, key: str, **params: Any) -> str:
    return markdown(str(world.app.bot_data["services"].i18n.t("fr", key, **params)))


async def _forged(side: DiscordSide, user: Any, custom_id: str) -> InteractionRecord:
    """A button the bot never offered this person (an old or forged id), tapped."""
    offline = side.discord
    stored = offline._store_message(
        offline.dm_channel(user),
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


async def _attachments(world: World) -> list[tuple[str, str, str, str, str | None, str | None]]:
    async with world.db.uow() as uow:
        rows = await uow.session.execute(
            select(
                Ticket.number,
                Attachment.kind,
                Attachment.platform,
                Attachment.file_id,
                Attachment.file_name,
                Attachment.mime_type,
            ).join(Ticket, Ticket.id == Attachment.ticket_id)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def test_a_teacher_flags_a_tablet_with_its_photo_from_discord(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    await world.registered("Sacha", Role.STAFF)
    zoe = await side.registered(world, "zoe", Role.TEACHER)

    # Not an image: refused in French, only to her; nothing kept.
    pdf = offline.file("notice.pdf", b"%PDF-1.4", "application/pdf")
    refused = await offline.slash(
        zoe, "collecte", {"materiel": "SEM-0001", "photo": pdf}, channel=side.hall
    )
    assert _text(refused) == (
        "« notice.pdf » n'est pas une photo : joignez une image (JPEG, PNG…), ou rien."
    )
    untyped = offline.file("ecran", b"\x89PNG")
    refused = await offline.slash(
        zoe, "collecte", {"materiel": "SEM-0001", "photo": untyped}, channel=side.hall
    )
    assert _text(refused).startswith("« ecran » n'est pas une photo")

    # A first photo, then a second /collecte with another: the first summary is stale.
    first = offline.file("avant.jpg", b"\xff\xd8\xff", "image/jpeg")
    older = await offline.slash(
        zoe, "collecte", {"materiel": "SEM-0001", "photo": first}, channel=side.hall
    )
    [older_select] = _posted(side, older).custom_ids
    photo = offline.file("ecran-fissure.png", b"\x89PNG\r\n", "image/png")
    asked = await offline.slash(
        zoe, "collecte", {"materiel": "SEM-0001", "photo": photo}, channel=side.hall
    )
    [select_id] = _posted(side, asked).custom_ids
    assert select_id.startswith("colf:cond:") and select_id.count(":") == 3
    stale = await offline.choose(zoe, older.original_id, older_select, ["broken"])
    assert _text(stale) == STALE
    chosen = await offline.choose(zoe, asked.original_id, select_id, ["broken"])
    summary = _text(chosen)
    assert summary.startswith("📦 **Votre signalement** — École du Soleil\n\n")
    assert summary.endswith("\n\nPhoto jointe : 1")
    [send, cancel] = _posted(side, chosen).custom_ids
    assert (
        cancel == "colf:abort"
        and send.startswith("colf:form:")
        and send.endswith(":broken:" + select_id.rsplit(":", 1)[1])
    )
    forged = await _forged(side, zoe, send.rsplit(":", 1)[0] + ":deadbeef")
    assert _text(forged) == STALE and forged.modal is None
    opened = await offline.tap(zoe, chosen.original_id, send)
    assert opened.modal is not None
    # A blank place: refused, the form offered again with the photo still there.
    blank = await offline.submit_modal(zoe, {"place": "   "})
    assert _text(blank) == "Dites où le matériel est regroupé dans l'école."
    again = _posted(side, blank).custom_ids[0]
    assert again == send
    assert await _attachments(world) == []
    await offline.tap(zoe, blank.original_id, again)
    done = await offline.submit_modal(zoe, {"place": "Salle 12", "note": "Écran fissuré"})
    assert _text(done).startswith("✅ Signalement **C-2026-0001** envoyé : 1 objet.")
    assert await _attachments(world) == [
        (
            "C-2026-0001",
            "photo",
            str(DISCORD),
            photo["url"],
            "ecran-fissure.png",
            "image/png",
        )
    ]
    # Sent once: the same form's button is stale now (its photo is gone with it).
    late = await offline.tap(zoe, blank.original_id, again)
    assert _text(late) == STALE and late.modal is None


async def test_works_told_from_discord_with_a_photo_of_the_rooms(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    staff = await world.registered("Sacha", Role.STAFF)
    dora = await side.registered(world, "dora", Role.DIRECTOR)
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    soleil = str(world.ids["soleil"])
    photo = offline.file("salle.jpg", b"\xff\xd8\xff", "image/jpeg")

    # A teacher may not tell works, photo or not.
    refused = await offline.slash(
        zoe, "travaux", {"genre": "renovation", "photo": photo}, channel=side.hall
    )
    assert _text(refused) == "Vous n'avez pas accès à cette action."
    plan = offline.file("plan.dwg", b"AC1027", "application/acad")
    refused = await offline.slash(
        dora, "travaux", {"genre": "renovation", "photo": plan}, channel=side.hall
    )
    assert _text(refused).startswith("« plan.dwg » n'est pas une photo")

    intro = await offline.slash(
        dora, "travaux", {"genre": "renovation", "photo": photo}, channel=side.hall
    )
    assert _text(intro).endswith("\n\nPhoto jointe : 1")
    [fill, cancel] = _posted(side, intro).custom_ids
    assert fill.startswith(f"ntcf:wrk:{soleil}:renovation:") and cancel == "ntcf:abort"
    # A forged nonce: stale, no form.
    forged = await _forged(side, dora, fill.rsplit(":", 1)[0] + ":deadbeef")
    assert _text(forged) == STALE and forged.modal is None

    opened = await offline.tap(dora, intro.original_id, fill)
    assert opened.modal is not None
    bad = await offline.submit_modal(dora, {"description": "Peinture", "start": "le jour d'après"})
    assert "Date de début" in _text(bad)
    assert _posted(side, bad).custom_ids == [fill]
    await offline.tap(dora, bad.original_id, fill)
    done = await offline.submit_modal(
        dora, {"description": "Peinture de la BCD", "start": "13/04/2026", "rooms": "BCD"}
    )
    assert _text(done).startswith("✅ **N-2026-0001**")
    assert await _attachments(world) == [
        ("N-2026-0001", "photo", str(DISCORD), photo["url"], "salle.jpg", "image/jpeg")
    ]
    assert any("N-2026-0001" in t for t in world.texts(staff))
    # Without a photo, the ids and the notice are as before.
    plain = await offline.slash(dora, "travaux", {"genre": "renovation"}, channel=side.hall)
    assert _posted(side, plain).custom_ids == [f"ntcf:wrk:{soleil}:renovation", "ntcf:abort"]
    assert "Photo jointe" not in _text(plain)

"""Staff write a call for interest on Discord (/ami_nouveau), over Telegram's services.

A first form (title, description, how many, opening and closing in Paris time) refused
in the domain's words at each field and offered again as it was filled; the equipment,
units or kits (a kit's size refused, then given), who may apply and the teachers from
menus; three questions, each form refused once (an empty label, bounds the wrong way,
one option), « ✅ Terminer »; the preview counts the heads it would reach; « 📣 Publier »
asks to confirm naming the call; the publication reaches a head on Telegram and one on
Discord (« Candidater »), the author hears the count; the confirmation tapped twice
publishes once. Chosen bodies (searched, a menu of those found), levels (several at
once) and a draft kept; a teacher and a commune's agent refused; forged ids refused.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.domain.roles import Role
from handlers.discord.offline.api import InteractionRecord
from handlers.discord.render import markdown
from storage.models import AuditEntry, CallCampaign
from tests.conversations.conftest import DiscordSide, World, outbox_sent
from tests.conversations.test_bodies import _private_school_under_an_ogec

STALE = "Ce bouton n'est plus valable."


def _t(world: World, key: str, **params: object) -> str:
    """A catalog text as Discord shows it."""
    return markdown(str(world.app.bot_data["services"].i18n.t("fr", key, **params)))


def _text(record: InteractionRecord) -> str:
    response = record.response or {}
    return str(response.get("data", response).get("content") or "")


def _fields(record: InteractionRecord) -> dict[str, str]:
    assert record.modal is not None, record.response
    found: dict[str, str] = {}
    for top in record.modal["components"]:
        inner = top["components"][0] if top.get("type") == 1 else top["component"]
        found[inner["custom_id"]] = inner.get("value") or ""
    return found


def _id(message: Any, prefix: str) -> str:
    found = [c for c in message.custom_ids if c.startswith(prefix)]
    assert len(found) == 1, message.custom_ids
    return str(found[0])


def _by_label(message: Any, label: str) -> str:
    found = [custom_id for shown, custom_id in message.buttons if shown == label]
    assert len(found) == 1, message.buttons
    return str(found[0])


async def _delivered(world: World, side: DiscordSide) -> None:
    await side.discord.settle()
    await outbox_sent(world)


GOOD = {
    "title": "Tablettes pour les CM",
    "description": "Des classes mobiles de tablettes <iPad> & leur chariot.",
    "count": "3",
    "opens": "12/03/2026 08:00",
    "closes": "10/04/2026 18:00",
}


class Writer:
    """Staff on Discord, through the dialogue's messages (each the last of the channel)."""

    def __init__(self, world: World, side: DiscordSide, user: Any) -> None:
        self.world, self.side, self.user = world, side, user
        self.offline, self.hall = side.discord, side.hall

    @property
    def last(self) -> Any:
        return self.offline.last_message(self.hall)

    async def tap(self, label: str) -> InteractionRecord:
        return await self.offline.tap(self.user, self.last, _by_label(self.last, label))

    async def choose(self, prefix: str, values: list[str]) -> InteractionRecord:
        return await self.offline.choose(self.user, self.last, _id(self.last, prefix), values)

    async def submit(self, origin: InteractionRecord, **values: str) -> InteractionRecord:
        return await self.offline.submit_modal(self.user, values, origin=origin)

    async def refused(
        self, origin: InteractionRecord, said: str, **values: str
    ) -> InteractionRecord:
        """The form sent with ``values``: refused with ``said``, « ✏️ Corriger » opens it
        again filled as it was sent."""
        record = await self.submit(origin, **values)
        assert _text(record) == said, values
        again = await self.tap("✏️ Corriger")
        kept = _fields(again)
        for field, value in values.items():
            assert kept[field] == value.strip(), field
        return again

    async def to_reach(self) -> None:
        """/ami_nouveau up to « who may apply »: 3 kits of 15 tablets."""
        form = await self.offline.slash(self.user, "ami_nouveau", channel=self.hall)
        await self.submit(form, **GOOD)
        await self.choose("amic:nat:", ["tablet"])
        kit = await self.choose("amic:unit:", ["kits"])
        await self.submit(kit, size="15")


async def test_staff_write_a_call_on_discord_refused_at_each_step_then_publish_it(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    luc = await world.registered("Luc", Role.DIRECTOR, school="0420002Z")  # la Lune, Telegram
    dora = await side.registered(world, "dora", Role.DIRECTOR)  # le Soleil, Discord
    sacha = await side.registered(world, "sacha", Role.STAFF)
    w = Writer(world, side, sacha)

    form = await side.discord.slash(sacha, "ami_nouveau", channel=side.hall)
    assert form.modal is not None
    assert form.modal["title"] == "📣 Nouvel appel à manifestation d'intérêt"
    assert _fields(form)["opens"] == "Dès maintenant"

    # The form, each field refused as Telegram refuses the typed answer.
    bad = dict(GOOD, title=" … ")
    form = await w.refused(form, _t(world, "call.error.title", max=200), **bad)
    bad = dict(GOOD, title="x" * 201)
    form = await w.refused(form, _t(world, "call.error.title", max=200), **bad)
    bad = dict(GOOD, description=" . ")
    form = await w.refused(form, _t(world, "call.error.description", max=3000), **bad)
    bad = dict(GOOD, count="quinze")
    form = await w.refused(form, _t(world, "ami.staff.error.whole_number"), **bad)
    bad = dict(GOOD, count="0")
    form = await w.refused(form, _t(world, "call.error.quantity", max=100_000), **bad)
    bad = dict(GOOD, opens="demain")
    form = await w.refused(form, _t(world, "ami.staff.error.moment"), **bad)
    bad = dict(GOOD, opens="31/02/2026 08:00")
    said = "« 31/02/2026 08:00 » n'existe pas : vérifiez le jour, le mois et l'heure."
    form = await w.refused(form, said, **bad)
    bad = dict(GOOD, opens="10/03/2026 09:59")
    said = (
        "Ce moment est passé (il est mardi 10 mars 2026 à 10:00) : donnez une ouverture à "
        "venir, ou touchez « Dès maintenant »."
    )
    form = await w.refused(form, said, **bad)
    bad = dict(GOOD, closes="11/03/2026 18:00")
    form = await w.refused(form, _t(world, "ami.staff.error.closes_before"), **bad)
    bad = dict(GOOD, closes="09/03/2026 18:00")
    form = await w.refused(form, _t(world, "ami.staff.error.closes_past"), **bad)
    bad = dict(GOOD, closes="12/03/2026 20:00")
    form = await w.refused(form, _t(world, "call.error.window_short"), **bad)
    bad = dict(GOOD, closes="12/04/2027 20:00")
    form = await w.refused(form, _t(world, "call.error.window_long"), **bad)
    natures = await w.submit(form, **GOOD)
    assert _text(natures) == "« Tablettes pour les CM » : quel matériel l'appel propose-t-il ?"
    menu = w.last.component(_id(w.last, "amic:nat:"))
    assert [o["label"] for o in menu["options"]][:2] == ["ordinateur portable", "tablette"]

    # The equipment, then kits: a kit's size refused, the form offered again.
    units = await w.choose("amic:nat:", ["tablet"])
    assert _text(units) == _t(world, "ami.staff.ask_unit")
    kit = await w.choose("amic:unit:", ["kits"])
    kit = await w.refused(kit, _t(world, "call.error.kit_size", max=100), size="1")
    kit = await w.refused(kit, _t(world, "ami.staff.error.whole_number"), size="quinze")
    reach = await w.submit(kit, size="15")
    assert _text(reach) == "3 lots de 15 unités. Quelles écoles peuvent candidater ?"
    assert len(w.last.component(_id(w.last, "amic:reach:"))["options"]) == 5
    teachers = await w.choose("amic:reach:", ["public"])
    assert _text(teachers) == _t(world, "ami.staff.ask_teachers")
    questions = await w.choose("amic:teach:", ["no"])
    assert _t(world, "ami.staff.q.none") in _text(questions)

    # Three questions, each form refused once and corrected.
    number = await w.choose("amic:qk:", ["number"])
    assert number.modal is not None and number.modal["title"] == "Question : nombre"
    number = await w.refused(
        number, _t(world, "ami.staff.error.label", max=200), label="  ", bounds="1 30"
    )
    number = await w.refused(
        number,
        _t(world, "ami.staff.error.bounds_order", max=100_000),
        label="Combien d'élèves ?",
        bounds="30 1",
    )
    number = await w.refused(
        number,
        _t(world, "ami.staff.error.bounds", max=100_000),
        label="Combien d'élèves ?",
        bounds="beaucoup",
    )
    listed = await w.submit(number, label="Combien d'élèves ?", bounds="1 30")
    assert "1\\. Combien d'élèves ? (nombre, de 1 à 30)" in _text(listed)
    choice = await w.choose("amic:qk:", ["choice"])
    choice = await w.refused(
        choice, _t(world, "call.error.choices", max=8), label="Quel cycle ?", choices="Cycle 3"
    )
    choice = await w.refused(
        choice, _t(world, "ami.staff.error.choice_twice"), label="Quel cycle ?", choices="A; A"
    )
    listed = await w.submit(choice, label="Quel cycle ?", choices="Cycle 2\nCycle 3")
    assert "2\\. Quel cycle ? (choix : Cycle 2 / Cycle 3)" in _text(listed)
    commitment = await w.choose("amic:qk:", ["commitment"])
    listed = await w.submit(commitment, label="L'équipe suivra la formation")
    assert "3\\. L'équipe suivra la formation (engagement oui/non)" in _text(listed)
    assert "✅ Terminer" in [label for label, _ in w.last.buttons]

    # « Terminer »: the draft written and previewed with the heads it would reach.
    preview = await w.tap("✅ Terminer")
    text = _text(preview)
    assert text.startswith(_t(world, "ami.staff.created"))
    assert (
        "Sa publication toucherait 2 directions d'école et 0 enseignant ou enseignante qui "
        "suit les appels, dans 3 écoles." in text
    )
    assert "Des classes mobiles de tablettes \\<iPad> & leur chariot." in text
    assert [label for label, _ in w.last.buttons] == ["📣 Publier", "Enregistrer comme brouillon"]
    async with world.db.uow() as uow:
        row = await uow.session.scalar(select(CallCampaign))
    assert row is not None and row.state == "draft" and row.kit_size == 15
    assert row.quantity_count == 3 and row.reach == "public" and row.allow_teachers is False
    assert [q["kind"] for q in row.questions] == ["number", "choice", "commitment"]
    preview_message = w.last

    # « Publier » asks to confirm, naming the call; asked twice, the first is stale.
    first = await w.tap("📣 Publier")
    confirm = (
        "Publier l'appel « Tablettes pour les CM » ? Il sera envoyé à 2 personnes "
        "(3 écoles). La publication ne se retire pas, elle s'annule."
    )
    assert _text(first) == confirm
    stale = w.last
    await side.discord.tap(sacha, preview_message, _by_label(preview_message, "📣 Publier"))
    confirmation = w.last
    ok = _by_label(stale, "✅ Publier et prévenir les écoles")
    assert _text(await side.discord.tap(sacha, stale, ok)) == STALE
    done = await side.discord.tap(
        sacha, confirmation, _by_label(confirmation, "✅ Publier et prévenir les écoles")
    )
    assert _text(done) == (
        "📣 L'appel « Tablettes pour les CM » est publié. Envoi en cours à 2 personnes : "
        "je vous dirai quand c'est fait."
    )
    again = await side.discord.tap(
        sacha, confirmation, _by_label(confirmation, "✅ Publier et prévenir les écoles")
    )
    assert _text(again) == STALE
    await _delivered(world, side)

    # Each head where they are, with « Candidater »; the author hears the count.
    dm = side.discord.dm_channel(dora)
    publications = [m for m in side.discord.messages(dm) if "Tablettes pour les CM" in m.content]
    assert len(publications) == 1
    assert publications[0].buttons == [("Candidater", f"ami:apply:{row.id}")]
    heard = [t for t in world.texts(luc) if "📣 Tablettes pour les CM" in t]
    assert len(heard) == 1
    assert [d for r in world.api.last(luc.id).buttons for _, d in r] == [f"ami:apply:{row.id}"]
    report = side.discord.last_message(side.discord.dm_channel(sacha))
    assert report.content == (
        "« Tablettes pour les CM » : la publication reçue par 2 personnes, 0 échec."
    )
    async with world.db.uow() as uow:
        published = await uow.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "call.publish")
        )
        audit = await uow.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "call.delivered")
        )
    assert published == 1
    assert audit is not None and audit.details["delivered"] == 2

    # The preview's « Publier » again: the call is no longer a draft.
    late = await side.discord.tap(sacha, preview_message, _by_label(preview_message, "📣 Publier"))
    assert _text(late) == _t(world, "call.error.not_draft")


async def test_chosen_bodies_levels_and_a_draft_kept(both: tuple[World, DiscordSide]) -> None:
    world, side = both
    await _private_school_under_an_ogec(world)
    await world.registered("Marie", Role.DIRECTOR, school="0420009G")  # the private school
    sacha = await side.registered(world, "sacha", Role.STAFF)
    w = Writer(world, side, sacha)

    await w.to_reach()
    asked = await w.choose("amic:reach:", ["bodies"])
    assert _text(asked) == _t(world, "dcall.ask_bodies")
    search = await w.tap("🔎 Chercher un gestionnaire")
    search = await w.refused(search, _t(world, "ami.staff.no_body", text="zzz"), body="zzz")
    found = await w.submit(search, body="sainte")
    assert _text(found) == _t(world, "ami.staff.bodies_found")
    menu = w.last.component(_id(w.last, "amic:body:"))
    assert [o["label"] for o in menu["options"]] == ["OGEC Sainte-Marie (OGEC-SAINTE-MARIE)"]
    chosen = await w.choose("amic:body:", [menu["options"][0]["value"]])
    assert _text(chosen).startswith("Gestionnaires retenus : OGEC Sainte-Marie.")
    await w.tap("Valider ▶️")
    await w.choose("amic:teach:", ["yes"])
    preview = await w.tap("✅ Terminer")  # no question at all
    assert (
        "Sa publication toucherait 1 direction d'école et 0 enseignant ou enseignante qui "
        "suit les appels, dans 1 école." in _text(preview)
    )
    assert _t(world, "ami.staff.q.none") in _text(preview)
    kept = await w.tap("Enregistrer comme brouillon")
    assert _text(kept) == (
        "L'appel « Tablettes pour les CM » reste en brouillon. Publiez-le plus tard depuis "
        "/ami sur Telegram."
    )
    async with world.db.uow() as uow:
        row = await uow.session.scalar(select(CallCampaign))
    assert row is not None and row.state == "draft" and row.reach == "bodies"
    assert row.allow_teachers is True and len(row.reach_body_ids) == 1

    # Levels: several at once, from one menu.
    await w.to_reach()
    await w.choose("amic:reach:", ["levels"])
    levels = w.last.component(_id(w.last, "amic:lvl:"))
    assert [o["label"] for o in levels["options"]] == ["Maternelles", "Élémentaires", "Primaires"]
    assert levels["max_values"] == 3
    picked = await w.choose("amic:lvl:", ["l0", "l2"])
    assert _text(picked) == _t(world, "ami.staff.ask_teachers")
    await w.choose("amic:teach:", ["no"])
    await w.tap("✅ Terminer")
    async with world.db.uow() as uow:
        rows = list(await uow.session.scalars(select(CallCampaign).order_by(CallCampaign.id)))
    assert sorted(rows[-1].reach_levels) == ["maternelle", "primaire"]

    # Cancelled mid-way: nothing written; the older menus are stale.
    await w.to_reach()
    reach_menu = w.last
    cancelled = await w.tap("✖️ Annuler")
    assert _text(cancelled) == _t(world, "common.cancelled")
    stale = await side.discord.choose(sacha, reach_menu, _id(reach_menu, "amic:reach:"), ["all"])
    assert _text(stale) == STALE
    async with world.db.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(CallCampaign)) == 2


async def _forged(side: DiscordSide, user: Any, custom_id: str) -> InteractionRecord:
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


async def test_a_teacher_and_a_commune_agent_are_refused_and_forged_ids_too(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    forbidden = _t(world, "common.error.forbidden")
    for role in (Role.TEACHER, Role.COMMUNE):
        user = await side.registered(world, f"eve-{role.value}", role)
        record = await side.discord.slash(user, "ami_nouveau", channel=side.hall)
        assert record.modal is None and _text(record) == forbidden
        assert _text(await _forged(side, user, "amic:pub:1")) == forbidden
    stranger = side.user("nobody")
    record = await side.discord.slash(stranger, "ami_nouveau", channel=side.hall)
    assert _text(record) == _t(world, "discord.stranger")

    sacha = await side.registered(world, "sacha", Role.STAFF)
    for forged in (
        "amic:pubok:deadbeef",
        "amic:pub:99999999999",
        "amic:pub:abc",
        "amic:nat:zzzz:tablet",
        "amic:teach:deadbeef:yes",
        "amic:nowhere",
    ):
        assert _text(await _forged(side, sacha, forged)) == STALE, forged
    missing = await _forged(side, sacha, "amic:pub:4242")
    assert _text(missing) == _t(world, "call.error.campaign_not_found")
    async with world.db.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(CallCampaign)) == 0

"""Which commands each role has, in the order the help lists them: one list for every
front end (Telegram's command menu and /aide, Discord's slash commands and /aide)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.roles import Action, Role, can


@dataclass(frozen=True)
class Command:
    name: str  # as typed, French
    aliases: tuple[str, ...] = ()  # English spellings that work too
    action: Action | None = None  # who may use it; None: every registered person


# In the order /aide lists them. A command appears only once it works.
COMMANDS: tuple[Command, ...] = (
    Command("signaler", ("report",), Action.REPORT_CLAIM),
    Command("collecte", ("collect",), Action.FLAG_EQUIPMENT),
    Command("travaux", ("works",), Action.NOTIFY_WORKS),
    Command("fibre", ("fiber",), Action.NOTIFY_WORKS),
    Command("classe", ("class",), Action.NOTIFY_CLASS_CHANGE),
    Command("ami", ("calls",), Action.ANSWER_CALL),
    Command("suivre_ami", ("follow_calls",), Action.ANSWER_CALL),
    Command("sinistre", ("claim",)),
    Command("mes_dossiers", ("my_tickets",)),
    Command("file", ("queue",), Action.TRIAGE),
    Command("retards", ("overdue",), Action.TRIAGE),
    Command("dossier", ("ticket",)),
    Command("recherche", ("search",), Action.TRIAGE),
    Command("bilan", ("review",), Action.TRIAGE),
    Command("suspensions", ("holds",), Action.MANAGE_CLAIM),
    Command("tournees", ("rounds",), Action.MANAGE_EQUIPMENT),
    Command("stock", (), Action.MANAGE_EQUIPMENT),
    Command("reattribuer", ("reassign",), Action.MANAGE_EQUIPMENT),
    Command("formations", ("trainings",), Action.MANAGE_NOTICES),
    Command("reseau", ("network",), Action.MANAGE_NOTICES),
    Command("livraison", ("delivery",), Action.MANAGE_CALLS),
    Command("attestation", ("certificate",), Action.SEND_CERTIFICATE),
    Command("ami_nouveau", ("new_call",), Action.MANAGE_CALLS),
    Command("export", (), Action.TRIAGE),
    Command("repondre", ("reply",), Action.TRIAGE),
    Command("note", (), Action.TRIAGE),
    Command("inviter", ("invite",), Action.INVITE),
    Command("annonce", ("announce",), Action.TRIAGE),
    Command("aide", ("help",)),
    Command("moi", ("me",)),
    Command("langue", ("language",)),
    Command("preferences", ("preferences",)),
    Command("mes_donnees", ("my_data",)),
    Command("oublier", ("forget_me",)),
    Command("confidentialite", ("privacy",)),
    Command("annuler", ("cancel",)),
)
UNREGISTERED: tuple[str, ...] = ("start", "aide", "langue", "confidentialite")


def shown_name(command: Command, lang: str) -> str:
    """The spelling shown to a person: French, or the English alias in English."""
    return command.aliases[0] if lang == "en" and command.aliases else command.name


def commands_for(role: Role | str | None) -> list[Command]:
    if role is None:
        return [c for c in COMMANDS if c.name in UNREGISTERED]
    return [c for c in COMMANDS if c.action is None or can(role, c.action)]

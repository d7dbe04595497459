"""Random play of every other dialogue: the claim report (/signaler), staff's reply or
note from a dossier, /inviter, /annonce, the reassignment of an item of SEM's stock
(« Réattribuer », /reattribuer), /collecte and the body's removal, /travaux and /fibre,
/classe, the school network's request (/reseau) and the collection staff plan from a
works notice (« Collecter le matériel des salles »). Whatever a person taps or types, in
whatever order, the bot answers, never fails, never sends what Telegram would refuse,
keeps a person in one dialogue at a time, and stays in a state the dialogue has.

Each example is a fresh bot on a copy of a prepared database (a pledged theft claim, a
teacher, a director, a commune agent and staff, and a stranger who never registered).
One person starts a dialogue they may start (the report by a teacher, a director, a
commune agent or staff; the staff tools by staff) or one they may not (refused cleanly,
no dialogue left open), takes a few fitting answers in a row so that deep steps are
reached, then does anything: tap a button of the last message, type one of many answers
good and bad, send a photo or a document, /annuler, start again, or tap a button of an
older message. After each update the bot answered (a message, or the callback's
answer), its error handler logged nothing, Telegram refused nothing (but "message is
not modified", a button tapped again that changes nothing, which the bot lets pass),
and nobody saw the internal error message. The run is derandomised (the same examples
each time) and must reach every state of every dialogue it covers.

/classe (a class opening or closure, a head's change of post) is played here too.
A school's application to a call for interest (« Candidater », « Modifier ») and a
comment on it (« Ajouter un commentaire ») are played here too.

The follow-up dialogues of a claim are played by test_dialogue_fuzz.py, the rounds' by
test_rounds_fuzz.py; every other
ConversationHandler the Application registers must be played here (a new one fails
``test_every_registered_dialogue_is_fuzzed`` until it joins one of the two fuzzes).

SQLite only: the examples each copy a prepared database file, which on PostgreSQL
would mean a database created from a template per example (several times slower); the
dialogues' rules are tested on both engines elsewhere.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import shutil
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from telegram import Update
from telegram.ext import ConversationHandler

from bot.domain.calls import Question, QuestionKind, Reach
from bot.domain.notices import WorksKind
from bot.domain.roles import Role
from bot.services import calls, certificates, equipment_moves, notices
from bot.services.claims import FileRef
from handlers.telegram.claim_follow import FOLLOW_UPS
from handlers.telegram.offline import SimUser
from handlers.telegram.rounds import ROUND_DIALOGUES
from storage.models import Equipment, Person
from tests.conversations.conftest import World, a_world
from tests.conversations.test_bodies import _private_school_under_an_ogec
from tests.conversations.test_claim_follow_steps import _pledged
from tests.helpers import fuzz_budget
from tests.integration.test_call_delivery_service import selected_application

pytestmark = pytest.mark.filterwarnings(
    # Offline, the application is not started: the announcements' tasks are awaited here.
    "ignore:Tasks created via `Application.create_task`:telegram.warnings.PTBUserWarning"
)

# The dialogues this fuzz plays, by name.
REPORT, WRITE, INVITE, ANNOUNCE = "claim_report", "staff_write", "staff_invite", "staff_announce"
STOCK = "stock_reassign"
FLAG, REMOVAL = "collection_flag", "collection_removal"  # /collecte, the body's removal
WITHDRAW = "collection_withdraw"  # « Retirer le signalement » on a flagging's card
WORKS, FIBRE = "notice_works", "notice_fibre"  # /travaux, /fibre
CLASS = "class_change"  # /classe: a class opening or closure, a head's change of post
NETWORK, COLLECT = "notice_network", "notice_collect"  # /reseau, a works notice's collection
DELIVERY = "call_delivery"  # /livraison: a call's equipment delivered to a selected school
CERT_SEND, CERT_REFUSE = "certificate_send", "certificate_refuse"  # /attestation, « Refuser »
CALL, EXTEND, DECIDE = "call_create", "call_extend", "call_decide"  # calls, staff's side
APPLY, COMMENT = "call_apply", "call_comment"  # « Candidater » / « Modifier », a comment
COVERED = {
    CALL,
    EXTEND,
    DECIDE,
    REPORT,
    WRITE,
    INVITE,
    ANNOUNCE,
    STOCK,
    FLAG,
    REMOVAL,
    WITHDRAW,
    WORKS,
    FIBRE,
    CLASS,
    NETWORK,
    COLLECT,
    DELIVERY,
    CERT_SEND,
    CERT_REFUSE,
    APPLY,
    COMMENT,
}

# Registered by _prepare, in this order (the stranger never registers).
PEOPLE = {
    "teacher": (1001, "Zoé"),
    "agent": (1002, "Claude"),  # commune agent of Saint-Étienne: two schools to choose from
    "staff": (1003, "Sacha"),
    "director": (1004, "Dominique"),
    "stranger": (1005, "Inconnu"),
}
TICKET = 1  # the pledged claim's ticket, S-2026-0001
IN_STOCK = {"SEM-0004": 4, "SEM-0005": 5}  # put in SEM's stock by _prepare (tag: id)
COLLECTION = 2  # C-2026-0001: SEM's broken tablet and the commune's broken desktop
NOTICE = 3  # N-2026-0001: works in « salle 5 », where SEM-0007 is
CERTIFICATE = 1  # Saint-Étienne's insurance certificate, sent by its agent, to decide
CLOSED_CALL, OPEN_CALL = 1, 2  # calls for interest: one closed, one taking applications
APPLICATION = 4  # A-2026-0001: the director's school's application to the closed call
SCHOOL_CALL, APPLIED_CALL = 3, 4  # calls open to Soleil; Soleil applied to the second
SCHOOL_APPLICATION = 5  # A-2026-0002: Soleil's application to the second call

# (who, how, what, the dialogue it starts, whether this person may start it)
Start = tuple[str, str, str, str, bool]
STARTS: list[Start] = [  # the deepest dialogues first: small indices are drawn more often
    ("staff", "text", "/inviter", INVITE, True),
    ("staff", "text", "/annonce", ANNOUNCE, True),
    ("teacher", "text", "/collecte", FLAG, True),
    ("agent", "text", "/collecte", FLAG, True),
    ("agent", "forge", f"col:rm:{COLLECTION}", REMOVAL, True),
    ("teacher", "text", "/signaler", REPORT, True),
    ("agent", "text", "/signaler", REPORT, True),
    ("staff", "text", "/invite", INVITE, True),
    ("staff", "text", "/announce", ANNOUNCE, True),
    ("director", "text", "/signaler", REPORT, True),
    ("staff", "text", "/signaler", REPORT, True),
    ("staff", "forge", f"tk:reply:{TICKET}", WRITE, True),
    ("teacher", "text", "/report", REPORT, True),
    ("staff", "forge", f"tk:note:{TICKET}", WRITE, True),
    ("director", "text", "/collect", FLAG, True),
    ("staff", "text", "/collecte", FLAG, True),
    ("stranger", "text", "/signaler", REPORT, False),
    ("teacher", "text", "/inviter", INVITE, False),
    ("director", "text", "/annonce", ANNOUNCE, False),
    ("agent", "text", "/inviter", INVITE, False),
    ("teacher", "forge", f"tk:reply:{TICKET}", WRITE, False),
    ("agent", "forge", f"tk:note:{TICKET}", WRITE, False),
    ("staff", "forge", "stk:pick:4", STOCK, True),
    ("staff", "text", "/reattribuer SEM-0005 0420002Z", STOCK, True),
    ("staff", "forge", "stk:pick:5", STOCK, True),
    ("teacher", "forge", "stk:pick:4", STOCK, False),
    ("director", "text", "/reattribuer SEM-0004 0420002Z", STOCK, False),
    ("stranger", "text", "/collecte", FLAG, False),
    ("teacher", "forge", f"col:rm:{COLLECTION}", REMOVAL, False),
    ("agent", "text", "/travaux", WORKS, True),
    ("director", "text", "/travaux", WORKS, True),
    ("agent", "text", "/fibre", FIBRE, True),
    ("staff", "text", "/works", WORKS, True),
    ("director", "text", "/fiber", FIBRE, True),
    ("teacher", "text", "/travaux", WORKS, False),
    ("teacher", "text", "/fibre", FIBRE, False),
    ("stranger", "text", "/travaux", WORKS, False),
    ("teacher", "forge", f"col:wd:{COLLECTION}", WITHDRAW, True),
    ("director", "forge", f"col:wd:{COLLECTION}", WITHDRAW, True),
    ("stranger", "forge", f"col:wd:{COLLECTION}", WITHDRAW, False),
    ("director", "text", "/classe", CLASS, True),
    ("agent", "text", "/classe", CLASS, True),
    ("staff", "text", "/class", CLASS, True),
    ("teacher", "text", "/classe", CLASS, False),
    ("stranger", "text", "/class", CLASS, False),
    ("staff", "text", "/reseau 0420001Y Chaudière <mairie> & caméra", NETWORK, True),
    ("staff", "forge", f"ntc:collect:{NOTICE}", COLLECT, True),
    ("staff", "text", "/network 0420002Z Caméra", NETWORK, True),
    ("teacher", "text", "/reseau 0420001Y Caméra", NETWORK, False),
    ("agent", "forge", f"ntc:collect:{NOTICE}", COLLECT, False),
    ("director", "forge", f"ntc:collect:{NOTICE}", COLLECT, False),
    ("staff", "text", "/livraison", DELIVERY, True),
    ("staff", "text", "/delivery", DELIVERY, True),
    ("director", "text", "/livraison", DELIVERY, False),
    ("agent", "text", "/livraison", DELIVERY, False),
    ("agent", "text", "/attestation", CERT_SEND, True),
    ("agent", "text", "/certificate", CERT_SEND, True),
    ("teacher", "text", "/attestation", CERT_SEND, False),
    ("director", "text", "/attestation", CERT_SEND, False),
    ("staff", "forge", f"cert:no:{CERTIFICATE}", CERT_REFUSE, True),
    ("agent", "forge", f"cert:no:{CERTIFICATE}", CERT_REFUSE, False),
    ("staff", "text", "/ami_nouveau", CALL, True),
    ("staff", "forge", f"amis:extend:{OPEN_CALL}", EXTEND, True),
    ("staff", "forge", f"ami:select:{APPLICATION}", DECIDE, True),
    ("staff", "forge", f"ami:wait:{APPLICATION}", DECIDE, True),
    ("staff", "forge", f"ami:decline:{APPLICATION}", DECIDE, True),
    ("staff", "forge", f"amis:extend:{CLOSED_CALL}", EXTEND, True),
    ("staff", "text", "/new_call", CALL, True),
    ("teacher", "text", "/ami_nouveau", CALL, False),
    ("director", "text", "/ami_nouveau", CALL, False),
    ("agent", "forge", f"amis:extend:{OPEN_CALL}", EXTEND, False),
    ("director", "forge", f"ami:select:{APPLICATION}", DECIDE, False),
    ("teacher", "forge", f"ami:decline:{APPLICATION}", DECIDE, False),
    ("director", "forge", f"ami:apply:{SCHOOL_CALL}", APPLY, True),
    ("teacher", "forge", f"ami:apply:{SCHOOL_CALL}", APPLY, True),
    ("director", "forge", f"ami:edit:{SCHOOL_APPLICATION}", APPLY, True),
    ("teacher", "forge", f"ami:comment:{SCHOOL_APPLICATION}", COMMENT, True),
    ("agent", "forge", f"ami:apply:{SCHOOL_CALL}", APPLY, False),
    ("stranger", "forge", f"ami:apply:{SCHOOL_CALL}", APPLY, False),
    ("agent", "forge", f"ami:comment:{SCHOOL_APPLICATION}", COMMENT, False),
]
REFUSED = {i for i, start in enumerate(STARTS) if not start[4]}
FLAG_START: Start = ("teacher", "text", "/collecte", FLAG, True)
ANNOUNCE_START: Start = ("staff", "text", "/annonce", ANNOUNCE, True)
REPORT_START: Start = ("teacher", "text", "/signaler", REPORT, True)
WORKS_START: Start = ("agent", "text", "/travaux", WORKS, True)
FIBRE_START: Start = ("agent", "text", "/fibre", FIBRE, True)
CLASS_START: Start = ("director", "text", "/classe", CLASS, True)
DELIVERY_START: Start = ("staff", "text", "/livraison", DELIVERY, True)
CERT_SEND_START: Start = ("agent", "text", "/attestation", CERT_SEND, True)
CERT_REFUSE_START: Start = ("staff", "forge", f"cert:no:{CERTIFICATE}", CERT_REFUSE, True)
CALL_START: Start = ("staff", "text", "/ami_nouveau", CALL, True)
APPLY_START: Start = ("director", "forge", f"ami:apply:{SCHOOL_CALL}", APPLY, True)
EDIT_START: Start = ("director", "forge", f"ami:edit:{SCHOOL_APPLICATION}", APPLY, True)
COMMENT_START: Start = ("teacher", "forge", f"ami:comment:{SCHOOL_APPLICATION}", COMMENT, True)


def _own(start: Start) -> int:
    """The « restart » move that starts ``start`` again (its index among its person's)."""
    return [s for s in STARTS if s[0] == start[0]].index(start)


TEXTS = [  # what a Telegram client can send (never empty, at most 4096 characters)
    "\u200b",
    "  ",
    ".",
    "0",
    "42",
    "-3",
    "1 000 000",
    "abc",
    "<b>&",
    "<i>non fermé",
    "a & b < c > d",
    "🙂📷🔥",
    "é" * 200,
    "x" * 4096,
    "SEM-0003",
    "SEM-0101",
    "SEM-0001, SEM-0004 ; INCONNU-7",
    "INCONNU-7",
    "soleil",
    "Saint",
    "42095",
    "maintenant",
    "aujourd'hui 9h",
    "hier 20h",
    "demain",
    "01/01/1990",
    "09/03/2026",
    "15/06/2031",
    "31/02/2026",
    "48h",
    "365 jours",
    "/aide",
    "/inconnue",
]
# A fitting answer to the question asked at each step (the fuzz then reaches every step).
# ("press", prefix): a button of the last message whose data starts with prefix.
Move = tuple[str, Any]
GOOD: dict[tuple[str, object], list[Move]] = {
    (CALL, "amc_title"): [("text", "Tablettes <b>CM</b> & co"), ("text", " . ")],
    (CALL, "amc_nature"): [("press", "amc:nat:"), ("tap", 1)],
    (CALL, "amc_description"): [("text", "Des tablettes & leur chariot")],
    (CALL, "amc_unit"): [("press", "amc:unit:kits"), ("press", "amc:unit:units")],
    (CALL, "amc_kit"): [("text", "15"), ("text", "1")],
    (CALL, "amc_count"): [("text", "3"), ("text", "0")],
    (CALL, "amc_reach"): [
        ("press", "amc:reach:bodies"),
        ("press", "amc:reach:levels"),
        ("press", "amc:reach:public"),
    ],
    (CALL, "amc_pick"): [
        ("text", "sainte"),
        ("press", "amc:body:"),
        ("press", "amc:lvl:"),
        ("press", "amc:pick:done"),
    ],
    (CALL, "amc_opens"): [
        ("press", "amc:now"),
        ("text", "12/03/2026 08:00"),
        ("text", "01/01/1990 08:00"),
    ],
    (CALL, "amc_closes"): [("text", "10/04/2026 18:00"), ("text", "11/03/2026 08:00")],
    (CALL, "amc_teachers"): [("press", "amc:teach:")],
    (CALL, "amc_questions"): [
        ("press", "amc:q:number"),
        ("press", "amc:q:choice"),
        ("press", "amc:q:text"),
        ("press", "amc:q:done"),
    ],
    (CALL, "amc_label"): [("text", "Combien d'élèves ?")],
    (CALL, "amc_bounds"): [("text", "1 30"), ("text", "30 1")],
    (CALL, "amc_choices"): [("text", "Cycle 2; Cycle 3"), ("text", "Cycle 2")],
    (EXTEND, "ame_closes"): [("text", "27/04/2026 18:00"), ("text", "01/01/1990 08:00")],
    (EXTEND, "ame_confirm"): [("press", "amis:extok:")],
    (DECIDE, "amd_quantity"): [("text", "1"), ("text", "5"), ("text", "abc")],
    (DECIDE, "amd_reason"): [("text", "Pas de projet <décrit>"), ("text", " . ")],
    (REPORT, "resume"): [("press", "clm:draft:resume"), ("press", "clm:draft:restart")],
    (REPORT, "kind"): [("tap", 0), ("tap", 1), ("tap", 2)],
    (REPORT, "cause"): [("tap", 0), ("tap", 1), ("tap", 3)],  # vandalism, then accidents
    (REPORT, "school"): [("press", "clm:school:"), ("text", "soleil")],
    (REPORT, "items"): [
        ("press", "clm:item:"),
        ("text", "SEM-0003"),
        ("text", "INCONNU-7"),
        ("press", "clm:items:done"),
        ("press", "clm:items:done"),
    ],
    (REPORT, "describe"): [("text", "Vidéoprojecteur prêté par la mairie")],
    (REPORT, "when"): [("text", "aujourd'hui 9h"), ("text", "hier 20h")],
    (REPORT, "what"): [("text", "Volée pendant la récréation")],
    (REPORT, "files"): [
        ("photo", None),
        ("document", None),
        ("press", "clm:fp:"),  # what the file is (a quote, the complaint's receipt…)
        ("press", "clm:files:done"),
    ],
    (REPORT, "summary"): [
        ("press", "clm:confirm"),
        ("press", "clm:fix"),
        ("press", "clm:fix:"),
    ],
    (WRITE, "write"): [("text", "Merci, la police a-t-elle un <numéro> & une date ?")],
    (INVITE, "inv_role"): [("tap", 2), ("tap", 0), ("tap", 3), ("tap", 1)],  # commune first
    (INVITE, "inv_school"): [("text", "soleil"), ("press", "inv:school:")],
    (INVITE, "inv_commune"): [("text", "Saint"), ("press", "inv:commune:")],
    (INVITE, "inv_validity"): [("tap", 0), ("text", "48h")],
    (INVITE, "inv_summary"): [("press", "inv:ok")],
    (ANNOUNCE, "ann_audience"): [
        ("press", "ann:to:"),
        ("press", "ann:to:commune"),
        ("press", "ann:to:body"),
    ],
    (ANNOUNCE, "ann_commune"): [("text", "Saint-Étienne"), ("press", "ann:commune:")],
    (ANNOUNCE, "ann_body"): [("text", "OGEC"), ("press", "ann:body:"), ("text", "zzz")],
    (ANNOUNCE, "ann_text"): [("text", "Réunion <b>jeudi</b> & vendredi, 14h")],
    (ANNOUNCE, "ann_preview"): [("press", "ann:send"), ("press", "ann:edit")],
    (STOCK, "stk_school"): [
        ("press", "stk:to:"),
        ("text", "lune"),
        ("text", "0420002Z"),
        ("text", "0420001Y"),  # the school the item came from: refused, asked again
    ],
    (STOCK, "stk_confirm"): [("press", "stk:ok:"), ("press", "stk:no:")],
    (FLAG, "col_school"): [("press", "col:school:"), ("text", "soleil")],
    (FLAG, "col_items"): [
        ("press", "col:item:"),
        ("text", "SEM-0003"),
        ("text", "SEM-0002 INCONNU-7 SEM-0101"),
        ("press", "col:page:"),
        ("press", "col:items:done"),
    ],
    (FLAG, "col_condition"): [("press", "col:cond:"), ("tap", 1)],
    (FLAG, "col_note"): [("text", "Écran <fissuré> & rayé"), ("press", "col:nonote:")],
    (FLAG, "col_place"): [("text", "Salle 12 : en panne à gauche, inutilisé à droite")],
    (FLAG, "col_when"): [
        ("press", "col:day:"),
        ("press", "col:hol"),
        ("text", "8 h 30 – 11 h 30"),
        ("press", "col:when:done"),
    ],
    (FLAG, "col_photos"): [("photo", None), ("press", "col:photos:done")],
    (FLAG, "col_summary"): [("press", "col:send:"), ("press", "col:fix"), ("press", "col:fix:")],
    (REMOVAL, "col_rm_reference"): [("text", "DEC-2026-118"), ("press", "col:noref")],
    (REMOVAL, "col_rm_confirm"): [("press", "col:rmok:"), ("press", "col:rmno:")],
    (WITHDRAW, "col_wd_reason"): [("text", "Il fonctionne <de nouveau>"), ("text", " … ")],
    (WITHDRAW, "col_wd_confirm"): [("press", "col:wdok:"), ("press", "col:wdno:")],
    (WORKS, "wrk_school"): [("press", "wrk:school:"), ("text", "soleil"), ("text", "zzz")],
    (WORKS, "wrk_kind"): [("press", "wrk:kind:"), ("press", "wrk:kind:move"), ("tap", 1)],
    (WORKS, "wrk_description"): [("text", "Peinture <b>des</b> salles & sols")],
    (WORKS, "wrk_start"): [
        ("text", "13/04/2026"),
        ("text", "13 avril"),
        ("text", "31/02/2026"),
        ("text", "02/03/2026"),
    ],
    (WORKS, "wrk_end"): [("press", "wrk:open"), ("text", "24/04/2026"), ("text", "01/04/2026")],
    (WORKS, "wrk_rooms"): [("press", "wrk:whole"), ("text", "Salle 2, CM1")],
    (WORKS, "wrk_move"): [
        ("text", "0420003A"),
        ("text", "12 rue des Écoles"),
        ("text", "0420001Y"),
    ],
    (WORKS, "wrk_files"): [("photo", None), ("document", None), ("press", "wrk:files:done")],
    (WORKS, "wrk_summary"): [("press", "wrk:send:"), ("press", "wrk:fix"), ("press", "wrk:fix:")],
    (FIBRE, "fib_school"): [("press", "fib:school:"), ("text", "lune")],
    (FIBRE, "fib_news"): [("press", "fib:news:")],
    (FIBRE, "fib_comment"): [("text", "Orange <en mai> & juin"), ("press", "fib:skip")],
    (FIBRE, "fib_confirm"): [("press", "fib:send:"), ("press", "fib:abort")],
    (CLASS, "cls_school"): [("press", "cls:school:"), ("text", "soleil"), ("text", "zzz")],
    (CLASS, "cls_change"): [
        ("press", "cls:chg:closing"),
        ("press", "cls:chg:opening"),
        ("press", "cls:chg:post"),
    ],
    (CLASS, "cls_note"): [("text", "Nouvelle <directrice> & un adjoint")],
    (CLASS, "cls_name"): [("text", "CM1 <B> & C"), ("text", "  ")],
    (CLASS, "cls_level"): [
        ("press", "cls:lvl:"),
        ("press", "cls:lvl:other"),
        ("text", "CE2-CM1"),
    ],
    (CLASS, "cls_date"): [
        ("press", "cls:day:proposed"),
        ("text", "01/09/2026"),
        ("text", "09/03/2026"),  # a closure in the past: refused, asked again
        ("text", "15/06/2031"),
    ],
    (CLASS, "cls_items"): [
        ("press", "cls:item:"),
        ("text", "SEM-0003"),
        ("text", "SEM-0002 INCONNU-7 SEM-0101 COM-0001"),
        ("press", "cls:page:"),
        ("press", "cls:items:done"),
        ("press", "cls:items:none"),
    ],
    (CLASS, "cls_place"): [("text", "Bureau <de> la direction & salle 3")],
    (CLASS, "cls_summary"): [("press", "cls:send:")],
    (NETWORK, "net_confirm"): [("press", "net:ok:"), ("press", "net:no:")],
    (COLLECT, "ntc_items"): [("press", "ntc:ct:"), ("press", "ntc:cdone")],
    (COLLECT, "ntc_place"): [("text", "Salle des maîtres <placard> & co")],
    (COLLECT, "ntc_confirm"): [("press", "ntc:cok:"), ("press", "ntc:cno:")],
    (DELIVERY, "amid_app"): [("press", "amid:app:"), ("text", "soleil")],
    (DELIVERY, "amid_items"): [
        ("text", "PC-0001;SN-1;459,90;09/03/2026;Salle <3> & co"),
        ("text", "PC 1!;;abc;31/02/2026\nPC-2;x"),
        ("text", "SEM-0001;;1;09/03/2026"),
        ("document", None),
    ],
    (DELIVERY, "amid_confirm"): [
        ("press", "amid:ok:"),
        ("press", "amid:fix"),
        ("press", "amid:abort"),
    ],
    (CERT_SEND, "cert_file"): [("document", None), ("text", "la voici")],
    (CERT_SEND, "cert_from"): [("text", "01/01/2026"), ("text", "bientôt")],
    (CERT_SEND, "cert_until"): [
        ("text", "31/12/2026"),
        ("text", "31/12/2025"),
        ("text", "01/01/2026"),
    ],
    (CERT_SEND, "cert_confirm"): [("press", "cert:send:"), ("press", "cert:abort")],
    (CERT_REFUSE, "cert_reason"): [("text", "Page 2 <manquante> & illisible"), ("text", " . ")],
    (CERT_REFUSE, "cert_rconfirm"): [("press", "cert:rok:"), ("press", "cert:rno")],
    (APPLY, "ami_answer"): [
        ("text", "Une classe <numérique> & co"),
        ("text", "4"),
        ("press", "ami:ans:c"),
        ("press", "ami:ans:yes"),
        ("press", "ami:ans:no"),
        ("press", "ami:ans:skip"),
    ],
    (APPLY, "ami_summary"): [("press", "ami:send:"), ("press", "ami:fix"), ("press", "ami:fix:")],
    (COMMENT, "ami_comment_text"): [("text", "Je peux <animer> & suivre")],
    (COMMENT, "ami_comment_confirm"): [("press", "ami:cmok:"), ("press", "ami:cmno")],
}
# The answer that moves on, tried in order (a press only if that button is there).
FORWARD: dict[tuple[str, object], list[Move]] = {
    **GOOD,
    (CALL, "amc_title"): [("text", "Tablettes")],
    (CALL, "amc_nature"): [("press", "amc:nat:")],
    (CALL, "amc_unit"): [("press", "amc:unit:")],
    (CALL, "amc_kit"): [("text", "15")],
    (CALL, "amc_count"): [("text", "3")],
    (CALL, "amc_reach"): [("press", "amc:reach:")],
    (CALL, "amc_pick"): [("press", "amc:body:"), ("press", "amc:pick:done"), ("text", "sainte")],
    (CALL, "amc_opens"): [("press", "amc:now")],
    (CALL, "amc_closes"): [("text", "10/04/2026 18:00")],
    (CALL, "amc_questions"): [("press", "amc:q:")],
    (CALL, "amc_bounds"): [("text", "1 30")],
    (CALL, "amc_choices"): [("text", "Cycle 2; Cycle 3")],
    (EXTEND, "ame_closes"): [("text", "27/04/2026 18:00")],
    (DECIDE, "amd_quantity"): [("text", "1")],
    (DECIDE, "amd_reason"): [("text", "Pas de projet")],
    (REPORT, "resume"): [("press", "clm:draft:resume")],
    (REPORT, "kind"): [("tap", 0), ("tap", 2)],  # a theft, or a damage (then its cause)
    (REPORT, "cause"): [("tap", 0), ("tap", 1)],
    (REPORT, "school"): [("press", "clm:school:"), ("text", "soleil")],
    (REPORT, "items"): [("done", "clm:items:done"), ("press", "clm:item:"), ("text", "INCONNU-7")],
    (REPORT, "files"): [("press", "clm:files:done")],
    (REPORT, "summary"): [("press", "clm:confirm")],
    (INVITE, "inv_school"): [("press", "inv:school:"), ("text", "soleil")],
    (INVITE, "inv_commune"): [("press", "inv:commune:"), ("text", "Saint")],
    (ANNOUNCE, "ann_commune"): [("press", "ann:commune:"), ("text", "Saint-Étienne")],
    (ANNOUNCE, "ann_body"): [("press", "ann:body:"), ("text", "OGEC")],
    (ANNOUNCE, "ann_preview"): [("press", "ann:send")],
    (STOCK, "stk_school"): [("press", "stk:to:"), ("text", "0420002Z")],
    (STOCK, "stk_confirm"): [("press", "stk:ok:")],
    (FLAG, "col_school"): [("press", "col:school:"), ("text", "soleil")],
    (FLAG, "col_items"): [("done", "col:items:done"), ("press", "col:item:"), ("text", "SEM-0003")],
    (FLAG, "col_condition"): [("press", "col:cond:")],
    (FLAG, "col_note"): [("press", "col:nonote:")],
    (FLAG, "col_when"): [("press", "col:when:done")],
    (FLAG, "col_photos"): [("press", "col:photos:done")],
    (FLAG, "col_summary"): [("press", "col:send:")],
    (REMOVAL, "col_rm_confirm"): [("press", "col:rmok:")],
    (WITHDRAW, "col_wd_reason"): [("text", "Il fonctionne de nouveau")],
    (WITHDRAW, "col_wd_confirm"): [("press", "col:wdok:")],
    (WORKS, "wrk_school"): [("press", "wrk:school:"), ("text", "soleil")],
    (WORKS, "wrk_kind"): [("tap", 4), ("tap", 1), ("tap", 0)],  # a move, then others
    (WORKS, "wrk_start"): [("text", "13/04/2026")],
    (WORKS, "wrk_end"): [("press", "wrk:open"), ("text", "24/04/2026")],
    (WORKS, "wrk_rooms"): [("press", "wrk:whole"), ("text", "Salle 2")],
    (WORKS, "wrk_move"): [("text", "0420003A")],
    (WORKS, "wrk_files"): [("press", "wrk:files:done"), ("photo", None)],
    (WORKS, "wrk_summary"): [("press", "wrk:send:")],
    (FIBRE, "fib_school"): [("press", "fib:school:"), ("text", "soleil")],
    (FIBRE, "fib_comment"): [("press", "fib:skip"), ("text", "Orange")],
    (FIBRE, "fib_confirm"): [("press", "fib:send:")],
    (CLASS, "cls_school"): [("press", "cls:school:"), ("text", "soleil")],
    (CLASS, "cls_change"): [("press", "cls:chg:")],  # opening, closing, a change of post
    (CLASS, "cls_level"): [("press", "cls:lvl:C")],
    (CLASS, "cls_date"): [("press", "cls:day:proposed")],
    (CLASS, "cls_items"): [
        ("done", "cls:items:done"),
        ("press", "cls:item:"),
        ("press", "cls:items:none"),
    ],
    (NETWORK, "net_confirm"): [("press", "net:ok:")],
    (COLLECT, "ntc_items"): [("done", "ntc:cdone"), ("press", "ntc:ct:")],
    (COLLECT, "ntc_confirm"): [("press", "ntc:cok:")],
    (DELIVERY, "amid_app"): [("press", "amid:app:")],
    (DELIVERY, "amid_items"): [("text", "PC-0001;SN-1;459,90;09/03/2026")],
    (DELIVERY, "amid_confirm"): [("press", "amid:ok:")],
    (CERT_SEND, "cert_file"): [("document", None)],
    (CERT_SEND, "cert_from"): [("text", "01/01/2026")],
    (CERT_SEND, "cert_until"): [("text", "31/12/2026")],
    (CERT_SEND, "cert_confirm"): [("press", "cert:send:")],
    (CERT_REFUSE, "cert_reason"): [("text", "Page 2 manquante")],
    (CERT_REFUSE, "cert_rconfirm"): [("press", "cert:rok:")],
    # Whatever the question: its choice, « Oui », « Passer », else a number (a text too).
    (APPLY, "ami_answer"): [
        ("press", "ami:ans:keep"),
        ("press", "ami:ans:c"),
        ("press", "ami:ans:yes"),
        ("press", "ami:ans:skip"),
        ("text", "4"),
    ],
    (APPLY, "ami_summary"): [("press", "ami:send:")],
    (COMMENT, "ami_comment_confirm"): [("press", "ami:cmok:")],
}
MOVES = st.one_of(
    st.tuples(st.just("good"), st.integers(0, 5)),
    st.tuples(st.just("good"), st.integers(0, 5)),
    st.tuples(st.just("good"), st.integers(0, 5)),
    st.tuples(st.just("tap"), st.integers(0, 9)),
    st.tuples(st.just("text"), st.sampled_from(TEXTS)),
    st.tuples(st.just("photo"), st.none()),
    st.tuples(st.just("document"), st.none()),
    st.tuples(st.just("cancel"), st.none()),
    st.tuples(st.just("restart"), st.integers(0, 5)),
    st.tuples(st.just("stale"), st.integers(0, 10_000)),
)
# A start, a few fitting answers in a row (so that deep steps are reached), then anything.
PLANS = st.tuples(
    st.integers(0, len(STARTS) - 1),
    st.lists(st.integers(0, 5), max_size=9),
    st.lists(MOVES, max_size=8),
)
Plan = tuple[int, list[int], list[Move]]
NOT_MODIFIED = "message is not modified"
PDF = b"%PDF-1.4\n%%EOF\n"
INTERNAL_ERROR = "Désolé, une erreur s'est produite de mon côté."


async def _prepare(url: str) -> None:
    """The pledged claim S-2026-0001 and its people, and two items in SEM's stock, once
    for every example."""
    async with a_world(url) as world:
        teacher, agent, staff = await _pledged(world)
        await _private_school_under_an_ogec(world)  # an OGEC, for /annonce to one body
        director = await world.registered("Dominique", Role.DIRECTOR)
        ids = {"teacher": teacher.id, "agent": agent.id, "staff": staff.id, "director": director.id}
        assert ids == {who: PEOPLE[who][0] for who in ids}
        async with world.db.uow() as uow:  # SEM's stock, for the reassignment dialogue
            for tag, equipment_id in IN_STOCK.items():
                item = await uow.directory.equipment_by_tag(tag)
                assert item is not None and item.id == equipment_id
                for state in ("unused", "awaiting_collection", "collected", "in_stock"):
                    await equipment_moves.move(uow, item, state, actor=None, now=world.clock.now())
            await uow.commit()
        await world.api.send_text(staff, "/dossier S-2026-0001")
        data = {d for row in world.api.last(staff.id).buttons for _, d in row}
        assert f"tk:reply:{TICKET}" in data, data
        # A flagging with the commune's own broken desktop, for its removal dialogue (and a
        # SEM item of its own, so that SEM-0003 stays in service for the plays).
        async with world.db.uow() as uow:
            for tag, owner in (("COM-0001", "commune"), ("SEM-0006", "sem")):
                uow.session.add(
                    Equipment(
                        asset_tag=tag,
                        school_id=world.ids["soleil"],
                        type="desktop",
                        model="HP ProDesk",
                        owner=owner,
                        state="in_service",
                        created_at=world.clock.now(),
                        updated_at=world.clock.now(),
                    )
                )
            await uow.commit()
        await world.api.send_text(teacher, "/collecte")
        await world.api.send_text(teacher, "COM-0001 SEM-0006")
        for answer in ("col:items:done", "col:cond:0:broken", "col:nonote:0"):
            await world.api.forge_callback(teacher, world.api.last(teacher.id).message_id, answer)
        for answer in ("col:cond:1:broken", "col:nonote:1"):
            await world.api.forge_callback(teacher, world.api.last(teacher.id).message_id, answer)
        await world.api.send_text(teacher, "Salle 12")
        await world.api.tap(teacher, world.api.last(teacher.id), "Continuer ▶️")
        await world.api.tap(teacher, world.api.last(teacher.id), "Passer ▶️")
        await world.api.tap(teacher, world.api.last(teacher.id), 0)
        assert world.last_text(agent).startswith("📦 C-2026-0001"), world.last_text(agent)
        data = {d for row in world.api.last(agent.id).buttons for _, d in row}
        assert f"col:rm:{COLLECTION}" in data, data
        # Works in « salle 5 », where SEM's own SEM-0007 is: staff may collect it.
        async with world.db.uow() as uow:
            uow.session.add(
                Equipment(
                    asset_tag="SEM-0007",
                    school_id=world.ids["soleil"],
                    type="laptop",
                    model="ThinkPad E14",
                    owner="sem",
                    state="in_service",
                    room="Salle 5",
                    created_at=world.clock.now(),
                    updated_at=world.clock.now(),
                )
            )
            reporter = await uow.session.scalar(
                select(Person.id).where(Person.full_name == "Claude")
            )
            await uow.commit()
        assert reporter is not None
        works = await notices.tell_works(
            world.db,
            notices.TellWorks(
                reporter,
                world.ids["soleil"],
                WorksKind.RENOVATION,
                "Peinture",
                world.clock.now().date() + timedelta(days=30),
                rooms="salle 5",
            ),
            world.clock.now(),
        )
        assert works.id == NOTICE and [i.asset_tag for i in works.equipment] == ["SEM-0007"]
        await _two_calls(world)
        await _calls(world)
        await _delivery_and_certificate(world)


async def _delivery_and_certificate(world: World) -> None:
    """École du Soleil selected in a decided call (for /livraison), and Saint-Étienne's
    insurance certificate sent by its agent, for staff to refuse (« Refuser »)."""
    services = world.app.bot_data["services"]
    async with world.db.uow() as uow:
        ids = {
            p.full_name: p.id
            for p in (await uow.session.scalars(select(Person))).all()
            if p.full_name in ("Sacha", "Dominique", "Claude")
        }
    await selected_application(world.db, ids["Sacha"], ids["Dominique"], world.clock.now())
    sent = await certificates.send(
        world.db,
        services.i18n,
        services.settings,
        ids["Claude"],
        FileRef("document", "file-cert", "uniq-cert", "attestation.pdf", "application/pdf"),
        date(2026, 1, 1),
        date(2026, 12, 31),
        world.clock.now(),
    )
    assert sent.view.id == CERTIFICATE


async def _two_calls(world: World) -> None:
    """A call closed ten days ago with the director's school's application, and one
    taking applications until 10 April."""
    async with world.db.uow() as uow:
        found = {p.full_name: p.id for p in (await uow.session.scalars(select(Person))).all()}
    staff, director = found["Sacha"], found["Dominique"]
    now = world.clock.now()
    for opens, closes, at in (
        (date(2026, 2, 1), date(2026, 2, 28), now - timedelta(days=40)),
        (date(2026, 3, 10), date(2026, 4, 10), now),
    ):
        view = await calls.create_campaign(
            world.db,
            staff,
            calls.CampaignDraft(
                title="Robots <en> classe",
                nature="robot_kit",
                description="Des robots & leur formation.",
                quantity=2,
                kit_size=6,
                reach=Reach.ALL,
                opens_on=opens,
                opens_time=time(9, 0),
                closes_on=closes,
                closes_time=time(18, 0),
            ),
            at,
        )
        await calls.publish(world.db, staff, view.id, at)
        if view.id == CLOSED_CALL:
            applied = await calls.apply(world.db, director, view.id, {}, at + timedelta(days=5))
            assert applied.view.id == APPLICATION
    assert view.id == OPEN_CALL


async def _calls(world: World) -> None:
    """Two calls open to Soleil's people (teachers too), Soleil applied to the second."""
    async with world.db.uow() as uow:
        names = {p.full_name: p.id for p in (await uow.session.scalars(select(Person))).all()}
    questions = (
        Question(QuestionKind.TEXT, "Projet pédagogique"),
        Question(QuestionKind.NUMBER, "Nombre de classes", minimum=1, maximum=20),
        Question(QuestionKind.CHOICE, "Cycle", ("Cycle 2", "Cycle 3")),
        Question(QuestionKind.COMMITMENT, "L'équipe suivra la formation"),
        Question(QuestionKind.TEXT, "Remarques", required=False),
    )
    now = world.clock.now()
    for number in (SCHOOL_CALL, APPLIED_CALL):
        draft = calls.CampaignDraft(
            f"Tablettes <{number}> & co",
            "tablet",
            "Des tablettes",
            2,
            15,
            Reach.PUBLIC,
            date(2026, 3, 9),
            time(10, 0),
            date(2026, 3, 31),
            time(12, 0),
            questions,
            allow_teachers=True,
        )
        view = await calls.create_campaign(world.db, names["Sacha"], draft, now)
        assert view.id == number
        await calls.publish(world.db, names["Sacha"], view.id, now)
    applied = await calls.apply(
        world.db,
        names["Dominique"],
        APPLIED_CALL,
        {0: "Projet", 1: "3", 2: "Cycle 2", 3: "yes"},
        now,
    )
    assert applied.view.id == SCHOOL_APPLICATION


def _dialogues(world: World) -> list[ConversationHandler[Any]]:
    return [
        h for hs in world.app.handlers.values() for h in hs if isinstance(h, ConversationHandler)
    ]


def _states(world: World, user_id: int) -> list[tuple[str, object]]:
    """Every dialogue state this person is in, in any chat."""
    return [
        (str(h.name), state)
        for h in _dialogues(world)
        for key, state in h._conversations.items()
        if key and key[-1] == user_id
    ]


def _every_state(world: World) -> set[tuple[str, object]]:
    return {
        (str(h.name), state)
        for h in _dialogues(world)
        for state in h.states
        if state != ConversationHandler.TIMEOUT
    }


def _forward(candidates: list[Move], last: Any, n: int) -> Move:
    """The first candidate that fits the last message (a button to press must be on it;
    « done » only once something is chosen)."""
    if all(kind == "tap" for kind, _ in candidates):
        return candidates[n % len(candidates)]
    buttons = [(text, data) for row in last.buttons for text, data in row if data]
    for kind, arg in candidates:
        if kind in ("press", "done"):
            found = [
                d for t, d in buttons if d.startswith(arg) and not (kind == "done" and "(0" in t)
            ]
            if found:
                return ("press", found[n % len(found)])
            continue
        return (kind, arg)
    return candidates[-1]


class _Errors(logging.Handler):
    """What the bot's error handler logs: any handler that failed."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def _play(url: str, plan: Plan, seen: set[tuple[str, object]], refused: set[int]) -> None:
    errors = _Errors()
    logger = logging.getLogger("handlers.telegram.errors")
    logger.addHandler(errors)
    try:
        await _play_in(url, plan, seen, refused, errors)
    finally:
        logger.removeHandler(errors)


async def _play_in(
    url: str, plan: Plan, seen: set[tuple[str, object]], refused: set[int], errors: _Errors
) -> None:
    async with a_world(url, fresh=False) as world:
        api = world.api
        users = {who: api.user(uid, name) for who, (uid, name) in PEOPLE.items()}
        start_index, guided, moves = plan
        who = STARTS[start_index][0]
        person: SimUser = users[who]
        own = [i for i, start in enumerate(STARTS) if start[0] == who]
        await api.send_text(person, "/aide")
        shown: list[tuple[int, str]] = []  # every button this person was shown
        every = _every_state(world)

        steps: list[Move] = [
            ("start", start_index),
            *(("good", i) for i in guided),
            *moves,
        ]
        for kind, arg in steps:
            if kind == "restart":
                kind, arg = "start", own[arg % len(own)]
            if kind == "good":
                at = [s for s in _states(world, person.id) if s[0] in COVERED]
                if not at:
                    kind, arg = "start", own[arg % len(own)]
                elif arg < 3 and at[0] in FORWARD:  # mostly the answer that moves on
                    kind, arg = _forward(FORWARD[at[0]], api.last(person.id), arg)
                else:
                    kind, arg = GOOD[at[0]][arg % len(GOOD[at[0]])]
            for message in api.messages(person.id):
                for row in message.buttons:
                    for _, data in row:
                        if data and (message.message_id, data) not in shown:
                            shown.append((message.message_id, data))
            before = len(api.messages(person.id))
            last = api.last(person.id)
            flat = [d for row in last.buttons for _, d in row if d]
            update: Update | None = None
            starting: Start | None = None
            if kind == "start":
                starting = STARTS[arg]
                _, how, what, _, _ = starting
                if how == "text":
                    await api.send_text(person, what)
                else:
                    update = await api.forge_callback(person, last.message_id, what)
            elif kind == "tap":
                if not flat:
                    continue
                update = await api.tap(person, last, arg % len(flat))
            elif kind == "press":
                matching = [i for i, d in enumerate(flat) if d.startswith(arg)]
                if not matching:
                    continue
                update = await api.tap(person, last, matching[0])
            elif kind == "text":
                await api.send_text(person, arg)
            elif kind == "photo":
                await api.send_photo(person, caption=None)
            elif kind == "document":
                await api.send_document(person, PDF, "constat.pdf", "application/pdf")
            elif kind == "cancel":
                await api.send_text(person, "/annuler")
            elif shown:  # a button of an older message, as it was when sent
                message_id, data = shown[arg % len(shown)]
                update = await api.forge_callback(person, message_id, data)
            else:
                continue

            step = (who, kind, arg)
            if update is not None:
                assert api.callback_answer(update) is not None, step
            else:
                assert len(api.messages(person.id)) > before, step
            assert errors.records == [], (step, [r.getMessage() for r in errors.records])
            # A button tapped again that changes nothing: Telegram says so, and the bot lets
            # it pass (no error above); every other refusal is a defect.
            api.refused[:] = [r for r in api.refused if NOT_MODIFIED not in r.description]
            api.assert_no_refusals()
            for other in users.values():
                assert not any(INTERNAL_ERROR in text for text in world.texts(other)), step
            states = _states(world, person.id)
            assert len(states) <= 1, (step, states)
            for state in states:
                assert state in every, (step, state)
                seen.add(state)
            if starting is not None and not starting[4]:  # refused: that dialogue not open
                assert starting[3] not in {name for name, _ in states}, (step, states)
                refused.add(arg)


def test_random_play_of_every_other_dialogue(sqlite_template: Path, tmp_path: Path) -> None:
    seen: set[tuple[str, object]] = set()
    refused: set[int] = set()
    numbers = itertools.count()

    @settings(
        **fuzz_budget(150),  # type: ignore[arg-type]
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    # The draws change with every start added: these examples keep reaching the steps
    # the draws alone may miss (an announcement to one commune or to one body, the
    # fourth and fifth buttons of its first question; the reassignment).
    @example(plan=(STARTS.index(("staff", "text", "/annonce", ANNOUNCE, True)), [], [("tap", 3)]))
    @example(plan=(STARTS.index(("staff", "text", "/annonce", ANNOUNCE, True)), [], [("tap", 4)]))
    @example(plan=(STARTS.index(("staff", "forge", "stk:pick:4", STOCK, True)), [0, 0, 0], []))
    # The refused starts at the end of the list, which the draws may miss.
    @example(
        plan=(STARTS.index(("teacher", "forge", f"col:rm:{COLLECTION}", REMOVAL, False)), [], [])
    )
    @example(
        plan=(STARTS.index(("stranger", "forge", f"col:wd:{COLLECTION}", WITHDRAW, False)), [], [])
    )
    @example(
        plan=(
            STARTS.index(("teacher", "forge", f"col:wd:{COLLECTION}", WITHDRAW, True)),
            [0, 0],
            [],
        )
    )
    @given(plan=PLANS)
    # Plays that reach the deep or rare steps whatever the draw: the flagging's summary
    # (items, each one's state and note, place, days, photos, then « Corriger »), an
    # announcement to one body and to one commune, a claim's unknown item described and a
    # report's draft resumed.
    @example(plan=(STARTS.index(FLAG_START), [0] * 8, [("good", 4), ("good", 5)]))
    @example(plan=(STARTS.index(ANNOUNCE_START), [5], [("good", 4)]))
    @example(plan=(STARTS.index(ANNOUNCE_START), [], [("tap", 3), ("good", 0)]))  # one commune
    @example(plan=(STARTS.index(REPORT_START), [0], [("good", 7), ("good", 0)]))
    @example(plan=(STARTS.index(REPORT_START), [0], [("restart", _own(REPORT_START))]))
    # /travaux to its summary (a move: every step), corrected, and /fibre to its end.
    @example(plan=(STARTS.index(WORKS_START), [0] * 9, [("good", 4), ("good", 5)]))
    @example(plan=(STARTS.index(FIBRE_START), [0] * 4, [("good", 3)]))
    # Refused starts the draws may miss.
    @example(plan=(STARTS.index(("teacher", "text", "/inviter", INVITE, False)), [], []))
    # An invitation for a school's person, through the pick of the school.
    @example(plan=(STARTS.index(("staff", "text", "/inviter", INVITE, True)), [1, 0, 0, 0], []))
    @example(
        plan=(STARTS.index(("teacher", "forge", f"col:rm:{COLLECTION}", REMOVAL, False)), [], [])
    )
    @example(plan=(STARTS.index(("teacher", "text", "/fibre", FIBRE, False)), [], []))
    @example(plan=(STARTS.index(("agent", "text", "/signaler", REPORT, True)), [0, 0], []))
    @example(plan=(STARTS.index(REPORT_START), [0] * 9, []))  # to its files and summary
    # /classe: a closure with an item to its summary, a change of post, and its refusals.
    @example(plan=(STARTS.index(CLASS_START), [1] * 8, [("good", 0)]))
    @example(plan=(STARTS.index(CLASS_START), [2, 0], [("good", 0)]))
    @example(plan=(STARTS.index(DELIVERY_START), [0, 0, 0], []))
    @example(plan=(STARTS.index(DELIVERY_START), [0, 5], [("good", 1)]))
    @example(plan=(STARTS.index(CERT_SEND_START), [0, 0, 0, 0], []))
    @example(plan=(STARTS.index(CERT_REFUSE_START), [0, 0], []))
    # The collection from a works notice, which the draws alone no longer reach.
    @example(
        plan=(STARTS.index(("staff", "forge", f"ntc:collect:{NOTICE}", COLLECT, True)), [0] * 3, [])
    )
    @example(plan=(STARTS.index(("agent", "text", "/classe", CLASS, True)), [1] * 5, []))
    @example(plan=(STARTS.index(("teacher", "text", "/classe", CLASS, False)), [], []))
    @example(plan=(STARTS.index(("stranger", "text", "/class", CLASS, False)), [], []))
    @example(
        plan=(STARTS.index(("agent", "forge", f"col:rm:{COLLECTION}", REMOVAL, True)), [0], [])
    )
    @example(
        plan=(STARTS.index(("staff", "forge", f"ntc:collect:{NOTICE}", COLLECT, True)), [0] * 5, [])
    )
    @example(
        plan=(
            STARTS.index(
                ("staff", "text", "/reseau 0420001Y Chaudière <mairie> & caméra", NETWORK, True)
            ),
            [0],
            [],
        )
    )
    # A call typed to its end: kits, public schools, a number and a choice, « Terminé »;
    # one for chosen bodies and one for a level; an extension; each decision.
    @example(
        plan=(
            STARTS.index(CALL_START),
            [0, 0, 0, 1, 0, 0, 1, 0, 0],
            [("good", n) for n in (0, 1, 0, 0, 2, 0, 0, 3)],
        )
    )
    @example(plan=(STARTS.index(CALL_START), [0, 0, 0, 0, 0, 3, 0, 0, 0], [("good", 0)]))
    @example(plan=(STARTS.index(CALL_START), [0, 0, 0, 0, 0, 4], [("good", 2), ("good", 3)]))
    @example(
        plan=(
            STARTS.index(("staff", "forge", f"amis:extend:{OPEN_CALL}", EXTEND, True)),
            [0, 0],
            [],
        )
    )
    @example(
        plan=(STARTS.index(("staff", "forge", f"ami:wait:{APPLICATION}", DECIDE, True)), [4, 0], [])
    )
    @example(
        plan=(
            STARTS.index(("staff", "forge", f"ami:decline:{APPLICATION}", DECIDE, True)),
            [4, 0],
            [],
        )
    )
    # An application to its summary, corrected; its edit; a comment to its confirmation.
    @example(plan=(STARTS.index(APPLY_START), [0] * 6, [("good", 4), ("good", 5)]))
    @example(plan=(STARTS.index(EDIT_START), [0] * 6, [("good", 3)]))
    @example(plan=(STARTS.index(COMMENT_START), [0] * 2, []))
    # The collection staff plan from a works notice, to its confirmation.
    @example(
        plan=(STARTS.index(("staff", "forge", f"ntc:collect:{NOTICE}", COLLECT, True)), [0] * 3, [])
    )
    def play(plan: Plan) -> None:
        # A file of its own: an example that fails leaves its engine's journal behind.
        path = tmp_path / f"fuzz-{next(numbers)}.sqlite3"
        shutil.copyfile(prepared, path)
        try:
            asyncio.run(_play(f"sqlite+aiosqlite:///{path}", plan, seen, refused))
        finally:
            for leftover in tmp_path.glob(f"{path.name}*"):
                leftover.unlink()

    # Every refused start is played once whatever the draws (which change with each start
    # or example added).
    for index in sorted(REFUSED):
        play = example(plan=(index, [], []))(play)

    prepared = tmp_path / "prepared.sqlite3"
    shutil.copyfile(sqlite_template, prepared)
    asyncio.run(_prepare(f"sqlite+aiosqlite:///{prepared}"))

    play()
    expected = {state for state in GOOD if state[0] in COVERED}
    assert expected - seen == set()
    assert REFUSED - refused == set()


async def test_every_registered_dialogue_is_fuzzed(sqlite_template: Path, tmp_path: Path) -> None:
    """A new dialogue (or a new step of one) must join this fuzz, test_dialogue_fuzz.py or
    test_rounds_fuzz.py."""
    path = tmp_path / "dialogues.sqlite3"
    shutil.copyfile(sqlite_template, path)
    async with a_world(f"sqlite+aiosqlite:///{path}", fresh=False) as world:
        dialogues = _dialogues(world)
        names = [h.name for h in dialogues]
        assert len(names) == len(set(names)), names
        assert set(names) - COVERED - set(FOLLOW_UPS) - set(ROUND_DIALOGUES) == set()
        assert set(names) >= COVERED
        # Every state of the dialogues played here has its fitting answers (GOOD), so the
        # fuzz reaches it; the follow-ups' states are checked by test_dialogue_fuzz.py.
        ours = {s for s in _every_state(world) if s[0] in COVERED}
        assert ours == set(GOOD)

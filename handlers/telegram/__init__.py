"""Telegram front end. ``register`` is the one ordered list of every handler."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from handlers.telegram import (
    admin,
    bad_input,
    calls_delivery,
    calls_school,
    calls_staff,
    claim_follow,
    claims,
    classes,
    collection_card,
    collections,
    dialogues,
    errors,
    holds,
    network,
    notice_card,
    privacy,
    registration,
    relay,
    reports,
    rounds,
    staff,
    stock,
    works,
)
from handlers.telegram.common import quiet_per_message_warning

INPUT = -5
EXPIRY = -4
GUARDS = -3
RETIRED = -2
FIRST = -1
MAIN = 0


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    quiet_per_message_warning()
    private = filters.ChatType.PRIVATE
    # Bad input first (a forged id, a NUL character): it reaches nothing else.
    application.add_handler(TypeHandler(Update, bad_input.refuse_bad_input), group=INPUT)
    # Guards: who is talking, and strangers stop here.
    # Dialogue steps restored at start-up that waited too long end before anything else.
    application.add_handler(TypeHandler(Update, dialogues.expire_restored), group=EXPIRY)
    application.add_handler(TypeHandler(Update, registration.load_person), group=GUARDS)
    # A step of a dialogue this version no longer has (decision 0014): the person is told.
    application.add_handler(TypeHandler(Update, claim_follow.retire_old_follow_up), group=RETIRED)
    # Before the dialogues see the update: /annuler ends them all at once, and a reply to a
    # message about a ticket goes to the relay rather than into a dialogue's answer.
    application.add_handlers(
        [
            CommandHandler(["annuler", "cancel"], dialogues.cancel_everything),
            MessageHandler(
                relay.REPLIES_TO_BOT & filters.UpdateType.MESSAGE & ~filters.COMMAND,
                relay.reply_about_a_ticket_first,
            ),
        ],
        group=FIRST,
    )

    # Registration, help, profile, language.
    application.add_handlers(
        [
            CommandHandler("start", registration.start, filters=private),
            CommandHandler(["aide", "help"], registration.help_command, filters=private),
            CommandHandler(["moi", "me"], registration.me, filters=private),
            CommandHandler(["langue", "language"], registration.language, filters=private),
            CallbackQueryHandler(registration.language_chosen, pattern=r"^lang:(fr|en)$"),
            CommandHandler("preferences", registration.preferences, filters=private),
            CallbackQueryHandler(
                registration.preference_chosen, pattern=r"^pref:(telegram|discord)$"
            ),
        ],
        group=MAIN,
    )
    # Personal data (RGPD): /mes_donnees, /oublier and its confirmation, /confidentialite.
    application.add_handlers(privacy.handlers(), group=MAIN)

    # Claims: the report dialogue, one follow-up dialogue per action on a claim (the
    # buttons on its card and notices start them), the claim's view.
    application.add_handlers(
        [claims.conversation(), *claim_follow.conversations(), *claim_follow.view_handlers()],
        group=MAIN,
    )
    # The security condition (art. 6): holding a flagged school's replacements, lifting the
    # hold (buttons on a claim's card and in /suspensions), and the list of holds.
    application.add_handlers([*holds.conversations(), *holds.handlers()], group=MAIN)

    # Notices (works, fibre, class changes, the school network): the taps on their cards.
    application.add_handlers(notice_card.handlers(), group=MAIN)
    # Works, shared premises and moves (/travaux), fibre news (/fibre): told by a body's
    # agent or a school's head (art. 2).
    application.add_handlers(works.conversations(), group=MAIN)

    # Class openings and closures, a head's change of post (/classe), and the training
    # needs they record (/formations, staff: « Fait », the export).
    application.add_handlers([classes.conversation(), *classes.handlers()], group=MAIN)

    # The school network (art. 2): staff's /reseau asks a body to unplug its equipment;
    # staff plan a collection of the rooms' SEM items from a works notice (its card).
    application.add_handlers([network.conversation(), *notice_card.conversations()], group=MAIN)

    # SEM's stock (art. 1): /stock, the reassignment dialogue (« Réattribuer »,
    # /reattribuer), the receiving head's « ✅ Reçu » and staff's cancel before reception.
    application.add_handlers([stock.conversation(), *stock.handlers()], group=MAIN)

    # Unused and broken equipment (art. 1, 3, 4): the flagging dialogue (/collecte), the
    # body's removal dialogue (its button on the notices), the card and staff's choice.
    application.add_handlers(
        [
            collections.conversation(),
            *collection_card.conversations(),
            *collection_card.handlers(),
        ],
        group=MAIN,
    )

    # Collection rounds and maintenance visits (staff's /tournees, a round's actions), and a
    # school's request for another date (the button on its notice).
    application.add_handlers([*rounds.conversations(), *rounds.handlers()], group=MAIN)

    # A call's delivery into the inventory (/livraison, staff) and the bodies' insurance
    # certificates it asks (/attestation; staff's « Accepter » / « Refuser »).
    application.add_handlers(
        [*calls_delivery.conversations(), *calls_delivery.handlers()], group=MAIN
    )
    # Calls for interest, the school side (art. 1 and 2): /ami, « Candidater » (also on the
    # publication), the application's card, its comment, /suivre_ami.
    application.add_handlers([*calls_school.conversations(), *calls_school.handlers()], group=MAIN)

    # Staff triage: the queue, one ticket in full, search, assignment.
    application.add_handlers(staff.handlers(), group=MAIN)
    # The committee's review and the exports (staff).
    application.add_handlers(reports.handlers(), group=MAIN)
    # Staff tools: /inviter and /annonce dialogues.
    application.add_handlers(admin.handlers(), group=MAIN)

    # Calls for interest, staff's side (art. 1 and 2): /ami_nouveau, /ami's cards, the
    # selection's decisions on each application.
    application.add_handlers([*calls_staff.conversations(), *calls_staff.handlers()], group=MAIN)

    # The relay takes replies (Telegram reply-to) to the bot's messages about a ticket. It
    # comes after every dialogue above, so that answering a dialogue's question with
    # "reply" still reaches the dialogue, and before the catch-all below.
    application.add_handlers(relay.handlers(), group=MAIN)

    # Last of the same group, so only when no handler above took the update: a clear
    # answer rather than silence (a stale or forged button, an unknown command).
    application.add_handlers(
        [
            MessageHandler(private & filters.UpdateType.MESSAGE, registration.unknown),
            CallbackQueryHandler(registration.unknown),
        ],
        group=MAIN,
    )
    application.add_error_handler(errors.on_error)

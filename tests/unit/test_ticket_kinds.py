"""The registry of ticket kinds: each kind declared once, found by name and by prefix."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.bootstrap import bootstrap
from bot.config import Settings
from bot.domain.calls import KIND_CALL_REMINDER, KIND_CALL_REMINDER_PERSON
from bot.domain.errors import DomainError
from bot.domain.holds import KIND_HOLD_REMINDER
from bot.domain.invitations import KIND_CODE_BURST
from bot.services.announcement_delivery import (
    KIND_ANNOUNCEMENT,
    KIND_ANNOUNCEMENT_PERSON,
    KIND_ANNOUNCEMENT_REPORT,
)
from bot.services.call_kind import CALLS
from bot.services.call_reminders import CALL_REMINDER_KINDS
from bot.services.claim_kind import CLAIMS
from bot.services.claim_reminders import CLAIM_REMINDER_KINDS
from bot.services.collection_kind import COLLECTIONS
from bot.services.collection_reminders import COLLECTION_REMINDER_KINDS
from bot.services.kinds import Kinds
from bot.services.notice_reminders import NOTICE_REMINDER_KINDS
from bot.services.outbox import KIND_NOTICE, OUTBOX_KINDS
from bot.services.reports import REPORT_KINDS
from storage.uow import Database


def test_a_kind_is_found_by_its_name_and_by_the_prefix_of_its_numbers() -> None:
    kinds = Kinds(CLAIMS)
    assert kinds.get("claim") is CLAIMS
    assert kinds.by_prefix("S") is CLAIMS
    assert "claim" in kinds and "collection" not in kinds
    assert kinds.names() == ["claim"]


def test_an_unknown_kind_reads_as_a_ticket_not_found() -> None:
    with pytest.raises(DomainError) as refused:
        Kinds(CLAIMS).get("collection")
    assert refused.value.code == "ticket.error.not_found"


def test_a_number_leading_nowhere_gets_the_words_of_its_kind() -> None:
    kinds = Kinds(CLAIMS)
    assert kinds.not_found("s-2026-0099").code == "claim.error.not_found"
    assert kinds.not_found("X-2026-0001").code == "ticket.error.not_found"
    assert kinds.not_found("n'importe quoi").code == "ticket.error.not_found"


def test_two_kinds_cannot_share_a_name_or_a_prefix() -> None:
    with pytest.raises(ValueError, match="already registered"):
        Kinds(CLAIMS, CLAIMS)
    with pytest.raises(ValueError, match="prefix 'S'"):
        Kinds(CLAIMS, replace(CLAIMS, name="other", namespace="oth"))


def test_a_reminder_kind_rendered_by_two_ticket_kinds_is_refused() -> None:
    with pytest.raises(ValueError, match="already registered"):
        Kinds(CLAIMS, replace(CLAIMS, name="twin", prefix="T", namespace="twn")).renderers(
            None,  # type: ignore[arg-type]
            Settings(_env_file=None),  # type: ignore[call-arg]
        )


def test_bootstrap_registers_claims_and_every_reminder_kind(tmp_path: Path) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    services = bootstrap(settings, db)
    assert services.kinds.get("claim") is CLAIMS
    assert services.kinds.get("collection") is COLLECTIONS
    assert services.kinds.by_prefix("C") is COLLECTIONS
    assert services.kinds.get("ami") is CALLS
    assert services.kinds.by_prefix("A") is CALLS
    assert services.renderers.kinds() == sorted(
        [
            *CLAIM_REMINDER_KINDS,
            KIND_HOLD_REMINDER,
            KIND_CODE_BURST,
            KIND_ANNOUNCEMENT_PERSON,
            KIND_ANNOUNCEMENT_REPORT,
            *OUTBOX_KINDS,
            *COLLECTION_REMINDER_KINDS,
            *NOTICE_REMINDER_KINDS,
            *(kind for kind in CALL_REMINDER_KINDS if kind != KIND_CALL_REMINDER),
        ]
    )
    assert services.renderers.elsewhere == set(REPORT_KINDS)
    # A call's closing reminder and an announcement go to a crowd: expanded, then sent by
    # the paced lane, as are the messages written at once for many (a call's news).
    assert services.renderers.fanouts == {KIND_CALL_REMINDER, KIND_ANNOUNCEMENT}
    paced = {
        KIND_CALL_REMINDER_PERSON,
        KIND_ANNOUNCEMENT_PERSON,
        KIND_ANNOUNCEMENT_REPORT,
        # A notice owed now goes by the deadlines' lane, before any crowd (decision 0084).
        *(kind for kind in OUTBOX_KINDS if kind != KIND_NOTICE),
    }
    assert services.renderers.paced == paced
    assert services.renderers.lane("paced") == (paced, set())
    assert services.renderers.lane("deadlines")[1] == {
        KIND_CALL_REMINDER,
        KIND_ANNOUNCEMENT,
        *paced,
        *REPORT_KINDS,
    }


def test_an_application_to_a_call_is_a_kind_of_its_own_with_its_closing_reminders() -> None:
    kinds = Kinds(CLAIMS, CALLS)
    assert kinds.by_prefix("A") is CALLS and CALLS.namespace == "ami"
    assert kinds.not_found("a-2026-0007").code == "call.error.application_not_found"
    assert CALLS.state_key("waiting") == "ami.state.waiting"
    # The insurance certificate a delivery asks of the body is reminded by the calls too.
    assert CALL_REMINDER_KINDS == (
        "call.reminder",
        "call.reminder.person",
        "call.certificate.reminder",
        "call.certificate.escalation",
        "call.certificate.renewal",
    )

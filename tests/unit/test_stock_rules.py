"""The rules of SEM's stock and its reassignments (art. 1: « réattribuer le matériel non
utilisé »): the items' ages, which schools are offered first, what may be reassigned."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.collections import check_move
from bot.domain.stock import (
    Asked,
    CandidateFacts,
    age_years,
    check_open,
    check_reassignable,
    mentions_need,
    parse_reassign_args,
    rank_candidates,
)
from tests.helpers import refuses


@pytest.mark.parametrize(
    ("acquired", "today", "years"),
    [
        (date(2023, 9, 15), date(2026, 9, 14), 2),  # the day before its third anniversary
        (date(2023, 9, 15), date(2026, 9, 15), 3),
        (date(2026, 1, 15), date(2026, 3, 2), 0),
        (date(2024, 2, 29), date(2025, 2, 28), 0),  # a leap day: a year on 1 March
        (date(2024, 2, 29), date(2025, 3, 1), 1),
        (date(2027, 1, 1), date(2026, 3, 2), 0),  # a date in the future: a typing error
        (None, date(2026, 3, 2), None),
    ],
)
def test_an_items_age_is_in_full_years_since_its_acquisition(
    acquired: date | None, today: date, years: int | None
) -> None:
    assert age_years(acquired, today) == years


def test_schools_that_asked_come_first_a_stolen_item_before_a_message() -> None:
    schools = [
        CandidateFacts(1, "École des Acacias"),
        CandidateFacts(2, "école du Bourg", frozenset({Asked.MESSAGE})),
        CandidateFacts(3, "École du Centre", frozenset({Asked.CLAIM})),
        CandidateFacts(4, "École de la Gare", frozenset({Asked.CLAIM, Asked.MESSAGE})),
        CandidateFacts(5, "École d'Origine", frozenset({Asked.CLAIM})),
    ]
    ranked = rank_candidates(schools, exclude=5)  # the school the item came from
    assert [s.school_id for s in ranked] == [4, 3, 2, 1]  # then by name


@pytest.mark.parametrize(
    ("text", "needs"),
    [
        ("Nous aurions BESOIN de deux tablettes", True),
        ("Il manque un vidéoprojecteur en CM2", True),
        ("Il nous faudrait un visualiseur", True),
        ("Merci pour la collecte", False),
        (None, False),
    ],
)
def test_a_need_is_read_in_a_tickets_thread(text: str | None, needs: bool) -> None:
    assert mentions_need(text) is needs


def test_only_an_item_of_the_stock_goes_to_another_school() -> None:
    check_reassignable("SEM-1", "in_stock", from_school_id=1, to_school_id=2)
    for state in ("recycled", "stolen", "lost", "in_service", "reassigned"):
        with refuses("stock.error.not_in_stock") as refused:
            check_reassignable("SEM-1", state, from_school_id=1, to_school_id=2)
        assert refused.value.params == {"tag": "SEM-1", "state": state}
    with refuses("stock.error.same_school"):
        check_reassignable("SEM-1", "in_stock", from_school_id=1, to_school_id=1)


def test_a_reassignment_is_received_or_cancelled_back_into_the_stock() -> None:
    assert check_move("in_stock", "reassigned").value == "reassigned"
    assert check_move("reassigned", "in_service").value == "in_service"
    assert check_move("reassigned", "in_stock").value == "in_stock"  # cancelled
    with refuses("collection.error.state_move"):
        check_move("recycled", "reassigned")
    assert check_open("sent").value == "sent" and check_open("received").value == "received"
    with refuses("stock.error.cancelled"):
        check_open("cancelled")


@pytest.mark.parametrize("args", [[], ["SEM-1"], ["SEM-1", "0421234A", "de trop"], ["", " "]])
def test_reattribuer_wants_a_tag_and_a_uai(args: list[str]) -> None:
    with refuses("stock.error.usage"):
        parse_reassign_args(args)


def test_reattribuer_reads_its_two_words() -> None:
    assert parse_reassign_args([" SEM-1 ", "0421234a"]) == ("SEM-1", "0421234a")

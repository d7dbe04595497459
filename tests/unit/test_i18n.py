"""The message catalogs: complete in both languages, and safe with user text."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot.i18n import LANGUAGES, I18n, Safe, catalog, catalog_forms, placeholders
from handlers.telegram.offline.html import parse_html

ROOT = Path(__file__).resolve().parents[2]
KEY_CALLS = {"t", "reply", "DomainError", "send_key", "ask"}


def _keys_used_in_code() -> set[tuple[str, str]]:
    """Literal catalog keys passed to the translating calls, with where they are."""
    found: set[tuple[str, str]] = set()
    for folder in ("bot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                if name not in KEY_CALLS:
                    continue
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        if arg.value in LANGUAGES:  # i18n.t("fr", key): the language first
                            continue
                        found.add((arg.value, f"{path.relative_to(ROOT)}:{node.lineno}"))
                        break
    return found


def test_french_and_english_catalogs_have_the_same_messages() -> None:
    assert set(catalog("fr")) == set(catalog("en"))


@pytest.mark.parametrize("key", sorted(catalog("fr")))
def test_each_message_has_the_same_placeholders_in_both_languages(key: str) -> None:
    assert placeholders(catalog("fr")[key]) == placeholders(catalog("en")[key])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_html_that_telegram_accepts(lang: str) -> None:
    for key, text in catalog(lang).items():
        filled = text.format(**{name: "x" for name in placeholders(text)})
        parse_html(filled)  # raises on a tag Telegram would refuse
        assert filled.strip(), key


def test_every_key_the_code_uses_exists() -> None:
    known = set(catalog("fr"))
    missing = sorted((key, where) for key, where in _keys_used_in_code() if key not in known)
    assert missing == []


def test_user_text_is_escaped_and_safe_values_are_not() -> None:
    i18n = I18n()
    text = i18n.t("fr", "registration.already", name="<b>Zoé</b> & co")
    assert "&lt;b&gt;Zoé&lt;/b&gt; &amp; co" in text
    text = i18n.t("fr", "help.stranger", commands=Safe("<b>/aide</b>"))
    assert "<b>/aide</b>" in text


def test_unknown_language_falls_back_to_french() -> None:
    assert I18n().t("de", "common.unknown") == I18n().t("fr", "common.unknown")


def test_dates_are_shown_in_paris_time_in_words() -> None:
    i18n = I18n("Europe/Paris")
    winter = datetime(2025, 2, 3, 13, 0, tzinfo=UTC)
    assert i18n.datetime("fr", winter) == "lundi 3 février 2025 à 14:00"
    summer = datetime(2026, 7, 3, 13, 0, tzinfo=UTC)
    assert i18n.datetime("fr", summer, short=True) == "03/07/2026 15:00"
    assert i18n.datetime("en", winter) == "Monday 3 February 2025 at 14:00"
    assert i18n.date("fr", date(2026, 3, 12)) == "jeudi 12 mars 2026"


def test_amounts_in_euros_the_french_way() -> None:
    i18n = I18n()
    assert i18n.money("fr", Decimal("1234.56")).replace("\u202f", " ").replace("\xa0", " ") == (
        "1 234,56 €"
    )
    assert i18n.money("en", Decimal("1234.5")) == "€1,234.50"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_message_hedges_a_plural_with_brackets_or_a_dot(lang: str) -> None:
    """« dossier(s) », « choisi·s »: a count takes a real plural (ngettext) instead."""
    hedged = sorted(
        key
        for key, forms in catalog_forms(lang).items()
        if any("(s)" in form or "·s" in form or "(ies)" in form for form in forms)
    )
    assert hedged == []


def test_a_count_takes_the_plural_form_of_its_language() -> None:
    i18n = I18n()
    assert i18n.t("fr", "claim.button.items_done", count=0) == "✔️ Terminé (0 choisi)"
    assert i18n.t("fr", "claim.button.items_done", count=1) == "✔️ Terminé (1 choisi)"
    assert i18n.t("fr", "claim.button.items_done", count=2) == "✔️ Terminé (2 choisis)"
    assert i18n.t("en", "report.review.duties_count", count=0) == "0 duties"
    assert i18n.t("en", "report.review.duties_count", count=1) == "1 duty"
    assert i18n.tn("fr", "report.review.overdue_duties", 3, claims=3, duties="x", numbers="y") == (
        "⏰ <b>Démarches de 48 h en retard</b> : 3 sinistres, x : y"
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_plural_form_has_the_same_placeholders(lang: str) -> None:
    """The same values in every form, but the singular may leave the number unsaid
    (« ✅ Photos » for one file, « ✅ Photos (3 pièces) » for three), as ngettext allows."""
    for key, forms in catalog_forms(lang).items():
        general = placeholders(forms[-1])
        for index, form in enumerate(forms):
            names = placeholders(form)
            assert names == general or (index == 0 and names == general - {"count"}), key


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_plural_is_one_gettext_entry_not_a_pair_of_keys(lang: str) -> None:
    """One mechanism for plurals: ``msgid_plural`` picked by ``count`` (or ``tn``), never
    ``xxx_one`` / ``xxx_other`` keys chosen in code by a hand-written rule."""
    pairs = sorted(key for key in catalog(lang) if key.endswith(("_one", "_other")))
    assert pairs == []


def test_the_former_pairs_take_the_form_of_their_count() -> None:
    i18n = I18n()
    assert [i18n.t("fr", "admin.count.people", count=n) for n in (0, 1, 2)] == [
        "0 personne",
        "1 personne",
        "2 personnes",
    ]
    assert [i18n.t("en", "admin.count.failures", count=n) for n in (0, 1, 2)] == [
        "0 failures",
        "1 failure",
        "2 failures",
    ]
    assert i18n.t("fr", "claim.late.days", count=1) == "1 jour"
    assert i18n.t("fr", "claim.late.days", count=3) == "3 jours"
    assert i18n.t("fr", "claim.checklist.present", count=1, piece="Photos") == "✅ Photos"
    assert i18n.t("fr", "claim.checklist.present", count=3, piece="Photos") == (
        "✅ Photos (3 pièces)"
    )
    assert i18n.t("en", "ticket.file.elsewhere", count=1, number="N1", platforms="Discord") == (
        "📎 1 file of ticket N1 was received on Discord: it cannot be sent here."
    )
    assert i18n.t("fr", "report.review.done_late", count=2, numbers="A, B").endswith(
        ": 2 démarches (A, B)"
    )

"""Forged numbers and NUL characters are recognised before they reach the database."""

from __future__ import annotations

from bot.domain.ids import MAX_ID, forged_number, has_nul, parse_id


def test_an_id_is_one_to_postgresqls_largest_integer() -> None:
    assert parse_id("42") == 42
    assert parse_id(str(MAX_ID)) == MAX_ID
    for text in ("0", str(MAX_ID + 1), "9999999999", "-1", "4 2", "٤٢", "", "99999999999999"):
        assert parse_id(text) is None, text


def test_a_forged_number_in_an_action_is_seen() -> None:
    assert forged_number("clm:pledge:9999999999")
    assert forged_number("tk:view:" + "9" * 30)
    assert not forged_number("clm:pledge:42")
    assert not forged_number("clm:pok:1a2b3c4d")  # a nonce
    assert not forged_number(f"tk:view:{MAX_ID}")
    assert not forged_number("clm:duty:7:insurer")


def test_a_nul_is_seen_anywhere() -> None:
    assert has_nul("a\x00b")
    assert has_nul(None, "ok", "\x00")
    assert not has_nul("ok", None)

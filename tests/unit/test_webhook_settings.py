"""The webhook settings (decision 0072): refused at start with one French line each,
the secret never repeated, the path derived from the secret and never the token."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import main
from bot.config import Settings, SettingsError, load_settings
from handlers.telegram.webhook import ConstantTimeSecret

URL = "https://pne.example.org/bot"
TOKEN = "123456789:AAabcdefghijklmnopqrstuvwxyz012345678"


def settings(**values: object) -> Settings:
    return load_settings(_env_file=None, **values)


def refusal(**values: object) -> str:
    with pytest.raises(SettingsError) as refused:
        settings(**values)
    return str(refused.value)


def test_polling_is_the_default() -> None:
    plain = settings()
    assert not plain.webhook
    assert (plain.webhook_listen, plain.webhook_port) == ("127.0.0.1", 8443)
    assert not settings(webhook_url="", webhook_secret="").webhook


def test_a_webhook_url_without_a_secret_refuses_to_start_in_french(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("PNE_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("PNE_WEBHOOK_URL", URL)
    monkeypatch.delenv("PNE_WEBHOOK_SECRET", raising=False)
    assert main(["run"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "Configuration invalide : PNE_WEBHOOK_SECRET manque : avec PNE_WEBHOOK_URL (mode"
        " webhook), le bot refuse de démarrer sans secret. Mettez-y 1 à 256 caractères pris"
        " parmi A-Z, a-z, 0-9, _ et - (par exemple la sortie de « openssl rand -hex 32 »)."
    ]
    assert not (tmp_path / "data").exists()  # refused before anything was touched


@pytest.mark.parametrize("secret", ["", "   "])
def test_an_empty_secret_is_a_missing_one(secret: str) -> None:
    assert "PNE_WEBHOOK_SECRET manque" in refusal(webhook_url=URL, webhook_secret=secret)


@pytest.mark.parametrize(
    "secret", ["deux mots", "avec:deux-points", TOKEN, "é" * 10, "a" * 257, "fin\n"]
)
def test_a_secret_telegram_would_refuse_is_refused_without_being_repeated(secret: str) -> None:
    text = refusal(webhook_url=URL, webhook_secret=secret)
    assert text.startswith("PNE_WEBHOOK_SECRET ne convient pas. Il faut un secret de 1 à 256")
    assert secret.strip() not in text


@pytest.mark.parametrize("secret", ["a", "A-z_09", "x" * 256])
def test_a_secret_of_the_allowed_characters_is_accepted(secret: str) -> None:
    assert settings(webhook_url=URL, webhook_secret=secret).webhook


def test_a_secret_alone_is_harmless() -> None:
    assert not settings(webhook_secret="abc").webhook


@pytest.mark.parametrize(
    "url",
    [
        "http://pne.example.org/bot",
        "https://pne.example.org:8080/bot",
        "https:///bot",
        "https://pne.example.org/bot?x=1",
        "pne.example.org",
    ],
)
def test_the_url_must_be_one_telegram_posts_to(url: str) -> None:
    text = refusal(webhook_url=url, webhook_secret="abc")
    assert text.startswith(f"PNE_WEBHOOK_URL = « {url} » ne convient pas. Il faut l'adresse")


def test_listen_and_port_are_checked() -> None:
    text = refusal(webhook_listen="partout", webhook_port=70000)
    assert text.splitlines() == [
        "PNE_WEBHOOK_LISTEN = « partout » ne convient pas. Il faut l'adresse IP où le serveur"
        " web du bot écoute, par exemple 127.0.0.1 (derrière le mandataire HTTPS).",
        "PNE_WEBHOOK_PORT = « 70000 » ne convient pas. Il faut un numéro de port, de 1 à 65535.",
    ]
    assert settings(webhook_listen="::", webhook_port=9000).webhook_port == 9000


def test_the_path_is_derived_from_the_secret_never_the_token() -> None:
    one = settings(telegram_token=TOKEN, webhook_url=URL + "/", webhook_secret="abc")
    assert one.webhook_path.startswith("/bot/telegram-")
    assert one.webhook_full_url == "https://pne.example.org" + one.webhook_path
    for part in (TOKEN, TOKEN.split(":")[1], "abc"):
        assert part not in one.webhook_full_url
    same = settings(telegram_token=None, webhook_url=URL, webhook_secret="abc")
    other = settings(telegram_token=TOKEN, webhook_url=URL, webhook_secret="abd")
    assert same.webhook_path == one.webhook_path  # stable across restarts
    assert other.webhook_path != one.webhook_path
    root = settings(webhook_url="https://pne.example.org:8443", webhook_secret="abc")
    assert root.webhook_full_url.startswith("https://pne.example.org:8443/telegram-")


def test_the_secret_compares_in_constant_time_on_either_side(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import hmac

    calls: list[object] = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: calls.append(a) or real(a, b))
    secret = ConstantTimeSecret("s3cret")
    assert "s3cret" == secret and secret == "s3cret"  # noqa: SIM300
    assert "s3creT" != secret and secret != "s3creT"  # noqa: SIM300
    assert len(calls) == 4
    assert secret != 3 and secret != b"s3cret"
    assert hash(secret) == hash("s3cret") and str(secret) == "s3cret"
    assert "s3cret" not in repr(secret)

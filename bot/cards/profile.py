"""A person's role, scope, profile and help, in one language: the same words on every
front end (Telegram's /moi and /aide, Discord's)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.domain.bodies import body_variant
from bot.domain.roles import Role
from bot.i18n import I18n, Safe
from bot.services.commands import Command
from bot.services.registration import Profile


class ProfileCard:
    def __init__(self, i18n: I18n, lang: str) -> None:
        self.i18n = i18n
        self.lang = lang

    def t(self, key: str, /, **params: object) -> str:
        return self.i18n.t(self.lang, key, **params)

    def role(self, role: str, body_kind: str | None) -> str:
        """« agent de commune », or « agent d'organisme gestionnaire » for an OGEC's or an
        institute's agent (the role string is ``commune`` for both, decision 0013)."""
        key = f"role.{role}"
        if role == Role.COMMUNE.value:
            key = body_variant(key, body_kind)
        return self.t(key)

    def scope(self, profile: Profile) -> str:
        if profile.scope == "school":
            return self.t(
                "scope.school", school=profile.school, uai=profile.uai, commune=profile.commune
            )
        if profile.scope == "body":
            return self.t("scope.body", body=profile.body, code=profile.body_code)
        if profile.scope == "commune":
            return self.t("scope.commune", commune=profile.commune, insee=profile.insee)
        return self.t("scope.everything")

    def welcome(self, profile: Profile) -> str:
        return self.t(
            "registration.welcome",
            name=profile.name,
            role=self.role(profile.role, profile.body_kind),
            scope=Safe(self.scope(profile)),
        )

    def profile(self, profile: Profile, since: date) -> str:
        return self.t(
            "profile",
            name=profile.name,
            role=self.role(profile.role, profile.body_kind),
            scope=Safe(self.scope(profile)),
            language=self.t(f"language.{profile.language}"),
            since=self.i18n.date(self.lang, since),
        )

    def help(
        self,
        commands: Sequence[Command],
        *,
        shown: dict[str, str],
        role: str | None,
        body_kind: str | None = None,
        key: str = "help.person",
    ) -> str:
        """The help of a role: one line per command (``shown``: each command's name as the
        front end spells it, with its prefix)."""
        lines = [f"{shown[c.name]} — {self.t(f'command.{c.name}')}" for c in commands]
        if role is None:
            return self.t("help.stranger", commands=Safe("\n".join(lines)))
        return self.t(key, role=self.role(role, body_kind), commands=Safe("\n".join(lines)))

"""The ``pne-bot`` command: run the bot, the sandbox, migrations and administration."""

from __future__ import annotations

import argparse
import asyncio
import html
import logging
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import FrozenClock, SystemClock
from bot.config import Settings, SettingsError, load_settings
from bot.domain.errors import DomainError
from bot.domain.invitations import deep_link, parse_validity
from bot.domain.roles import Role
from bot.i18n import I18n, Safe
from bot.observability.logs import configure as configure_logging
from storage.backup import BackupInfo
from storage.migrate import upgrade
from storage.uow import Database

log = logging.getLogger("pne-bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pne-bot", description="Bot du Plan numérique à l'école (Saint-Étienne Métropole)."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="démarrer le bot (bac à sable hors ligne sans jeton Telegram)")
    sandbox_cmd = sub.add_parser(
        "sandbox", help="démarrer le bac à sable hors ligne, même avec un jeton"
    )
    sandbox_cmd.add_argument(
        "--discord", action="store_true", help="le front Discord (hors ligne) au lieu de Telegram"
    )
    discord_cmd = sub.add_parser("discord", help="le front Discord")
    discord_sub = discord_cmd.add_subparsers(dest="discord_command", required=True)
    discord_sub.add_parser(
        "sync", help="publier les commandes sur le serveur de la SEM (PNE_DISCORD_GUILD_ID)"
    )
    sub.add_parser("migrate", help="mettre la base de données à jour")

    admin = sub.add_parser("admin", help="annuaire et invitations").add_subparsers(
        dest="admin_command", required=True
    )
    schools = admin.add_parser("import-schools", help="importer des écoles (CSV)")
    schools.add_argument("file", type=Path)
    equipment = admin.add_parser("import-equipment", help="importer du matériel (CSV)")
    equipment.add_argument("file", type=Path)
    save = admin.add_parser(
        "backup", help="sauvegarder la base dans un fichier (même bot en marche)"
    )
    save.add_argument("file", type=Path, metavar="FICHIER")
    back = admin.add_parser(
        "restore",
        help="remplacer la base par une sauvegarde (irréversible), puis la mettre à jour",
    )
    back.add_argument("file", type=Path, metavar="FICHIER")
    back.add_argument("--yes", action="store_true", help="sans demander de confirmation")
    admin.add_parser("seed-demo", help="charger l'annuaire de démonstration (base vide)")
    invite = admin.add_parser("invite", help="créer une invitation à usage unique")
    invite.add_argument("--role", required=True, choices=[r.value for r in Role])
    where = invite.add_mutually_exclusive_group()
    where.add_argument("--school", metavar="UAI")
    where.add_argument("--commune", metavar="INSEE", help="un agent de la commune")
    where.add_argument(
        "--body", metavar="CODE", help="un agent d'un organisme gestionnaire (OGEC, institut)"
    )
    invite.add_argument("--expires-in", default=None, metavar="DURÉE", help="ex. 14d, 48h, 2w")
    invite.add_argument("--qr", type=Path, metavar="FICHIER.png", help="écrire le QR code")
    link = admin.add_parser(
        "link",
        help="un code à usage unique qui ajoute un compte (une autre messagerie) à une personne"
        " inscrite (numéro de `admin people`)",
    )
    link.add_argument("person_id", type=int)
    link.add_argument("--expires-in", default=None, metavar="DURÉE", help="ex. 14d, 48h, 2w")
    revoke = admin.add_parser("revoke", help="annuler une invitation (code ou numéro)")
    revoke.add_argument("code")
    admin.add_parser("people", help="les personnes inscrites")
    for verb, text in (("deactivate", "retirer l'accès"), ("reactivate", "rendre l'accès")):
        who = admin.add_parser(verb, help=f"{text} à une personne (numéro de `admin people`)")
        who.add_argument("person_id", type=int)
    assistant = admin.add_parser(
        "assistant",
        help="désigner l'assistante du Plan numérique (elle reçoit les fiches d'engagement),"
        " parmi l'équipe (numéro de `admin people`)",
    )
    assistant.add_argument("person_id", type=int)
    assistant.add_argument("--off", action="store_true", help="ne plus la désigner")

    reminders = sub.add_parser("reminders", help="relances et échéances").add_subparsers(
        dest="reminders_command", required=True
    )
    sweep = reminders.add_parser(
        "run", help="envoyer ce qui est dû (rattrapage après une interruption, essais)"
    )
    sweep.add_argument(
        "--at",
        metavar="AAAA-MM-JJTHH:MM",
        help="faire comme s'il était cette heure (heure de Paris si aucun fuseau n'est donné)",
    )
    listing = reminders.add_parser("list", help="les relances en attente (et en échec)")
    listing.add_argument("--limit", type=int, default=50)
    for command in (sweep, listing):
        command.add_argument(
            "--sandbox",
            action="store_true",
            help="la base du bac à sable (PNE_SANDBOX_DATABASE_URL) au lieu de la base réelle",
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        for line in str(exc).splitlines():
            print(f"Configuration invalide : {line}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    try:
        return asyncio.run(_dispatch(args, settings))
    except DomainError as exc:
        print(I18n(settings.tz).t(settings.language, exc.code, **exc.params), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    sandbox = args.command == "sandbox" or (args.command == "run" and settings.offline)
    # `reminders … --sandbox` reads and sweeps the sandbox's own database.
    url = (
        settings.sandbox_database_url
        if sandbox or getattr(args, "sandbox", False)
        else settings.database_url
    )
    if args.command == "admin" and args.admin_command in ("backup", "restore"):
        # Neither migrates first: a backup leaves the base as it is, a restore replaces it.
        return await _backup_or_restore(args, settings)
    _ensure_sqlite_folder(url)
    db = Database(url)
    try:
        await upgrade(db.engine)
        if args.command == "migrate":
            print("Base de données à jour.")
            return 0
        if args.command == "admin":
            return await _admin(args, settings, db)
        if args.command == "reminders":
            return await _reminders(args, settings, db)
        if sandbox and getattr(args, "discord", False):
            from handlers.discord.sandbox import run_discord_sandbox

            return await run_discord_sandbox(settings, db)
        if sandbox:
            from handlers.telegram.sandbox import run_sandbox

            return await run_sandbox(settings, db)
        if args.command == "run":
            from handlers.run import run_front_ends

            return await run_front_ends(settings, db)
        if args.command == "discord":
            return await _discord(args, settings, db)
    finally:
        await db.close()
    return 2


_PLATFORM_NAMES = {"telegram": "Telegram", "discord": "Discord"}


def _accounts(accounts: Sequence[tuple[str, int]]) -> str:
    """« Telegram 5001, Discord 9005 »: a person's accounts, for the operator."""
    if not accounts:
        return "aucun compte"
    return ", ".join(f"{_PLATFORM_NAMES.get(p, p)} {user_id}" for p, user_id in accounts)


def _plain(text: str) -> str:
    """A catalog message for the terminal: its HTML entities read as characters."""
    return html.unescape(text)


def _ensure_sqlite_folder(url: str) -> None:
    if url.startswith("sqlite") and ":///" in url:
        path = url.split(":///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


async def _admin(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    from bot.cards.claims import error_params
    from bot.services import directory, registration

    now = SystemClock().now()
    if args.admin_command in ("import-schools", "import-equipment"):
        importer = (
            directory.import_schools
            if args.admin_command == "import-schools"
            else directory.import_equipment
        )
        try:
            text = args.file.read_bytes()  # the importer finds the encoding (decision 0067)
        except OSError as exc:
            print(f"Impossible de lire {args.file} : {exc.strerror}", file=sys.stderr)
            return 1
        i18n = I18n(settings.tz)
        lang = settings.language
        try:
            report = await importer(db, text, now=now)
        except directory.ImportFailed as failed:
            by_line: dict[int, list[str]] = {}
            for problem in failed.problems:  # one line per refused row, its reasons joined
                by_line.setdefault(problem.line, []).append(
                    i18n.t(lang, problem.code, **error_params(i18n, lang, problem.params))
                )
            print(_plain(i18n.t(lang, "cli.import.refused", count=len(by_line))), file=sys.stderr)
            for number, reasons in sorted(by_line.items()):
                reason = Safe(" ; ".join(reasons))
                print(
                    _plain(i18n.t(lang, "cli.import.problem", line=number, reason=reason)),
                    file=sys.stderr,
                )
            return 1
        print(_plain(i18n.t(lang, "cli.import.done", count=report.created, updated=report.updated)))
        if report.unknown_types:
            print(
                _plain(
                    i18n.t(
                        lang,
                        "cli.import.unknown_types",
                        count=len(report.unknown_types),
                        types=", ".join(report.unknown_types),
                    )
                )
            )
        return 0
    if args.admin_command == "seed-demo":
        if not settings.offline:
            print(
                "Un jeton Telegram est configuré : l'annuaire de démonstration (et ses "
                "comptes « démo ») n'est pas chargé dans une base réelle. Le bac à sable "
                "(`pne-bot sandbox`) a sa propre base.",
                file=sys.stderr,
            )
            return 1
        if await directory.seed_demo(db, now=now):
            print("Annuaire de démonstration chargé.")
            return 0
        print("La base contient déjà des écoles : rien n'a été chargé.", file=sys.stderr)
        return 1
    if args.admin_command == "link":
        validity = parse_validity(args.expires_in or f"{settings.invitation_days}d")
        invitation = await registration.create_account_code(
            db, person_id=args.person_id, validity=validity, now=now
        )
        local = invitation.expires_at.astimezone(ZoneInfo(settings.timezone))
        print(f"Code n° {invitation.id} — un compte de plus pour {invitation.scope_name}")
        print(f"Code (usage unique) : {invitation.code}")
        print(f"Lien Telegram : {deep_link(settings.bot_username, invitation.code)}")
        print(f"Valable jusqu'au {local:%d/%m/%Y %H:%M} ({settings.timezone})")
        return 0
    if args.admin_command == "invite":
        validity = parse_validity(args.expires_in or f"{settings.invitation_days}d")
        invitation = await registration.create_invitation(
            db,
            role=Role(args.role),
            school_uai=args.school,
            commune_insee=args.commune,
            body_code=args.body,
            validity=validity,
            now=now,
        )
        link = deep_link(settings.bot_username, invitation.code)
        local = invitation.expires_at.astimezone(ZoneInfo(settings.timezone))
        print(
            f"Invitation n° {invitation.id} — rôle {invitation.role.value}"
            + (f" — {invitation.scope_name}" if invitation.scope_name else "")
        )
        print(f"Code (usage unique) : {invitation.code}")
        print(f"Lien : {link}")
        print(f"Valable jusqu'au {local:%d/%m/%Y %H:%M} ({settings.timezone})")
        if args.qr:
            write_qr(link, args.qr)
            print(f"QR code écrit dans {args.qr}")
        return 0
    if args.admin_command == "people":
        lines = await registration.list_people(db)
        if not lines:
            print("Personne n'est inscrit.")
        for line in lines:
            state = ("  [assistante]" if line.assistant else "") + (
                "" if line.active else "  [désactivé]"
            )
            print(
                f"{line.id:>5}  {line.role:<9} {line.full_name} — {line.scope}"
                f" ({_accounts(line.accounts)}){state}"
            )
        return 0
    if args.admin_command in ("deactivate", "reactivate"):
        active = args.admin_command == "reactivate"
        name = await registration.set_active(db, person_id=args.person_id, active=active, now=now)
        print(f"{name} : accès {'rendu' if active else 'retiré'}.")
        return 0
    if args.admin_command == "assistant":
        name = await registration.set_assistant(
            db, person_id=args.person_id, assistant=not args.off, now=now
        )
        if args.off:
            print(f"{name} ne reçoit plus les fiches d'engagement (le reste de l'équipe, oui).")
        else:
            print(
                f"{name} est l'assistante du Plan numérique : elle reçoit les fiches d'engagement."
            )
        return 0
    if args.admin_command == "revoke":
        revoked = await registration.revoke_invitation(db, code_or_id=args.code, now=now)
        print(f"Invitation n° {revoked} annulée.")
        return 0
    return 2


async def _backup_or_restore(args: argparse.Namespace, settings: Settings) -> int:
    from storage import backup

    url = settings.database_url
    try:
        target = backup.describe(url)
        if args.admin_command == "backup":
            backup.backup(url, args.file, now=SystemClock().now())
            print(f"Sauvegarde de {target} écrite dans {args.file}.")
            return 0
        info = backup.inspect(url, args.file)
        when = _backup_date(info, settings)
        if not args.yes and not _confirmed(
            f"Restaurer {args.file}, sauvegarde {when}, dans {target} ?\n"
            "Tout ce qui a été écrit dans cette base depuis la sauvegarde sera perdu, sans "
            "retour possible. Arrêtez le bot avant (systemctl stop pne-bot)."
        ):
            print("Restauration annulée : rien n'a été modifié.", file=sys.stderr)
            return 1
        await backup.restore(url, args.file)
    except backup.BackupError as exc:
        print(exc, file=sys.stderr)
        return 1
    db = Database(url)
    try:
        await upgrade(db.engine)  # an older backup comes up to the current schema
    finally:
        await db.close()
    print(f"{target[0].upper()}{target[1:]} est restaurée depuis la sauvegarde {when}, et à jour.")
    return 0


def _backup_date(info: BackupInfo, settings: Settings) -> str:
    """« du 04/12/2026 à 03:10 (Europe/Paris) », or the file's date for a foreign copy."""

    def local(at: datetime) -> str:
        return f"{at.astimezone(settings.tz):%d/%m/%Y à %H:%M} ({settings.timezone})"

    if info.taken_at is not None:
        return f"du {local(info.taken_at)}"
    return f"de date inconnue (copie faite hors de pne-bot, fichier du {local(info.file_date)})"


def _confirmed(question: str) -> bool:
    """The operator typed « oui »; anything else, or no terminal at all, is a no."""
    print(question)
    try:
        answer = input("Tapez « oui » pour confirmer : ")
    except EOFError:
        print()
        return False
    return answer.strip().lower() == "oui"


def parse_at(text: str, tz: ZoneInfo) -> datetime:
    """``--at``: an ISO date-time; without a zone it is local time (Europe/Paris)."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise DomainError("cli.error.at", value=text) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=tz)


async def _reminders(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    from bot.services import reminders

    tz = ZoneInfo(settings.timezone)
    if args.reminders_command == "list":
        now = SystemClock().now()
        lines = await reminders.pending_report(db, now=now, limit=args.limit)
        if not lines:
            print("Aucune relance en attente.")
            return 0
        for line in lines:
            due = line.next_attempt_at.astimezone(tz)
            flag = " (en retard)" if line.late else ""
            error = f" — dernière erreur : {line.last_error}" if line.last_error else ""
            print(
                f"{due:%d/%m/%Y %H:%M} {line.state:<7} {line.kind:<26} {line.key}"
                f" — tentatives : {line.attempts}{flag}{error}"
            )
        return 0
    now = SystemClock().now()
    at = parse_at(args.at, tz) if args.at else now
    if args.sandbox:
        # The sandbox's demo people live on the offline Bot API, token or not.
        return await run_reminders_at(settings, db, at, offline=True)
    if at > now + timedelta(minutes=1) and not settings.offline:
        # With a real bot this would send real reminders ahead of their time.
        print(
            "--at dans le futur n'est permis qu'hors ligne (sans PNE_TELEGRAM_TOKEN) : "
            "avec le vrai bot, les relances partiraient en avance.",
            file=sys.stderr,
        )
        return 1
    return await run_reminders_at(settings, db, at)


async def _discord(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    if settings.discord_token is None:
        print("PNE_DISCORD_TOKEN n'est pas configuré : rien à synchroniser.", file=sys.stderr)
        return 1
    from bot.bootstrap import bootstrap
    from handlers.discord.runner import sync

    return await sync(bootstrap(settings, db))


async def run_reminders_at(
    settings: Settings, db: Database, at: datetime, *, offline: bool | None = None
) -> int:
    """One sweep as if it were ``at``; prints what it sent (offline: the texts too).

    ``at`` selects what is due and is the instant the texts are written for; the leases
    and the instants recorded come from the real clock, so a bot running beside this
    catch-up never takes a batch it is sending (its leases are current).

    ``offline`` (default: no token configured) sends to the offline Bot API, never to
    Telegram.
    """
    # The Telegram side of the run: offline whenever no Telegram token is configured.
    offline = settings.telegram_token is None if offline is None else offline
    from sqlalchemy import select

    from bot.domain.platforms import TELEGRAM
    from bot.services import reminders
    from handlers.telegram.app import build_application, running
    from handlers.telegram.delivery import telegram_sender
    from handlers.telegram.offline import OfflineBotAPI, parse_html
    from storage.models import Person

    clock = FrozenClock(at)
    api: OfflineBotAPI | None = None
    if offline:
        settings = settings.model_copy(update={"telegram_token": None})
        # No token: the messages go to the offline Bot API and are printed here.
        api = OfflineBotAPI(bot_username=settings.bot_username)
        async with db.uow() as uow:
            people = (await uow.session.scalars(select(Person))).all()
        for person in people:
            account = person.account(TELEGRAM)  # every private chat the sweep may write to
            if account is not None and account.chat_id is not None:
                api.user(account.chat_id, person.full_name)
        if settings.staff_chat_id is not None:
            api.group(settings.staff_chat_id, "Équipe SEM")
    application = build_application(settings, db, clock=clock, request=api)
    async with running(application, start=False):
        renderers = application.bot_data["services"].extra[reminders.RENDERERS_KEY]
        send = telegram_sender(application.bot)
        worker = reminders.worker_id()
        real = SystemClock()
        report = await reminders.drain(db, renderers, send, clock=real, worker=worker, as_of=at)
        # Then the crowds' reminders (a call's closing reminder), as the paced lane would.
        report.merge(
            await reminders.paced(db, renderers, send, clock=real, worker=worker, as_of=at)
        )
    local = at.astimezone(ZoneInfo(settings.timezone))
    print(
        _plain(
            I18n(settings.tz).t(
                settings.language,
                "cli.reminders.done",
                at=f"{local:%d/%m/%Y %H:%M}",
                count=report.sent,
                skipped=report.skipped,
                retried=report.retried,
                dead=report.dead,
            )
        )
    )
    for key, chat_id in report.deliveries:
        print(f"  → {key} : chat {chat_id}")
        if api is not None:
            for sent in api.sent_to(chat_id):
                if sent.method == "sendMessage":
                    for line in parse_html(str(sent.params["text"])).splitlines():
                        print(f"      {line}")
            api.clear()
    for key, chat_id, reason in report.failures:
        print(f"  ✗ {key} : chat {chat_id} — {reason}")
    return 0


def write_qr(link: str, path: Path) -> None:
    import qrcode
    from qrcode.image.pure import PyPNGImage

    image = qrcode.make(link, image_factory=PyPNGImage)
    with path.open("wb") as handle:
        image.save(handle)


if __name__ == "__main__":
    raise SystemExit(main())

"""The ``pne-bot`` command line, run as an operator would (SQLite in a temporary folder)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.__main__ import main
from bot.domain.claims import ClaimKind
from bot.services import claims
from storage.uow import Database


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'data' / 'cli.sqlite3'}"
    monkeypatch.setenv("PNE_DATABASE_URL", url)
    monkeypatch.delenv("PNE_TELEGRAM_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    return url


def test_migrate_creates_the_database_and_its_folder(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate"]) == 0
    assert "Base de données à jour." in capsys.readouterr().out
    assert Path(db_url.removeprefix("sqlite:///")).exists()


def test_a_bad_setting_stops_with_one_line_naming_the_variable(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PNE_TIMEZONE", "Mars/Olympus")
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "Configuration invalide : PNE_TIMEZONE = « Mars/Olympus » ne convient pas."
        " Il faut un fuseau horaire de la base IANA, par exemple Europe/Paris."
    ]


def test_each_bad_setting_is_named_in_french_with_what_it_expects(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PNE_STAFF_CHAT_ID", "groupe-sem")
    monkeypatch.setenv("PNE_INVITATION_DAYS", "365")
    monkeypatch.setenv("PNE_DATABASE_URL", "mysql://localhost/pne")
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "Configuration invalide : PNE_DATABASE_URL = « mysql://localhost/pne » ne convient"
        " pas. Il faut une adresse de base de données sqlite:///chemin/fichier.sqlite3 ou"
        " postgresql://utilisateur@hôte/base.",
        "Configuration invalide : PNE_STAFF_CHAT_ID = « groupe-sem » ne convient pas. Il faut"
        " un nombre entier : l'identifiant du groupe de l'équipe (souvent négatif, par"
        " exemple -1001234567890).",
        "Configuration invalide : PNE_INVITATION_DAYS = « 365 » ne convient pas. Il faut un"
        " nombre de jours, de 1 à 90.",
    ]


def test_imports_report_bad_rows_with_their_line_and_write_nothing(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "schools.csv"
    bad.write_text(
        "uai,name,commune_insee,commune_name,sector\n"
        "0429901J,École A,42218,Saint-Étienne,public\n"
        "12,École B,42218,Saint-Étienne,public\n"
        "0429902K,École C,42218,Saint-Étienne,lunaire\n",
        encoding="utf-8",
    )
    assert main(["admin", "import-schools", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "2 lignes refusées, rien n'a été importé" in err
    assert "ligne 3 : UAI invalide « 12 »" in err
    assert "ligne 4 : secteur invalide « lunaire »" in err

    good = tmp_path / "good.csv"
    good.write_text(
        "uai;name;commune_insee;commune_name;sector\n0429901J;École A;42218;Saint-Étienne;public\n",
        encoding="utf-8-sig",
    )
    assert main(["admin", "import-schools", str(good)]) == 0
    assert "Import terminé : 1 créé, 0 mis à jour." in capsys.readouterr().out


def test_an_equipment_import_names_the_types_it_kept_as_written(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schools = tmp_path / "schools.csv"
    schools.write_text(
        "uai;name;commune_insee;commune_name;sector\n0429901J;École A;42218;Saint-Étienne;public\n",
        encoding="utf-8",
    )
    assert main(["admin", "import-schools", str(schools)]) == 0
    equipment = tmp_path / "equipment.csv"
    equipment.write_text(
        "asset_tag;school_uai;type;model;serial;owner;acquired_on;value_eur\n"
        "SEM-1;0429901J;Tablette;iPad;;sem;;\n"
        "SEM-2;0429901J;imprimante;HP;;sem;;\n"
        "SEM-3;0429901J;enceinte;JBL;;sem;;\n"
        "SEM-4;0429901J;Imprimante;HP;;sem;;\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["admin", "import-equipment", str(equipment)]) == 0
    out = capsys.readouterr().out
    assert "Import terminé : 4 créés, 0 mis à jour." in out
    assert "2 types inconnus gardés tels quels : imprimante, enceinte" in out


def test_invite_prints_a_single_use_code_a_deep_link_and_writes_a_qr_code(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["admin", "seed-demo"]) == 0
    qr = tmp_path / "invitation.png"
    assert (
        main(
            [
                "admin",
                "invite",
                "--role",
                "teacher",
                "--school",
                "0429901J",
                "--expires-in",
                "7d",
                "--qr",
                str(qr),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    code = next(line.split(" : ")[1] for line in out.splitlines() if line.startswith("Code"))
    assert f"Lien : https://t.me/pne_demo_bot?start={code}" in out
    assert "rôle teacher — École élémentaire du Soleil (démo) (0429901J)" in out
    assert qr.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    number = out.split("Invitation n° ")[1].split(" ")[0]
    assert main(["admin", "revoke", number]) == 0
    assert main(["admin", "revoke", number]) == 1
    assert "Ce code d'invitation a été annulé." in capsys.readouterr().err


def test_invite_refuses_a_teacher_without_a_school(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["admin", "invite", "--role", "teacher"]) == 1
    assert "doit désigner une école" in capsys.readouterr().err


def test_reminders_run_at_a_given_time_sends_what_is_due_and_prints_it(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["admin", "seed-demo"]) == 0

    async def report() -> None:
        db = Database(db_url.replace("sqlite:///", "sqlite+aiosqlite:///"))
        try:
            schools = await claims.reporting_schools(db, await _person_id(db, 900001))
            await claims.report_claim(
                db,
                claims.ReportClaim(
                    reporter_id=await _person_id(db, 900001),
                    school_id=schools[0].id,
                    kind=ClaimKind.THEFT,
                    discovered_at=datetime(2026, 11, 2, 7, 0, tzinfo=UTC),
                    description="Vol d'une tablette",
                    items=(claims.ItemRequest("XYZ-1", "tablette"),),
                ),
                datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
            )
        finally:
            await db.close()

    asyncio.run(report())
    capsys.readouterr()
    assert main(["reminders", "list"]) == 0
    listing = capsys.readouterr().out
    assert "pending claim.duties.reminder" in listing
    assert "claim:1:duties:24h" in listing

    assert main(["reminders", "run", "--at", "2026-11-03T09:00"]) == 0
    out = capsys.readouterr().out
    assert "Relances au 03/11/2026 09:00 : 1 envoyée," in out
    assert "→ claim:1:duties:24h : chat 900003" in out
    assert "démarches à faire avant le mercredi 4 novembre 2026 à 08:00" in out

    assert main(["reminders", "run", "--at", "2026-11-03T09:00"]) == 0
    assert "0 envoyée," in capsys.readouterr().out


async def _person_id(db: Database, telegram_id: int) -> int:
    async with db.uow() as uow:
        person = await uow.people.by_account("telegram", telegram_id)
        assert person is not None
        return person.id


def test_run_without_a_token_plays_the_sandbox_on_its_own_database(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = tmp_path / "data" / "sandbox.sqlite3"
    monkeypatch.setenv("PNE_SANDBOX_DATABASE_URL", f"sqlite:///{sandbox}")
    assert main(["run"]) == 0  # no terminal here: the sandbox reads end of input and says bye
    out = capsys.readouterr().out
    assert "Annuaire de démonstration chargé" in out
    assert "Qui êtes-vous ?" in out
    assert sandbox.exists()
    assert not Path(db_url.removeprefix("sqlite:///")).exists()  # the real database untouched


def test_with_a_token_the_demo_is_not_loaded_and_reminders_are_not_sent_early(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PNE_TELEGRAM_TOKEN", "1234567:REAL-LOOKING")
    assert main(["admin", "seed-demo"]) == 1
    assert "n'est pas chargé dans une base réelle" in capsys.readouterr().err
    assert main(["reminders", "run", "--at", "2099-01-01T09:00"]) == 1
    assert "--at dans le futur n'est permis qu'hors ligne" in capsys.readouterr().err


def test_people_are_listed_and_can_lose_then_regain_access(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["admin", "seed-demo"]) == 0
    capsys.readouterr()
    assert main(["admin", "people"]) == 0
    listing = capsys.readouterr().out
    line = next(li for li in listing.splitlines() if "Camille Martin" in li)
    assert "teacher" in line and "(0429901J)" in line and "(Telegram 900001)" in line
    person_id = line.split()[0]

    assert main(["admin", "deactivate", person_id]) == 0
    assert "Camille Martin (démo) : accès retiré." in capsys.readouterr().out
    assert main(["admin", "people"]) == 0
    assert "[désactivé]" in capsys.readouterr().out
    assert main(["admin", "reactivate", person_id]) == 0
    assert "accès rendu" in capsys.readouterr().out


def test_a_staff_member_is_marked_as_the_plans_assistant_from_the_command_line(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["admin", "seed-demo"]) == 0
    capsys.readouterr()
    assert main(["admin", "people"]) == 0
    lines = capsys.readouterr().out.splitlines()
    staff = next(li for li in lines if " staff " in li)
    teacher = next(li for li in lines if "Camille Martin" in li)
    staff_id, teacher_id = staff.split()[0], teacher.split()[0]

    assert main(["admin", "assistant", teacher_id]) == 1
    assert "seule une personne de l'équipe peut en être l'assistante" in capsys.readouterr().err
    assert main(["admin", "assistant", staff_id]) == 0
    assert "est l'assistante du Plan numérique" in capsys.readouterr().out
    assert main(["admin", "people"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [li.split()[0] for li in listed if "[assistante]" in li] == [staff_id]
    assert main(["admin", "assistant", staff_id, "--off"]) == 0
    assert "ne reçoit plus les fiches d'engagement" in capsys.readouterr().out
    assert main(["admin", "people"]) == 0
    assert "[assistante]" not in capsys.readouterr().out


def test_an_account_code_for_a_registered_person_is_made_from_the_command_line(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["admin", "seed-demo"]) == 0
    capsys.readouterr()
    assert main(["admin", "people"]) == 0
    line = next(li for li in capsys.readouterr().out.splitlines() if "Camille Martin" in li)
    assert main(["admin", "link", line.split()[0], "--expires-in", "2d"]) == 0
    out = capsys.readouterr().out
    assert "un compte de plus pour Camille Martin (démo)" in out
    assert "Code (usage unique) : " in out


def test_reminders_list_and_run_read_the_sandbox_database_when_told(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = f"sqlite:///{tmp_path / 'data' / 'sandbox.sqlite3'}"
    monkeypatch.setenv("PNE_SANDBOX_DATABASE_URL", sandbox)
    assert main(["migrate"]) == 0  # the real database: empty

    async def a_claim_in_the_sandbox() -> None:
        from bot.services.directory import seed_demo
        from storage.migrate import upgrade

        db = Database(sandbox.replace("sqlite:///", "sqlite+aiosqlite:///"))
        try:
            await upgrade(db.engine)
            await seed_demo(db, now=datetime(2026, 11, 1, 9, 0, tzinfo=UTC))
            teacher = await _person_id(db, 900001)
            schools = await claims.reporting_schools(db, teacher)
            await claims.report_claim(
                db,
                claims.ReportClaim(
                    reporter_id=teacher,
                    school_id=schools[0].id,
                    kind=ClaimKind.THEFT,
                    discovered_at=datetime(2026, 11, 2, 7, 0, tzinfo=UTC),
                    description="Vol d'une tablette",
                    items=(claims.ItemRequest("XYZ-1", "tablette"),),
                ),
                datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
            )
        finally:
            await db.close()

    asyncio.run(a_claim_in_the_sandbox())
    capsys.readouterr()
    assert main(["reminders", "list"]) == 0
    assert "Aucune relance en attente." in capsys.readouterr().out
    assert main(["reminders", "list", "--sandbox"]) == 0
    assert "claim:1:duties:24h" in capsys.readouterr().out

    # Even with a real token, the sandbox's reminders go to the offline Bot API.
    monkeypatch.setenv("PNE_TELEGRAM_TOKEN", "1234567:REAL-LOOKING")
    assert main(["reminders", "run", "--sandbox", "--at", "2026-11-03T09:00"]) == 0
    out = capsys.readouterr().out
    assert "Relances au 03/11/2026 09:00 : 1 envoyée," in out
    assert "démarches à faire avant le mercredi 4 novembre 2026 à 08:00" in out


def test_imports_read_excels_exports_and_refuse_bad_files_one_line_per_row(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Windows-1252 with « ; », UTF-16 with its mark: imported; a column twice, a column
    missing, a huge cell, a date to come: one French line per row, never a traceback."""
    schools = tmp_path / "ecoles.csv"
    schools.write_bytes(
        "uai;name;commune_insee;commune_name;sector\r\n"
        "0429901J;École Sainte-Thérèse;42218;Saint-Étienne;privé\r\n".encode("cp1252")
    )
    assert main(["admin", "import-schools", str(schools)]) == 0
    assert "Import terminé : 1 créé, 0 mis à jour." in capsys.readouterr().out
    header = "asset_tag;school_uai;type;model;serial;owner;acquired_on;value_eur\r\n"
    unicode = tmp_path / "materiel-unicode.csv"
    unicode.write_bytes(
        (header + "SEM-1;0429901J;Écran interactif;Speechi;;sem;2024-09-02;1 234,50\r\n").encode(
            "utf-16"
        )
    )
    assert main(["admin", "import-equipment", str(unicode)]) == 0
    assert "Import terminé : 1 créé, 0 mis à jour." in capsys.readouterr().out

    bad = tmp_path / "materiel.csv"
    cases = {
        header.strip() + ";Asset_Tag\nSEM-2;0429901J;laptop;L14;;sem;;;X\n": [
            "1 ligne refusée, rien n'a été importé :",
            "  ligne 1 : l'en-tête nomme deux fois numéro d'inventaire (colonne asset_tag)",
        ],
        "asset_tag;school_uai;type;model\nSEM-2;0429901J;laptop;L14\n": [
            "1 ligne refusée, rien n'a été importé :",
            "  ligne 1 : colonnes manquantes dans l'en-tête : numéro de série (colonne serial), "
            "propriétaire (colonne owner), date d'achat (colonne acquired_on), "
            "valeur d'achat en euros (colonne value_eur)",
        ],
        header
        + "SEM-2;0429901J;laptop;L14;;sem;9999-12-31;100\n"
        + f"SEM-3;0429901J;laptop;{'L' * 200_000};;sem;;\n"
        + "SEM-4;0429901J;laptop;;;sem;2030-01-01;100\n": [
            "3 lignes refusées, rien n'a été importé :",
            "  ligne 2 : date d'achat 9999-12-31 postérieure au jour de l'import (" + "{today})",
            "  ligne 3 : la colonne modèle (colonne model) dépasse 1000 caractères : ligne non lue",
            "  ligne 4 : champ obligatoire vide : modèle ; date d'achat 2030-01-01 postérieure"
            " au jour de l'import ({today})",
        ],
    }
    from bot.i18n import I18n

    today = I18n().date("fr", datetime.now(UTC).astimezone(ZoneInfo("Europe/Paris")).date())
    for text, expected in cases.items():
        bad.write_bytes(text.encode("cp1252"))
        assert main(["admin", "import-equipment", str(bad)]) == 1
        err = capsys.readouterr().err
        assert err.splitlines() == [line.replace("{today}", today) for line in expected]

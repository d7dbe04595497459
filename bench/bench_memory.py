"""The bot's resident memory with 100,000 tickets, after staff's /file and /bilan.

The history of ``bench_report`` (PNE_BENCH_CLAIMS claims and PNE_BENCH_ITEMS items,
100,000 each by default) is written to a SQLite file; then a process of its own starts
the whole bot on it (the real Application, the offline Bot API), and its staff member
sends /file, then /bilan over the whole history, then /bilan of two months. The process
reads its own resident set (``VmRSS``) after the start and after each command, and its
peak (``VmHWM``). Target (issue 14): ≤ 150 MiB after /file and /bilan.

The chart of /bilan is drawn in a short-lived process (decision 0088): matplotlib does
not stay in the bot's memory. The probe is this module run with ``--probe URL``.

Run by hand: ``make bench`` or ``python -m bench memory``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from bench.bench_report import CLAIMS, ITEMS, _fill, _table
from storage.migrate import upgrade
from storage.models import PlatformAccount
from storage.uow import Database

ROOT = Path(__file__).resolve().parents[1]
STAFF_CHAT = 5555
TARGET_MIB = 150.0
NOW = datetime(2026, 12, 31, 10, 0, tzinfo=UTC)  # the history runs to 2027


def _memory() -> dict[str, float]:
    """This process's resident set now and at its peak, in MiB."""
    found: dict[str, float] = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(value.split()[0]) / 1024
    return found


async def _probe(url: str) -> dict[str, object]:
    from bot.clock import FrozenClock
    from bot.config import Settings
    from handlers.telegram.app import build_application, running
    from handlers.telegram.offline import OfflineBotAPI

    settings = Settings(telegram_token=None, database_url=url, _env_file=None)  # type: ignore[call-arg]
    db = Database(url)
    api = OfflineBotAPI()
    staff = api.user(STAFF_CHAT, "Bench")
    app = build_application(settings, db, clock=FrozenClock(NOW), request=api, rate_limit=False)
    api.attach(app)
    seen: dict[str, object] = {}
    try:
        async with running(app, start=False):
            seen["started"] = _memory()
            await api.send_text(staff, "/file")
            queue = api.sent[-1].params.get("text", "")
            seen["after /file"] = _memory()
            await api.send_text(staff, "/bilan 01/01/2024 - 31/12/2026")
            documents = [r for r in api.sent if r.method in ("sendDocument", "sendPhoto")]
            seen["after /bilan (all)"] = _memory()
            await api.send_text(staff, "/bilan")
            seen["after /bilan (two months)"] = _memory()
            api.assert_no_refusals()
    finally:
        await db.close()
    seen["queue"] = str(queue)[:80]
    seen["files"] = len(documents)
    return seen


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'memory.sqlite3'}"
        db = Database(url)
        try:
            await upgrade(db.engine)
            filled, _ = await _fill(db)
            async with db.engine.begin() as conn:
                await conn.execute(
                    insert(_table(PlatformAccount)),
                    [
                        {
                            "person_id": 1,  # the history's staff member
                            "platform": "telegram",
                            "external_user_id": STAFF_CHAT,
                            "chat_id": STAFF_CHAT,
                            "created_at": NOW,
                        }
                    ],
                )
        finally:
            await db.close()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        probe = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.bench_memory",
            "--probe",
            url,
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await probe.communicate()
    if probe.returncode != 0:
        raise RuntimeError(f"the probe failed:\n{err.decode(errors='replace')[-4000:]}")
    seen = json.loads(out.decode().strip().splitlines()[-1])
    print(
        f"resident memory of the bot over {CLAIMS:,} claims and {ITEMS:,} items "
        f"(filled in {filled:.0f} s)"
    )
    print(f"  the queue's first line: {seen['queue']!r}; /bilan sent {seen['files']} files")
    for moment in ("started", "after /file", "after /bilan (all)", "after /bilan (two months)"):
        memory = seen[moment]
        print(f"  {moment:<27}: {memory['VmRSS']:6.1f} MiB (peak so far {memory['VmHWM']:6.1f})")
    last = seen["after /bilan (two months)"]["VmRSS"]
    verdict = "met" if last <= TARGET_MIB else "NOT met"
    print(f"  target: <= {TARGET_MIB:.0f} MiB after /file and /bilan: {verdict}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--probe":
        print(json.dumps(asyncio.run(_probe(sys.argv[2]))))
    else:
        asyncio.run(main())

"""kill -9 in the middle of a burst: how many requests are lost, and how many answered twice (R1).

The real bot (`python -m bot run`) long-polls the fake Bot API; 20 users send 20 `/help` each
(400 requests, all queued at once) and the process is SIGKILLed three times while it answers,
each time after a random share of the work, then restarted. Printed: lost requests (must be
0), requests answered twice, and that per kill. A restart may answer again only updates whose
reply had left and whose done-mark was not committed yet: at most the updates in flight, one
per chat being handled (8).

    .venv/bin/python bench/kill9_burst.py                   # SQLite, 3 runs
    .venv/bin/python bench/kill9_burst.py --db postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bot.fake_api import FakeBotApi  # noqa: E402
from storage.db import make_sync_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from tests.support.burst import kill9_burst  # noqa: E402


def fresh_database(db: str | None, folder: Path, run: int) -> str:
    if db is None:
        url = f"sqlite:///{folder / f'burst{run}.sqlite3'}"
    else:
        url = db
        engine = make_sync_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    return url


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--per-user", type=int, default=20)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", help="an empty PostgreSQL database (its schema is reset)")
    args = parser.parse_args()
    lost = doubled = kills = 0
    with tempfile.TemporaryDirectory() as folder:
        for run in range(args.runs):
            url = fresh_database(args.db, Path(folder), run)
            api = FakeBotApi()
            await api.start()
            try:
                result = await kill9_burst(api, url, users=args.users, per_user=args.per_user,
                                           kills=args.kills, seed=run, DCM_LEASE_SECONDS="3",
                                           DCM_LOG_LEVEL="WARNING")
            finally:
                await api.stop()
            print(f"run {run + 1}: {result.line()}; answered at each kill "
                  f"{result.answered_at_kill}")
            lost += result.lost
            doubled += result.doubled
            kills += result.kills
    print(f"total: {kills} kills, lost {lost}, answered twice {doubled} "
          f"({doubled / kills:.2f} per kill)")


if __name__ == "__main__":
    asyncio.run(main())

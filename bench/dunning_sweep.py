"""The daily dunning sweep over a large invoice table: its time and memory follow the due
invoices, not the table.

Three runs, each on a fresh SQLite file seeded with Core bulk inserts (1,000 customers with a
contact each, one sales rep): 100,000 invoices with 1,000 due today; 1,000,000 invoices with
the same 1,000 due (the table ten times larger, the work the same); 1,000,000 with 10,000
due (1%, as in the issue). The due invoices are on their first overdue day, so each gets one
reminder to the customer and one nudge to the sales rep through the outbox. Each sweep runs
in a child process that reports its wall time and the growth of its resident memory.

    .venv/bin/python bench/dunning_sweep.py            # all three runs (about 3 minutes)
    .venv/bin/python bench/dunning_sweep.py --quick    # 10x smaller
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)  # a Monday, 10:00
TODAY = date(2026, 11, 23)


def seed(url: str, invoices: int, due: int) -> None:
    from sqlalchemy import insert

    from storage.db import make_sync_engine
    from storage.migrate import upgrade
    from storage.models import Contact, Customer, Invoice, Staff

    upgrade(url)
    engine = make_sync_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(Staff), [{"id": 1, "telegram_id": 9101, "name": "Rep",
                                      "active": True, "created_at": NOW}])
        conn.execute(insert(Customer), [
            {"id": c, "code": f"C{c:05d}", "name": f"Customer {c}", "owner_id": 1,
             "created_at": NOW, "updated_at": NOW} for c in range(1, 1001)])
        conn.execute(insert(Contact), [
            {"id": c, "customer_id": c, "telegram_id": 7_000_000 + c, "locale": "en",
             "linked_at": NOW} for c in range(1, 1001)])
        later = datetime(2026, 12, 20, 1, 0, tzinfo=UTC)
        chunk = 50_000
        for start in range(0, invoices, chunk):
            rows = []
            for n in range(start, min(start + chunk, invoices)):
                is_due = n % (invoices // due) == 0 if due else False
                rows.append({
                    "invoice_no": f"INV-{n:08d}", "customer_id": n % 1000 + 1,
                    "amount": Decimal("1000.00"), "paid": Decimal("0"), "currency": "CNY",
                    "issued_on": date(2026, 10, 1),
                    "due_on": TODAY - timedelta(days=1) if is_due else date(2026, 12, 23),
                    "status": "open", "rung": 0 if is_due else None,
                    "next_rung_at": NOW - timedelta(hours=1) if is_due else later,
                    "created_at": NOW})
            conn.execute(insert(Invoice), rows)
    engine.dispose()


def child(url: str) -> None:
    """Run one sweep and print its figures as JSON."""
    import psutil

    from domain.calendar import WorkingCalendar
    from domain.receivables import LadderPolicy
    from services.receivables import Ledger, sweep_ladder
    from storage.db import open_database
    from storage.uow import SqlUnitOfWork

    async def main() -> dict[str, float]:
        database = open_database(url)
        ledger = Ledger(WorkingCalendar("CN", "Asia/Shanghai"), LadderPolicy(), "en")
        proc = psutil.Process()
        before = proc.memory_info().rss
        peak = [before]
        done = threading.Event()

        def sample() -> None:  # a thread: inline SQLite keeps the event loop busy
            while not done.wait(0.01):
                peak[0] = max(peak[0], proc.memory_info().rss)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        moved = await sweep_ladder(lambda: SqlUnitOfWork(database.sessions), NOW,
                                   ledger=ledger, render_letter=lambda locale, data: b"")
        took = time.perf_counter() - started
        done.set()
        sampler.join()
        await database.dispose()
        return {"moved": moved, "seconds": took,
                "rss_growth_mb": (max(peak[0], proc.memory_info().rss) - before) / 2**20}

    print(json.dumps(asyncio.run(main())))


def run(invoices: int, due: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'sweep.sqlite3'}"
        started = time.perf_counter()
        seed(url, invoices, due)
        seeded = time.perf_counter() - started
        out = subprocess.run([sys.executable, __file__, "--child", url], check=True,
                             capture_output=True, text=True, cwd=ROOT)
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        figures["seed_seconds"] = seeded
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="ten times smaller")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    scale = 10 if args.quick else 1
    runs = [(100_000 // scale, 1_000 // scale), (1_000_000 // scale, 1_000 // scale),
            (1_000_000 // scale, 10_000 // scale)]
    print("invoices | due today | moved | sweep s | per due item ms | RSS growth MB")
    results = []
    for invoices, due in runs:
        r = run(invoices, due)
        results.append(r)
        print(f"{invoices:>9,} | {due:>9,} | {int(r['moved']):>5,} | {r['seconds']:7.1f} | "
              f"{r['seconds'] / max(r['moved'], 1) * 1000:15.2f} | {r['rss_growth_mb']:.1f}",
              flush=True)
    base, bigger, more = results
    print(f"\ntable x10, same due: time x{bigger['seconds'] / base['seconds']:.2f}, "
          f"memory growth {base['rss_growth_mb']:.1f} -> {bigger['rss_growth_mb']:.1f} MB")
    print(f"due x10 on the large table: time x{more['seconds'] / bigger['seconds']:.2f} "
          f"(the work follows the due items)")


if __name__ == "__main__":
    main()

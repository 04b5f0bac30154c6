"""Reply latency while `python -m bot import orders` writes 40,000 orders into SQLite.

Seeds a fresh SQLite file, runs the real bot (`python -m bot run`) as a subprocess against a
FakeBotApi served from this process, and has a few linked customer contacts send `/orders`
one after another, each waiting for its answer (a reply to `/orders` needs the inbox write,
the actor's lookup, the page of orders and the inbox's "done" write). Latency is the time
from the update's push to the answer reaching the fake server. First a baseline without an
import, then the same chat while the CLI imports a CSV of 40,000 orders (38,000 new, 2,000
status updates of seeded ones) in another process. Prints p50/p90/p99/max of both phases,
the import's own time and output, and PASS/FAIL against the target (p99 during the import
under 1 s); exits 0 either way, 1 only when the bench itself is broken.

    .venv/bin/python bench/import_while_chatting.py             # about a minute on 2 cores
    .venv/bin/python bench/import_while_chatting.py --orders 100000 --users 8
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import platform
import signal
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

from bot.fake_api import Call, FakeBotApi, Persona  # noqa: E402

TOKEN = "123456789:BENCHTOKENxxxxxxxxxxxxxxxxxxxx"
TARGET_P99 = 1.0
HEADER = ["order_no", "customer_code", "order_date", "product", "quantity", "unit_price",
          "currency", "delivery_date", "delivery_place", "status", "spec", "unit",
          "payment_terms", "expected_delivery"]
_T0 = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - _T0:6.1f}s] {message}", file=sys.stderr, flush=True)


class BenchBroken(Exception):
    """The bench could not measure what it claims to (crash, timeout, wrong answers)."""


# -- data -----------------------------------------------------------------------------------

def seed(url: str, *, customers: int, seeded_orders: int, users: int) -> list[Persona]:
    """Migrate; bulk-insert one sales rep, customers, some orders and linked contacts."""
    from sqlalchemy import insert

    from storage.db import make_sync_engine
    from storage.migrate import upgrade
    from storage.models import Contact, Customer, Order, OrderStatusChange, Staff, StaffRole

    upgrade(url)
    now = datetime.now(UTC).replace(microsecond=0)
    engine = make_sync_engine(url)
    personas = [Persona(5_000_000_000 + u, f"User{u}", "en") for u in range(users)]
    try:
        with engine.begin() as conn:
            conn.execute(insert(Staff), [{"id": 1, "telegram_id": 9_100_000, "name": "Rep",
                                          "active": True, "created_at": now}])
            conn.execute(insert(StaffRole), [{"staff_id": 1, "role": "sales"}])
            conn.execute(insert(Customer), [
                {"id": c + 1, "code": f"C{c + 1:04d}", "name": f"Customer {c + 1}",
                 "legal_representative": "Rep", "registered_address": "Road",
                 "phone": "1", "business_scope": "Supplies", "owner_id": 1, "grade": "B",
                 "created_at": now, "updated_at": now} for c in range(customers)])
            rows = [_order_row(i, customers, now) for i in range(seeded_orders)]
            conn.execute(insert(Order), rows)
            conn.execute(insert(OrderStatusChange), [
                {"order_id": r["id"], "status": r["status"], "changed_at": now,
                 "source": "bench"} for r in rows])
            conn.execute(insert(Contact), [
                {"customer_id": u % customers + 1, "telegram_id": p.id, "name": p.first_name,
                 "locale": "en", "unreachable": False, "linked_at": now}
                for u, p in enumerate(personas)])
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    return personas


def _order_row(i: int, customers: int, now: datetime) -> dict[str, Any]:
    day = (now - timedelta(days=i % 700)).date()
    return {"id": i + 1, "order_no": f"S-{i + 1:07d}", "customer_id": i % customers + 1,
            "order_date": day, "product": "Steel pipe", "spec": "DN50",
            "quantity": Decimal(10 + i % 90), "unit": "pcs", "unit_price": Decimal("12.50"),
            "currency": "CNY", "delivery_date": day + timedelta(days=30),
            "delivery_place": "Dock", "payment_terms": "Net 30",
            "expected_delivery": day + timedelta(days=30), "status": "confirmed",
            "created_at": now, "updated_at": now}


def write_import(path: Path, *, customers: int, new: int, updates: int) -> None:
    """`new` new orders, and `updates` seeded ones moving on to in_production."""
    today = datetime.now(UTC).date()
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for i in range(updates):
            day = today - timedelta(days=i % 700)
            out.writerow([f"S-{i + 1:07d}", f"C{i % customers + 1:04d}", day, "Steel pipe",
                          10 + i % 90, "12.50", "CNY", day + timedelta(days=30), "Dock",
                          "in_production", "DN50", "pcs", "Net 30", day + timedelta(days=30)])
        for i in range(new):
            day = today - timedelta(days=i % 365)
            out.writerow([f"IM-{i + 1:07d}", f"C{i % customers + 1:04d}", day, "Copper wire",
                          1 + i % 500, "980.50", "HKD", day + timedelta(days=45), "Kwai Chung",
                          "pending", "2.5mm", "roll", "Net 60", ""])


# -- chatting -------------------------------------------------------------------------------

@dataclass
class Chat:
    """Personas that each send /orders, wait for the answer, pause, and go again."""

    api: FakeBotApi
    personas: list[Persona]
    pause: float
    samples: list[tuple[float, float]] = field(default_factory=list)  # (sent at, seconds)
    _waiting: dict[int, asyncio.Future[float]] = field(default_factory=dict)

    def on_call(self, call: Call) -> None:
        if call.method != "sendMessage":
            return
        future = self._waiting.pop(call.params.get("chat_id"), None)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())

    async def one(self, persona: Persona, stop: asyncio.Event, limit: float) -> None:
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            future: asyncio.Future[float] = loop.create_future()
            self._waiting[persona.id] = future
            sent = time.perf_counter()
            await self.api.send_text(persona, "/orders")
            try:
                answered = await asyncio.wait_for(future, limit)
            except TimeoutError:
                raise BenchBroken(f"no answer to /orders within {limit:.0f} s") from None
            self.samples.append((sent, answered - sent))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.pause)

    async def run_until(self, stop: asyncio.Event, limit: float) -> list[float]:
        start = len(self.samples)
        await asyncio.gather(*(self.one(p, stop, limit) for p in self.personas))
        return [s for _, s in self.samples[start:]]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50": statistics.median(values),
            "p90": percentile(values, 0.90), "p99": percentile(values, 0.99),
            "max": max(values)}


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DCM_")}
    env["DCM_CONFIG"] = str(OUT / "no-such-config.toml")
    env["PYTHONUNBUFFERED"] = "1"
    return env


# -- main -----------------------------------------------------------------------------------

async def run(args: argparse.Namespace) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "import_while_chatting.sqlite3"
    for suffix in ("", "-wal", "-shm", "-journal", ".lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    updates = min(args.updates, args.seeded)
    log(f"seeding {args.customers} customers, {args.seeded:,} orders, {args.users} users…")
    personas = seed(url, customers=args.customers, seeded_orders=args.seeded, users=args.users)
    csv_path = OUT / "import_while_chatting.csv"
    write_import(csv_path, customers=args.customers, new=args.orders - updates,
                 updates=updates)

    api = FakeBotApi(record_calls=False)
    api_url = await api.start()
    chat = Chat(api, personas, args.pause)
    api.on_call = chat.on_call
    env = clean_env() | {"DCM_TELEGRAM_TOKEN": TOKEN, "DCM_TELEGRAM_API_URL": api_url,
                         "DCM_DATABASE_URL": url, "DCM_USE_RATE_LIMITER": "false",
                         "DCM_LOG_LEVEL": "WARNING"}
    bot_log = OUT / "import_while_chatting.bot.log"
    with bot_log.open("wb") as fh:
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=ROOT, env=env, stdout=fh,
            stderr=asyncio.subprocess.STDOUT)
    try:
        log("warm-up: every persona's first /orders (menus, caches)…")
        warm = asyncio.Event()
        warm_task = asyncio.create_task(chat.run_until(warm, 60))
        while len(chat.samples) < 2 * len(personas):
            if bot.returncode is not None:
                raise BenchBroken(f"the bot exited with code {bot.returncode}; see {bot_log}")
            await asyncio.sleep(0.1)
        warm.set()
        await warm_task

        log(f"baseline: chatting for {args.baseline:.0f} s without an import…")
        stop = asyncio.Event()
        task = asyncio.create_task(chat.run_until(stop, 60))
        await asyncio.sleep(args.baseline)
        stop.set()
        baseline = await task

        log(f"importing {args.orders:,} orders through the CLI while chatting…")
        stop = asyncio.Event()
        task = asyncio.create_task(chat.run_until(stop, 60))
        started = time.perf_counter()
        importer = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "import", "orders", str(csv_path), cwd=ROOT,
            env=clean_env() | {"DCM_DATABASE_URL": url}, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        out, err = await importer.communicate()
        import_seconds = time.perf_counter() - started
        stop.set()
        during = await task
        if importer.returncode != 0:
            raise BenchBroken(f"the import failed ({importer.returncode}): "
                              f"{err.decode(errors='replace')[-500:]}")
        if bot.returncode is not None:
            raise BenchBroken(f"the bot exited with code {bot.returncode}; see {bot_log}")
    except BenchBroken as exc:
        log(f"BENCH BROKEN: {exc}")
        return 1
    finally:
        if bot.returncode is None:
            bot.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(bot.wait(), 20)
            except TimeoutError:
                bot.kill()
                await bot.wait()
        await api.stop()
    if not during:
        log("BENCH BROKEN: no reply was measured during the import")
        return 1

    base, imp = summary(baseline), summary(during)
    ok = imp["p99"] < TARGET_P99
    import sqlalchemy
    import telegram

    lines = [
        f"Reply latency during an import — {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, PTB "
        f"{telegram.__version__}, SQLAlchemy {sqlalchemy.__version__}, SQLite "
        f"{__import__('sqlite3').sqlite_version}",
        f"{args.users} users sending /orders (pause {args.pause:.2f} s after each answer); "
        f"import of {args.orders:,} orders ({args.orders - updates:,} new, {updates:,} "
        f"updates) into {args.seeded:,} seeded orders of {args.customers} customers",
        f"import: {import_seconds:.1f} s, {out.decode().strip()}",
        "",
        f"{'phase':<16}{'replies':>8}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}",
    ]
    for name, s in (("baseline", base), ("during import", imp)):
        lines.append(f"{name:<16}{s['n']:>8.0f}{s['p50'] * 1000:>9.1f}{s['p90'] * 1000:>9.1f}"
                     f"{s['p99'] * 1000:>9.1f}{s['max'] * 1000:>9.1f}")
    lines += ["", f"{'PASS' if ok else 'FAIL'}: p99 during the import {imp['p99'] * 1000:.0f} ms "
              f"(target < {TARGET_P99 * 1000:.0f} ms)"]
    print("\n".join(lines))
    (OUT / "import_while_chatting.json").write_text(json.dumps({
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "orders": args.orders,
        "users": args.users, "import_seconds": round(import_seconds, 2),
        "baseline": base, "during_import": imp, "pass": ok}, indent=2) + "\n")
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Reply latency while the CLI imports orders.")
    p.add_argument("--orders", type=int, default=40_000, help="rows in the imported file")
    p.add_argument("--updates", type=int, default=2_000,
                   help="of which this many update seeded orders")
    p.add_argument("--seeded", type=int, default=5_000, help="orders seeded beforehand")
    p.add_argument("--customers", type=int, default=20)
    p.add_argument("--users", type=int, default=4, help="personas chatting at once")
    p.add_argument("--pause", type=float, default=0.1,
                   help="seconds each persona waits after an answer")
    p.add_argument("--baseline", type=float, default=10.0,
                   help="seconds of chat measured without an import")
    args = p.parse_args(argv)
    if min(args.orders, args.seeded, args.customers, args.users) < 1:
        p.error("sizes must be at least 1")
    return args


def main() -> None:
    sys.exit(asyncio.run(run(parse_args())))


if __name__ == "__main__":
    main()

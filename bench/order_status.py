"""Order status (`/order NUMBER`) through the real bot vs a bare PTB echo bot, end to end.

Seeds a fresh database (100,000 orders, 10,000 customers, N linked Telegram users by default),
runs `python -m bot run` and bench/echo_bot.py as subprocesses, each long-polling its own
FakeBotApi (bot/fake_api.py) served from this process, and alternates the load between them:
per round, K distinct linked users each send one update at once and the rate is K divided by
the wall time from the first push until the K-th answer reached the fake server. Every answer
is checked (the bot's must be the card of the asked order, not "not found"; the echo's the
same text). Prints both rates per round, the median ratio, both processes' peak RSS (VmHWM)
and PASS/FAIL against the targets (ratio >= 0.7, bot peak RSS < 150 MB); exits 0 either way,
1 only when the bench itself is broken (wrong answers, a crashed bot, a timeout).

    .venv/bin/python bench/order_status.py            # full size, a few minutes on 2 cores
    .venv/bin/python bench/order_status.py --quick    # 10,000 orders, about half a minute
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

from bot.fake_api import Call, FakeBotApi, Persona  # noqa: E402

TOKEN = "123456789:BENCHTOKENxxxxxxxxxxxxxxxxxxxx"
MARKER = "BENCH-DOCK"  # in every seeded order's delivery place: only a real card shows it
ANSWER_METHODS = frozenset({"sendMessage", "editMessageText", "sendPhoto", "sendDocument"})
TARGET_RATIO = 0.7  # issue 12: 0.7x a bare echo bot or better
TARGET_RSS_MB = 150.0
CHUNK = 5_000
LOCALES = (("zh_Hans", "zh-hans"), ("zh_Hant", "zh-hant"), ("en", "en"))
PRODUCTS = ("Steel pipe", "Copper wire", "Aluminium sheet", "Valve", "Flange", "Gasket",
            "Bearing", "Pump housing", "Cable tray", "Fastener kit")
STATUSES = ("pending", "confirmed", "in_production", "quality_check", "shipped", "delivered",
            "accepted")
CURRENCIES = ("CNY", "TWD", "HKD", "USD")


_T0 = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - _T0:6.1f}s] {message}", file=sys.stderr, flush=True)


# -- seeding ------------------------------------------------------------------------------

@dataclass
class Dataset:
    """What was seeded, and which orders each linked user may ask for."""

    url: str
    orders: int
    customers: int
    users: int
    staff: int
    seconds: float
    personas: list[Persona] = field(default_factory=list)
    orders_of: dict[int, list[str]] = field(default_factory=dict)  # telegram id -> order nos


def _chunks(rows: Iterator[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def order_no(i: int) -> str:
    return f"BN-{i + 1:07d}"


def seed(url: str, *, orders: int, customers: int, users: int, staff: int,
         rng_seed: int = 1) -> Dataset:
    """Migrate, then bulk-insert staff, customers, orders (+ history) and linked contacts."""
    from sqlalchemy import func, insert, select, text

    from storage.db import make_sync_engine
    from storage.migrate import upgrade
    from storage.models import Contact, Customer, Order, OrderStatusChange, Staff, StaffRole

    started = time.perf_counter()
    upgrade(url)
    engine = make_sync_engine(url)
    rng = random.Random(rng_seed)
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.date()
    # Customers that have orders: orders go round-robin over customers, contacts likewise.
    with_orders = min(customers, orders)
    try:
        with engine.begin() as conn:
            for table in ("orders", "customers", "contacts"):
                if conn.execute(select(func.count()).select_from(text(table))).scalar_one():
                    raise SystemExit(f"{table} is not empty: the bench needs an empty database")

            conn.execute(insert(Staff), [
                {"id": s + 1, "telegram_id": 9_100_000 + s, "name": f"Bench sales {s + 1}",
                 "active": True, "created_at": now} for s in range(staff)])
            conn.execute(insert(StaffRole), [
                {"staff_id": s + 1, "role": "sales"} for s in range(staff)])

            def customer_rows() -> Iterator[dict[str, Any]]:
                for c in range(customers):
                    yield {
                        "id": c + 1, "code": f"C{c + 1:06d}",
                        "name": f"Bench Customer {c + 1} 有限公司",
                        "legal_representative": f"Rep {c + 1}",
                        "registered_address": f"{c + 1} Bench Road, Suzhou",
                        "phone": f"+86-512-{c:07d}", "email": f"c{c + 1}@example.com",
                        "business_scope": "Industrial supplies",
                        "owner_id": c % staff + 1, "grade": "ABC"[c % 3],
                        "credit_limit": Decimal(100_000 + 1_000 * (c % 50)),
                        "credit_currency": "CNY", "payment_term_days": 30,
                        "created_at": now, "updated_at": now,
                    }

            for chunk in _chunks(customer_rows()):
                conn.execute(insert(Customer), chunk)

            def order_rows() -> Iterator[dict[str, Any]]:
                for i in range(orders):
                    ordered = today - timedelta(days=rng.randrange(730))
                    delivery = ordered + timedelta(days=rng.randrange(14, 90))
                    yield {
                        "id": i + 1, "order_no": order_no(i),
                        "customer_id": i % with_orders + 1, "order_date": ordered,
                        "product": rng.choice(PRODUCTS), "spec": f"DN{rng.randrange(15, 300)}",
                        "quantity": Decimal(rng.randrange(1, 5_000)), "unit": "pcs",
                        "unit_price": Decimal(rng.randrange(100, 100_000)) / 100,
                        "currency": rng.choice(CURRENCIES), "delivery_date": delivery,
                        "delivery_place": f"{MARKER}-{i % 97}", "payment_terms": "Net 30",
                        "expected_delivery": delivery, "status": rng.choice(STATUSES),
                        "created_at": now, "updated_at": now,
                    }

            for chunk in _chunks(order_rows()):
                conn.execute(insert(Order), chunk)
                conn.execute(insert(OrderStatusChange), [
                    {"id": row["id"], "order_id": row["id"], "status": row["status"],
                     "changed_at": now - timedelta(hours=row["id"] % 500), "source": "bench"}
                    for row in chunk])

            personas: list[Persona] = []
            contact_rows: list[dict[str, Any]] = []
            for u in range(users):
                locale, code = LOCALES[u % len(LOCALES)]
                # Above 2**32 like real Telegram ids, to exercise the BigInteger columns.
                persona = Persona(5_000_000_000 + u, f"User{u}", code)
                personas.append(persona)
                contact_rows.append({
                    "id": u + 1, "customer_id": u % with_orders + 1,
                    "telegram_id": persona.id, "name": persona.first_name, "locale": locale,
                    "unreachable": False, "linked_at": now})
            for chunk in _chunks(iter(contact_rows)):
                conn.execute(insert(Contact), chunk)

            if engine.dialect.name == "postgresql":  # explicit ids: move the sequences on
                for table in ("staff", "customers", "orders", "order_status_history",
                              "contacts"):
                    conn.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"))
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()

    orders_of: dict[int, list[str]] = {}
    for u, persona in enumerate(personas):
        customer_index = u % with_orders
        orders_of[persona.id] = [order_no(i) for i in range(customer_index, orders, with_orders)]
    return Dataset(url=url, orders=orders, customers=customers, users=users, staff=staff,
                   seconds=time.perf_counter() - started, personas=personas, orders_of=orders_of)


# -- the processes under test -------------------------------------------------------------

class Meter:
    """Counts a FakeBotApi's answers and stamps the moment the expected one arrives."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api
        self.answers = 0
        self.menus = 0
        self.replies: list[tuple[Any, str]] = []
        self._target: int | None = None
        self._done = asyncio.Event()
        self.finished_at = 0.0
        api.on_call = self._on_call

    def _on_call(self, call: Call) -> None:
        if call.method == "setMyCommands":
            self.menus += 1
        if call.method not in ANSWER_METHODS:
            return
        self.answers += 1
        self.replies.append((call.params.get("chat_id"), str(call.params.get("text") or "")))
        if self._target is not None and self.answers >= self._target and not self._done.is_set():
            self.finished_at = time.perf_counter()
            self._done.set()

    def arm(self, expected: int) -> None:
        self.replies = []
        self._target = self.answers + expected
        self._done = asyncio.Event()

    async def wait(self, proc: asyncio.subprocess.Process, name: str, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._done.is_set():
            if proc.returncode is not None:
                raise BenchBroken(f"{name} exited with code {proc.returncode}; see its log")
            if time.monotonic() > deadline:
                short = (self._target or 0) - self.answers
                raise BenchBroken(f"{name}: not all answered within {seconds:.0f} s "
                                  f"({len(self.replies)} answers, {short} missing)")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._done.wait(), 0.5)


class BenchBroken(Exception):
    """The bench could not measure what it claims to (crash, timeout, wrong answers)."""


@dataclass
class Side:
    """One bot under test: its process, its fake server and its meter."""

    name: str
    api: FakeBotApi
    meter: Meter
    proc: asyncio.subprocess.Process
    log_path: Path
    peak_sampled: int = 0

    def peak_rss(self) -> tuple[int, str]:
        """Peak resident set in bytes: the kernel's high-water mark, else the sampled max."""
        try:
            with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) * 1024, "VmHWM"
        except OSError:
            pass
        return self.peak_sampled, "sampled RSS"

    def sample(self) -> int:
        """Current resident set in bytes (0 if unknown); also keeps the sampled maximum."""
        import psutil

        rss = 0
        with contextlib.suppress(psutil.Error):
            rss = psutil.Process(self.proc.pid).memory_info().rss
            self.peak_sampled = max(self.peak_sampled, rss)
        return rss


def clean_env() -> dict[str, str]:
    """This environment without any DCM_* setting, and no TOML config file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DCM_")}
    env["DCM_CONFIG"] = str(OUT / "no-such-config.toml")
    env["PYTHONUNBUFFERED"] = "1"
    return env


async def start_side(name: str, argv: list[str], env_extra: dict[str, str]) -> Side:
    api = FakeBotApi(record_calls=False)
    url = await api.start()
    meter = Meter(api)
    env = clean_env()
    env.update({k: v.replace("{api}", url) for k, v in env_extra.items()})
    argv = [a.replace("{api}", url) for a in argv]
    log_path = OUT / f"{name}.log"
    with log_path.open("wb") as fh:
        proc = await asyncio.create_subprocess_exec(*argv, cwd=ROOT, env=env, stdout=fh,
                                                    stderr=asyncio.subprocess.STDOUT)
    return Side(name, api, meter, proc, log_path)


async def stop_side(side: Side) -> None:
    if side.proc.returncode is None:
        side.proc.send_signal(signal.SIGINT)  # both bots stop cleanly on SIGINT
        try:
            await asyncio.wait_for(side.proc.wait(), 20)
        except TimeoutError:
            log(f"{side.name} did not stop within 20 s after SIGINT; killing it")
            side.proc.kill()
            await side.proc.wait()
    await side.api.stop()


async def sampler(sides: Sequence[Side]) -> None:
    while True:
        for side in sides:
            side.sample()
        await asyncio.sleep(0.5)


# -- one burst ----------------------------------------------------------------------------

Check = Callable[[list[tuple[Any, str]]], list[str]]


async def burst(side: Side, messages: list[tuple[Persona, str]], check: Check,
                seconds: float) -> float:
    """Push all messages at once; return seconds until the last answer; check every answer."""
    side.meter.arm(len(messages))
    started = time.perf_counter()
    for persona, text in messages:
        await side.api.send_text(persona, text)
    await side.meter.wait(side.proc, side.name, seconds)
    elapsed = side.meter.finished_at - started
    await asyncio.sleep(0.3)  # anything sent after the last expected answer is a bug too
    problems = check(side.meter.replies)
    if problems:
        raise BenchBroken(f"{side.name} answered wrongly ({len(problems)} problem(s)); first: "
                          + " | ".join(problems[:3]))
    # The fake server keeps every message it was sent, record_calls or not: drop them.
    kept = getattr(side.api, "_messages", None)
    if isinstance(kept, dict):
        kept.clear()
    return elapsed


def order_check(expected: dict[int, str]) -> Check:
    def check(replies: list[tuple[Any, str]]) -> list[str]:
        problems = []
        if len(replies) != len(expected):
            problems.append(f"{len(replies)} answers to {len(expected)} updates")
        seen: set[Any] = set()
        for chat_id, text in replies:
            number = expected.get(chat_id)
            if number is None or chat_id in seen:
                problems.append(f"unexpected answer in chat {chat_id}: {text[:80]!r}")
            elif number not in text or MARKER not in text:
                problems.append(f"chat {chat_id} asked {number}, got {text[:120]!r}")
            seen.add(chat_id)
        return problems
    return check


def echo_check(expected: dict[int, str]) -> Check:
    def check(replies: list[tuple[Any, str]]) -> list[str]:
        problems = []
        if len(replies) != len(expected):
            problems.append(f"{len(replies)} answers to {len(expected)} updates")
        problems += [f"chat {c}: {t[:80]!r}" for c, t in replies if expected.get(c) != t]
        return problems
    return check


def order_messages(data: Dataset, rng: random.Random,
                   count: int) -> tuple[list[tuple[Persona, str]], dict[int, str]]:
    """`count` distinct random linked users, each asking for one of their own orders."""
    users = rng.sample(data.personas, count)
    asked = {p.id: rng.choice(data.orders_of[p.id]) for p in users}
    return [(p, f"/order {asked[p.id]}") for p in users], asked


# -- main ---------------------------------------------------------------------------------

@dataclass
class Round:
    round: int
    updates: int
    echo_per_s: float
    bot_per_s: float
    ratio: float
    first: str


def mb(n: int) -> float:
    return n / 1024 / 1024


def versions() -> dict[str, str]:
    import sqlalchemy
    import telegram

    commit = "?"
    with contextlib.suppress(Exception):  # read-only git queries (no index refresh either)
        def git(*argv: str) -> str:
            return subprocess.run(["git", "--no-optional-locks", *argv], cwd=ROOT,
                                  capture_output=True, text=True, timeout=5).stdout.strip()

        commit = git("rev-parse", "--short", "HEAD") or "?"
        if git("status", "--porcelain", "--", "bot", "handlers", "services", "domain",
               "storage", "locales"):
            commit += "+uncommitted changes"
    return {"python": platform.python_version(), "ptb": telegram.__version__,
            "sqlalchemy": sqlalchemy.__version__, "cpus": str(os.cpu_count()),
            "commit": commit}


async def run(args: argparse.Namespace) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    if args.db == "sqlite":
        path = OUT / "order_status.sqlite3"
        for suffix in ("", "-wal", "-shm", "-journal", ".lock"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        url = args.db
    log(f"seeding {args.orders:,} orders, {args.customers:,} customers, {args.users:,} users…")
    data = seed(url, orders=args.orders, customers=args.customers, users=args.users,
                staff=args.staff)
    log(f"seeded in {data.seconds:.1f} s")

    bot_env = {"DCM_TELEGRAM_TOKEN": TOKEN, "DCM_TELEGRAM_API_URL": "{api}",
               "DCM_DATABASE_URL": url, "DCM_USE_RATE_LIMITER": "false",
               "DCM_LOG_LEVEL": "WARNING"}
    bot = await start_side("bot", [sys.executable, "-m", "bot", "run"], bot_env)
    echo = await start_side("echo", [sys.executable, str(ROOT / "bench" / "echo_bot.py"),
                                     "--api", "{api}"], {})
    sides = [echo, bot]
    sampling = asyncio.create_task(sampler(sides))
    rng = random.Random(args.seed)
    rounds: list[Round] = []
    k = args.updates_per_round
    try:
        # Warm-up, not measured: every user's first contact sets their command menu
        # (setMyCommands + a user_prefs write), which later updates skip.
        # The first answer also tells when a bot is up; its RSS then is its resting size.
        ready_rss: dict[str, int] = {}
        msgs, asked = order_messages(data, rng, data.users)
        for side, batch in ((bot, msgs), (echo, msgs[:k])):
            log(f"warm-up: {side.name}, start-up and {len(batch):,} updates…")
            for part in (batch[:1], batch[1:]):
                if part:
                    check = (order_check({p.id: asked[p.id] for p, _ in part}) if side is bot
                             else echo_check({p.id: t for p, t in part}))
                    await burst(side, part, check, args.timeout + 60)
                if side.name not in ready_rss:
                    ready_rss[side.name] = side.sample()
        menus_after_warmup = bot.meter.menus

        for r in range(1, args.rounds + 1):
            order = (echo, bot) if r % 2 else (bot, echo)  # ABBA: drift hits both alike
            rates: dict[str, float] = {}
            for side in order:
                msgs, asked = order_messages(data, rng, k)
                check = (order_check(asked) if side is bot
                         else echo_check({p.id: t for p, t in msgs}))
                seconds = await burst(side, msgs, check, args.timeout)
                rates[side.name] = k / seconds
                log(f"round {r}: {side.name:4} {k:,} updates in {seconds:.2f} s "
                    f"= {rates[side.name]:.1f}/s, RSS now {mb(side.sample()):.1f} MB")
                await asyncio.sleep(0.5)
            rounds.append(Round(r, k, rates["echo"], rates["bot"],
                                rates["bot"] / rates["echo"], order[0].name))
        menus_in_rounds = bot.meter.menus - menus_after_warmup
        for side in sides:
            side.sample()
        bot_peak, how = bot.peak_rss()
        echo_peak, _ = echo.peak_rss()
    except BenchBroken as exc:
        log(f"BENCH BROKEN: {exc}")
        for side in sides:
            tail = side.log_path.read_text(errors="replace").splitlines()[-15:]
            if tail:
                log(f"--- last lines of {side.log_path} ---\n" + "\n".join(tail))
        return 1
    finally:
        sampling.cancel()
        log("stopping both bots…")
        await asyncio.gather(*(stop_side(side) for side in sides))
        log("stopped")

    ratio = statistics.median(r.ratio for r in rounds)
    echo_median = statistics.median(r.echo_per_s for r in rounds)
    bot_median = statistics.median(r.bot_per_s for r in rounds)
    ratio_ok = ratio >= TARGET_RATIO
    rss_ok = mb(bot_peak) < TARGET_RSS_MB
    v = versions()
    db_name = "sqlite (file)" if args.db == "sqlite" else url.split(":", 1)[0]
    lines = [
        f"Order status vs bare echo — {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, "
        f"{v['cpus']} CPUs, Python {v['python']}, PTB {v['ptb']}, "
        f"SQLAlchemy {v['sqlalchemy']}, commit {v['commit']}",
        f"database: {db_name}; {data.orders:,} orders (+{data.orders:,} history rows), "
        f"{data.customers:,} customers, {data.users:,} linked users, {data.staff} staff; "
        f"seeded in {data.seconds:.1f} s",
        "",
        f"{'round':>5}  {'first':>5}  {'updates':>7}  {'echo upd/s':>10}  {'bot upd/s':>9}  "
        f"{'bot/echo':>8}",
    ]
    lines += [f"{r.round:>5}  {r.first:>5}  {r.updates:>7}  {r.echo_per_s:>10.1f}  "
              f"{r.bot_per_s:>9.1f}  {r.ratio:>8.2f}" for r in rounds]
    lines += [
        f"{'median':>5}  {'':>5}  {'':>7}  {echo_median:>10.1f}  {bot_median:>9.1f}  "
        f"{ratio:>8.2f}",
        "",
        f"peak RSS ({how}): bot {mb(bot_peak):.1f} MB, echo bot {mb(echo_peak):.1f} MB "
        f"(after their first answer: {mb(ready_rss['bot']):.1f} MB and "
        f"{mb(ready_rss['echo']):.1f} MB)",
        f"setMyCommands during measured rounds: {menus_in_rounds} (0 = menus were warm)",
        "",
        f"{'PASS' if ratio_ok else 'FAIL'}: bot/echo median {ratio:.2f} (target >= "
        f"{TARGET_RATIO})",
        f"{'PASS' if rss_ok else 'FAIL'}: bot peak RSS {mb(bot_peak):.1f} MB (target < "
        f"{TARGET_RSS_MB:.0f} MB)",
    ]
    print("\n".join(lines))
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"), **v, "database": db_name,
        "orders": data.orders, "customers": data.customers, "users": data.users,
        "seed_seconds": round(data.seconds, 2), "rounds": [asdict(r) for r in rounds],
        "median_echo_per_s": echo_median, "median_bot_per_s": bot_median,
        "median_ratio": ratio, "bot_peak_rss_mb": round(mb(bot_peak), 1),
        "echo_peak_rss_mb": round(mb(echo_peak), 1), "rss_source": how,
        "bot_ready_rss_mb": round(mb(ready_rss["bot"]), 1),
        "echo_ready_rss_mb": round(mb(ready_rss["echo"]), 1),
        "ratio_pass": ratio_ok, "rss_pass": rss_ok,
    }
    (OUT / "order_status.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Order status through the real bot vs a bare PTB echo bot.")
    p.add_argument("--quick", action="store_true",
                   help="small run: 10,000 orders, 1,000 customers, 500 users, 2 rounds of 500")
    p.add_argument("--orders", type=int, help="orders to seed (default 100,000)")
    p.add_argument("--customers", type=int, help="customers to seed (default 10,000)")
    p.add_argument("--users", type=int, help="linked Telegram users (default 2,000)")
    p.add_argument("--staff", type=int, default=5, help="sales reps owning the customers")
    p.add_argument("--rounds", type=int, help="measured rounds (default 3)")
    p.add_argument("--updates-per-round", type=int,
                   help="updates per bot per round, from distinct users (default 2,000)")
    p.add_argument("--db", default="sqlite",
                   help="'sqlite' (a fresh file in bench/out/) or an EMPTY database's URL")
    p.add_argument("--seed", type=int, default=7, help="random seed of who asks for what")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds allowed per burst")
    args = p.parse_args(argv)
    full = {"orders": 100_000, "customers": 10_000, "users": 2_000, "rounds": 3,
            "updates_per_round": 2_000}
    quick = {"orders": 10_000, "customers": 1_000, "users": 500, "rounds": 2,
             "updates_per_round": 500}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if min(args.orders, args.customers, args.users, args.staff, args.rounds) < 1:
        p.error("sizes and --rounds must be at least 1")
    if not 1 <= args.updates_per_round <= args.users:
        p.error("--updates-per-round must be between 1 and --users (distinct users per round)")
    return args


def main() -> None:
    args = parse_args()
    code = asyncio.run(run(args))
    sys.exit(code)


if __name__ == "__main__":
    main()

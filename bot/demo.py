"""`python -m bot demo`: the real bot, a local fake Bot API and a terminal chat.

Nothing leaves 127.0.0.1. Type text as the current persona; `#N` presses button N of the last
message with buttons; `:as N` switches persona; `:help` lists the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TextIO

from bot.fake_api import Call, FakeBotApi, Persona
from bot.jobs import care_for
from bot.language import normalize_locale
from bot.runner import BotRunner
from bot.settings import Settings
from domain.calendar import WorkingCalendar
from domain.enums import Role
from services import identity, imports, staff
from services.care import plan_visits
from services.receivables import Ledger, import_invoices
from services.time import utc_now
from storage.db import open_database
from storage.migrate import upgrade
from storage.uow import SqlUnitOfWork

DEMO_DIR = Path("var")
DEMO_DB = DEMO_DIR / "demo.sqlite3"


@dataclass(frozen=True)
class DemoPersona:
    persona: Persona
    role: str


PERSONAS = [
    DemoPersona(Persona(7001, "陳小姐", "zh-hant"), "contact at Acme Trading (Taipei)"),
    DemoPersona(Persona(7002, "黄先生", "zh-hans"), "contact at Acme Trading"),
    DemoPersona(Persona(7101, "John", "en"), "contact at Globex Ltd (Hong Kong)"),
    DemoPersona(Persona(9101, "王销售", "zh-hans"), "sales rep (owns Acme and Hua Xin)"),
    DemoPersona(Persona(9201, "Mei", "en"), "finance"),
    DemoPersona(Persona(9001, "Ali", "en"), "admin"),
    DemoPersona(Persona(6001, "Newcomer", None), "not linked yet: try /start with the invite"),
    DemoPersona(Persona(9401, "Kim", "en"), "customer service: /queue, acknowledge, solve"),
    DemoPersona(Persona(9301, "趙主管", "zh-hant"), "sales head: first review of /apply"),
    DemoPersona(Persona(9501, "马市场", "zh-hans"), "market reviewer"),
    DemoPersona(Persona(9601, "Lu", "en"), "legal reviewer: /consent, /export"),
    DemoPersona(Persona(9701, "周总", "zh-hans"), "executive: final approval, escalations"),
    DemoPersona(Persona(9402, "羅組長", "zh-hant"), "service lead: /report complaints"),
]

CUSTOMERS = """code,name,legal_representative,registered_address,phone,business_scope,sales_rep_telegram_id,grade,credit_limit,payment_term_days
ACME,Acme Trading 股份有限公司,陳大文,台北市信義區信義路五段100號,+886-2-2345-6789,五金批發,9101,A,800000,30
GLOBEX,Globex Ltd,John Smith,"1 Harbour Road, Wan Chai, Hong Kong",+852-2123-4567,Electronics distribution,9102,B,200000,45
HUAXIN,华信建材有限公司,李华,上海市浦东新区世纪大道88号,+86-21-5888-0000,建材零售,9101,C,50000,15
"""

ORDER_STATUSES = ["pending", "confirmed", "in_production", "quality_check", "shipped",
                  "delivered", "accepted"]


def _orders_csv() -> str:
    rows = ["order_no,customer_code,order_date,product,quantity,unit_price,currency,"
            "delivery_date,delivery_place,status,spec,unit,payment_terms,expected_delivery"]
    products = [("不鏽鋼管", "DN50 304", "支", "128.50"), ("Copper wire", "2.5mm²", "roll", "980"),
                ("水泥", "P.O 42.5", "吨", "420")]
    for c_index, (code, currency) in enumerate((("ACME", "TWD"), ("GLOBEX", "HKD"),
                                                ("HUAXIN", "CNY"))):
        name, spec, unit, price = products[c_index]
        count = 14 if code == "ACME" else 4
        for i in range(count):
            status = ORDER_STATUSES[(i + c_index) % len(ORDER_STATUSES)]
            month, day = 9 + i // 10, 1 + (i * 3) % 28
            rows.append(f"{code[:2]}-2026-{i + 1:03d},{code},2026-{month:02d}-{day:02d},{name},"
                        f"{100 * (i + 1)},{price},{currency},2026-12-{day:02d},"
                        f"{'Taoyuan warehouse' if code == 'ACME' else 'Main site'},{status},"
                        f"{spec},{unit},Net 30,2026-12-{day:02d}")
    return "\n".join(rows) + "\n"


def _invoices_csv(today: date) -> str:
    """Invoices around today, so /receivables and the dunning ladder have work on day one."""
    def day(offset: int) -> str:
        return (today + timedelta(days=offset)).isoformat()

    rows = ["invoice_no,customer_code,order_no,amount,currency,issued_on,due_on",
            f"AC-INV-001,ACME,AC-2026-001,12850.00,TWD,{day(-50)},{day(-20)}",  # a letter due
            f"AC-INV-002,ACME,AC-2026-002,25700.00,TWD,{day(-10)},{day(20)}",
            f"GL-INV-001,GLOBEX,GL-2026-001,98000.00,HKD,{day(-43)},{day(2)}",  # a reminder
            f"HX-INV-001,HUAXIN,HU-2026-001,42000.00,CNY,{day(-50)},{day(-35)}"]  # suspension
    return "\n".join(rows) + "\n"


async def seed_demo(db_url: str, settings: Settings | None = None) -> str:
    """Seed staff, customers, orders, invoices, visit plans and links; return a fresh invite
    token for the newcomer."""
    settings = settings or Settings()
    database = open_database(db_url)

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(database.sessions)

    now = utc_now()
    try:
        for tid, name, roles in (
            (9001, "Ali", [Role.ADMIN]), (9101, "王销售", [Role.SALES]),
            (9102, "Lin", [Role.SALES]), (9201, "Mei", [Role.FINANCE]),
            (9301, "趙主管", [Role.SALES_HEAD]), (9401, "Kim", [Role.SERVICE]),
            (9501, "马市场", [Role.MARKET]), (9601, "Lu", [Role.LEGAL]),
            (9701, "周总", [Role.EXECUTIVE]), (9402, "羅組長", [Role.SERVICE_LEAD]),
        ):
            await staff.add_staff(uow(), telegram_id=tid, name=name, roles=roles, now=now)
        with tempfile.TemporaryDirectory() as tmp:
            c = Path(tmp) / "customers.csv"
            c.write_text(CUSTOMERS, encoding="utf-8")
            # Customers of some weeks' standing: Acme's monthly visit is already overdue.
            await imports.import_customers(uow(), c, now=now - timedelta(days=40))
            o = Path(tmp) / "orders.csv"
            o.write_text(_orders_csv(), encoding="utf-8")
            await imports.import_orders(uow(), o, now=now - timedelta(days=3))
            calendar = WorkingCalendar(settings.holiday_region, settings.timezone)
            ledger = Ledger(calendar, settings.ladder_policy(), settings.default_locale)
            i = Path(tmp) / "invoices.csv"
            i.write_text(_invoices_csv(now.astimezone(calendar.tz).date()), encoding="utf-8")
            await import_invoices(uow(), i, now=now, ledger=ledger)
            await plan_visits(uow(), now, care_for(settings, calendar))
        for p, code in ((PERSONAS[0], "ACME"), (PERSONAS[1], "ACME"), (PERSONAS[2], "GLOBEX")):
            card = await identity.create_invite(uow(), code, actor=None, now=now, expiry_days=7)
            locale = normalize_locale(p.persona.language_code) or "en"
            actor = identity.Actor(telegram_id=p.persona.id, locale=locale)
            await identity.link_contact(uow(), card.token, actor=actor,
                                        name=p.persona.first_name, now=now)
        newcomer = await identity.create_invite(uow(), "HUAXIN", actor=None, now=now,
                                                expiry_days=7)
        return newcomer.token
    finally:
        await database.dispose()


_TAG = re.compile(r"<[^>]+>")


def plain(text: str, tty: bool) -> str:
    """Turn the bot's HTML into terminal text (bold stays bold on a terminal)."""
    if tty:
        text = text.replace("<b>", "\033[1m").replace("</b>", "\033[0m")
    return html.unescape(_TAG.sub("", text))


class Terminal:
    """Prints what the bot sends to demo personas, numbering buttons."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self.names = {p.persona.id: p.persona.first_name for p in PERSONAS}
        self.last_buttons: dict[int, tuple[dict[str, Any], list[str]]] = {}
        self.last_file: str | None = None

    def on_call(self, call: Call) -> None:
        params, result = call.params, call.result
        if call.method == "answerCallbackQuery" and params.get("text"):
            self.out.write(f"  (bot, popup) {params['text']}\n")
        elif call.method in ("sendMessage", "editMessageText") and isinstance(result, dict):
            chat = result["chat"]["id"]
            who = self.names.get(chat, str(chat))
            edited = " (edited)" if call.method == "editMessageText" else ""
            body = plain(result.get("text", ""), self.tty)
            self.out.write(f"\n── bot → {who}{edited} ──\n{body}\n")
            rows = (result.get("reply_markup") or {}).get("inline_keyboard") or []
            data = [b.get("callback_data", "") for row in rows for b in row]
            labels = [b["text"] for row in rows for b in row]
            if data:
                self.last_buttons[chat] = (result, data)
                self.out.write("  " + "  ".join(f"[#{i}] {label}" for i, label
                                                in enumerate(labels, 1)) + "\n")
        elif call.method in ("sendPhoto", "sendDocument") and isinstance(result, dict):
            # A chart or a letter: the fake server kept the file; say where (`:open` opens it).
            chat = result["chat"]["id"]
            who = self.names.get(chat, str(chat))
            kind = "photo" if call.method == "sendPhoto" else "document"
            saved = str(params.get(f"{kind}_file", "?"))
            self.last_file = saved
            caption = plain(result.get("caption", ""), self.tty)
            self.out.write(f"\n── bot → {who} ── [{kind}: {saved}]  (:open shows it)\n"
                           + (f"{caption}\n" if caption else ""))
        self.out.flush()


HELP = """Type a message as the current persona (e.g. /help, /orders, /order AC-2026-001).
  #N         press button N of the last message with buttons
  :as N      act as persona N (see :who)
  :who       list the personas
  :invite    show the newcomer's invite command again
  :file PATH send a file (a signed consent, a photo of damaged goods) as the current persona
  :open      open the last file the bot sent (a letter, a chart) in the system viewer
  :quit      leave (Ctrl-D works too)"""


async def run_demo(settings: Settings, *, fresh: bool = True, stdin: TextIO | None = None,
                   out: TextIO | None = None) -> int:
    """Seed, start the fake server and the bot, and chat until :quit or end of input."""
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    DEMO_DIR.mkdir(exist_ok=True)
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DEMO_DB}{suffix}").unlink(missing_ok=True)
    db_url = f"sqlite:///{DEMO_DB}"
    upgrade(db_url)
    token = await seed_demo(db_url, settings) if fresh else ""
    api = FakeBotApi(files_dir=DEMO_DIR / "files")
    term = Terminal(out)
    api.on_call = term.on_call
    url = await api.start()
    demo_settings = settings.model_copy(update={
        "telegram_api_url": url, "database_url": db_url, "use_rate_limiter": False,
        "telegram_token": None, "poll_timeout_seconds": 2,
    })
    runner = BotRunner(demo_settings)
    out.write(f"Demo bot running against a local fake Telegram at {url} "
              f"(database {DEMO_DB}).\n{HELP}\n\nPersonas:\n")
    _who(out)
    if token:
        out.write(f"\nThe newcomer (persona 7) can link to Hua Xin with:  /start {token}\n")
    current = PERSONAS[0].persona
    try:
        await runner.start()
        try:
            loop = asyncio.get_running_loop()
            while True:
                out.write(f"\n[{current.first_name}] > ")
                out.flush()
                line = await loop.run_in_executor(None, stdin.readline)
                if not line:
                    break
                line = line.strip()
                if not line:
                    continue
                if line in (":quit", ":q", ":exit"):
                    break
                if line == ":help":
                    out.write(HELP + "\n")
                elif line == ":who":
                    _who(out)
                elif line == ":invite":
                    out.write(f"/start {token}\n" if token else "no invite in this session\n")
                elif line.startswith(":as"):
                    current = _switch(line, current, out)
                elif line.startswith(":file"):
                    await _send_file(api, current, line[5:].strip(), out)
                elif line == ":open":
                    _open(term.last_file, out)
                elif re.fullmatch(r"#\d+", line):
                    await _press(api, term, current, int(line[1:]), out)
                else:
                    await _send(api, current, line)
        finally:
            await runner.stop()
    finally:
        await api.stop()
    out.write("\nbye\n")
    return 0


def _who(out: TextIO) -> None:
    for i, p in enumerate(PERSONAS, 1):
        out.write(f"  {i}. {p.persona.first_name} — {p.role}\n")


def _switch(line: str, current: Persona, out: TextIO) -> Persona:
    arg = line[3:].strip()
    if arg.isdigit() and 1 <= int(arg) <= len(PERSONAS):
        persona = PERSONAS[int(arg) - 1].persona
        out.write(f"now acting as {persona.first_name}\n")
        return persona
    out.write(f"no persona {arg!r}; pick 1 to {len(PERSONAS)} (:who lists them)\n")
    return current


async def _wait_quiet(api: FakeBotApi, before: int) -> None:
    """Wait for the bot's answer, then a moment more for follow-up messages."""
    with contextlib.suppress(TimeoutError):
        await api.wait_for(lambda: len(api.calls) > before, timeout=5)
    await asyncio.sleep(0.2)


async def _send(api: FakeBotApi, who: Persona, text: str) -> None:
    before = len(api.calls)
    await api.send_text(who, text)
    await _wait_quiet(api, before)


async def _press(api: FakeBotApi, term: Terminal, who: Persona, n: int, out: TextIO) -> None:
    entry = term.last_buttons.get(who.id)
    if entry is None or not 1 <= n <= len(entry[1]):
        out.write("no such button in the last message with buttons\n")
        return
    message, data = entry
    before = len(api.calls)
    await api.press(who, message, data[n - 1])
    await _wait_quiet(api, before)


async def _send_file(api: FakeBotApi, who: Persona, arg: str, out: TextIO) -> None:
    path = Path(arg).expanduser()
    if not arg or not path.is_file():
        out.write(f"no file {arg!r}: give the path of a file to send (:file ~/consent.pdf)\n")
        return
    before = len(api.calls)
    await api.send_file(who, path)
    await _wait_quiet(api, before)


def _open(path: str | None, out: TextIO) -> None:
    """Open a file in the desktop's viewer, or say where it is when there is none."""
    if not path or not Path(path).is_file():
        out.write("the bot has sent no file yet\n")
        return
    opener = shutil.which("xdg-open") or shutil.which("open")
    if opener is None:
        out.write(f"no viewer on this machine; the file is {path}\n")
        return
    subprocess.Popen([opener, path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out.write(f"opened {path}\n")

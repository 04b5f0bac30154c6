"""The operator CLI: `python -m bot --help`."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from bot.settings import ConfigError, Settings, load_settings

T = TypeVar("T")

app = typer.Typer(
    help="Downstream customer management assistant for Telegram.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
staff_app = typer.Typer(help="Staff members and their roles.", no_args_is_help=True)
import_app = typer.Typer(help="Import data from CSV or XLSX (all or nothing).",
                         no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(staff_app, name="staff")
app.add_typer(import_app, name="import")

log = logging.getLogger(__name__)


def fail(message: str, code: int = 2) -> None:
    """Print one line to stderr and exit."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    """Load settings, or stop with one line naming the bad setting."""
    try:
        return load_settings()
    except ConfigError as exc:
        fail(str(exc))
        raise AssertionError from exc  # unreachable; fail() exits


def prepare_database(settings: Settings) -> None:
    """Create the SQLite folder and migrate the database to the latest schema."""
    from sqlalchemy.engine import make_url

    from storage.migrate import ensure_current

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    try:
        ensure_current(settings.database_url)
    except Exception as exc:  # a down database is a clear one-line error, not a traceback
        fail(f"database error: cannot migrate {url.render_as_string(hide_password=True)}: "
             f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:200]}")


def with_uow(settings: Settings, work: Callable[[Callable[[], Any]], Awaitable[T]]) -> T:
    """Run one async service call with a unit-of-work factory on the configured database."""
    from storage.db import open_database
    from storage.uow import SqlUnitOfWork

    async def main() -> T:
        database = open_database(settings.database_url)
        try:
            return await work(lambda: SqlUnitOfWork(database.sessions))
        finally:
            await database.dispose()

    return asyncio.run(main())


@app.callback(invoke_without_command=True)
def default(ctx: typer.Context) -> None:
    """Run the bot when a token is configured, else the local demo."""
    if ctx.invoked_subcommand is not None:
        return
    settings = settings_or_exit()
    if settings.telegram_token:
        run(webhook=False)
    else:
        typer.echo("No DCM_TELEGRAM_TOKEN configured: starting the local demo.", err=True)
        demo(fresh=True)


@app.command()
def run(
    webhook: Annotated[bool, typer.Option(help="Receive updates by webhook.")] = False,
) -> None:
    """Run the bot (long polling) against the configured Bot API server."""
    settings = settings_or_exit()
    if not settings.telegram_token:
        fail("configuration error: DCM_TELEGRAM_TOKEN: required to run the bot "
             "(or run `python -m bot demo`)")
    if webhook and not (settings.webhook_url and settings.webhook_secret):
        fail("configuration error: DCM_WEBHOOK_URL and DCM_WEBHOOK_SECRET: both are required "
             "in webhook mode")
    from bot.lock import AlreadyRunning
    from bot.logs import install_redaction
    from bot.runner import BotRunner

    install_redaction([settings.telegram_token or "", settings.webhook_secret or ""],
                      settings.log_level)
    prepare_database(settings)
    try:
        code = asyncio.run(BotRunner(settings, webhook=webhook).run())
    except AlreadyRunning as exc:
        fail(str(exc), 1)
        return
    raise typer.Exit(code)


@app.command()
def demo(
    fresh: Annotated[bool, typer.Option(help="Start from newly seeded demo data.")] = True,
) -> None:
    """Chat with the real bot from this terminal as demo personas; no token, no network."""
    from bot.demo import run_demo

    settings = settings_or_exit()
    code = asyncio.run(run_demo(settings, fresh=fresh))
    raise typer.Exit(code)


@app.command()
def health(
    stale_after: Annotated[int, typer.Option(help="Seconds after which a poll is stale.")] = 300,
) -> None:
    """Print inbox/outbox backlog, dead letters and the last good poll; exit 1 on trouble."""
    from datetime import timedelta

    from bot.health import check
    from services.time import utc_now

    settings = settings_or_exit()
    prepare_database(settings)
    report = with_uow(settings, lambda uow: check(uow(), utc_now(),
                                                  timedelta(seconds=stale_after)))
    for line in report.lines():
        typer.echo(line)
    raise typer.Exit(1 if report.problems else 0)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the latest schema."""
    settings = settings_or_exit()
    prepare_database(settings)
    typer.echo("database is up to date")


@staff_app.command("add")
def staff_add(
    telegram_id: Annotated[
        int, typer.Option("--telegram-id", help="The person's Telegram user id.")
    ],
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    role: Annotated[str, typer.Option("--role", help="Roles, comma-separated: sales, "
                                      "sales_head, market, finance, legal, executive, service, "
                                      "service_lead, admin.")],
    locale: Annotated[str | None, typer.Option(
        "--locale", help="The language the bot speaks to them: zh_Hant, zh_Hans or en "
                         "(their own /language choice still wins).")] = None,
) -> None:
    """Add a staff member, or change the name, roles and language of an existing one (a
    removed one is reactivated)."""
    from domain.enums import Locale, parse_roles
    from services.staff import add_staff
    from services.time import utc_now

    try:
        roles = parse_roles(role)
    except ValueError as exc:
        fail(f"--role: {exc}")
        return
    if telegram_id <= 0:
        fail("--telegram-id: must be a positive Telegram user id")
    if not name.strip():
        fail("--name: must not be empty")
    locales = [loc.value for loc in Locale]
    if locale is not None and locale not in locales:
        fail(f"--locale: unknown locale {locale!r} (one of {', '.join(locales)})")
    settings = settings_or_exit()
    prepare_database(settings)
    card = with_uow(settings, lambda uow: add_staff(
        uow(), telegram_id=telegram_id, name=name.strip(), roles=roles, now=utc_now(),
        locale=locale))
    verb = "added" if card.created else "updated"
    language = f" [{card.locale}]" if card.locale else ""
    typer.echo(f"{verb} staff {card.name} ({card.telegram_id}): {', '.join(card.roles)}"
               f"{language}")


@staff_app.command("list")
def staff_list() -> None:
    """List everyone on staff, removed members too: Telegram id, name, roles, language."""
    from services.staff import list_staff

    settings = settings_or_exit()
    prepare_database(settings)
    cards = with_uow(settings, lambda uow: list_staff(uow()))
    rows = [["telegram_id", "name", "roles", "locale", "active"]]
    rows += [[str(c.telegram_id), c.name, ",".join(c.roles) or "-", c.locale or "-",
              "yes" if c.active else "no"] for c in cards]
    for line in _table(rows):
        typer.echo(line)
    if not cards:
        typer.echo("(no staff yet: python -m bot staff add ...)")


@staff_app.command("remove")
def staff_remove(
    telegram_id: Annotated[
        int, typer.Option("--telegram-id", help="The person's Telegram user id.")
    ],
) -> None:
    """Take away a departing member's access from their next message on (kept for history;
    `staff add` brings them back)."""
    from domain.errors import NotFound
    from services.staff import remove_staff
    from services.time import utc_now

    settings = settings_or_exit()
    prepare_database(settings)
    try:
        card = with_uow(settings, lambda uow: remove_staff(uow(), telegram_id=telegram_id,
                                                           now=utc_now()))
    except NotFound:
        fail(f"no staff member with Telegram id {telegram_id}", 1)
        return
    typer.echo(f"removed staff {card.name} ({card.telegram_id}): no access from now on")


def _width(text: str) -> int:
    """Columns a text takes in a terminal: CJK characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(rows: list[list[str]]) -> list[str]:
    """Left-aligned columns, two spaces apart, a dashed line under the header."""
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]

    def line(row: list[str]) -> str:
        return "  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths,
                                                                             strict=True)).rstrip()

    return [line(rows[0]), line(["-" * w for w in widths]), *(line(r) for r in rows[1:])]


STAGE_PAUSE = 0.02  # seconds between staged chunks of an import on SQLite


def _import(kind: str, file: Path) -> None:
    from sqlalchemy.engine import make_url

    from domain.calendar import WorkingCalendar
    from services.imports import ImportFailed, import_customers, import_orders
    from services.receivables import Ledger, import_invoices, import_payments
    from services.tabular import TableError
    from services.time import utc_now

    settings = settings_or_exit()
    prepare_database(settings)
    ledger = Ledger(WorkingCalendar(settings.holiday_region, settings.timezone),
                    settings.ladder_policy(), settings.default_locale)

    async def work(uow: Callable[[], Any]) -> Any:
        if kind == "customers":
            return await import_customers(uow(), file, now=utc_now())
        if kind == "orders":
            # SQLite has one writer at a time: pause between staged chunks so the bot's own
            # writes get their turn (PostgreSQL writers do not wait on each other here).
            sqlite = make_url(settings.database_url).get_backend_name() == "sqlite"
            return await import_orders(uow(), file, now=utc_now(),
                                       pause=STAGE_PAUSE if sqlite else 0.0)
        if kind == "invoices":
            return await import_invoices(uow(), file, now=utc_now(), ledger=ledger)
        return await import_payments(uow(), file, now=utc_now(), ledger=ledger)

    try:
        report = with_uow(settings, work)
    except TableError as exc:
        fail(f"nothing imported: {exc}", 1)
        return
    except ImportFailed as exc:
        typer.echo(f"nothing imported from {file}: {len(exc.errors)} problem(s)", err=True)
        for error in exc.errors:
            typer.echo(f"{file}: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"imported {kind} from {file}: {report.created} created, {report.updated} "
               f"updated, {report.unchanged} unchanged")


@import_app.command("customers")
def import_customers_cmd(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX with at least: code, name, "
                                         "legal_representative, registered_address, phone, "
                                         "business_scope, sales_rep_telegram_id")],
) -> None:
    """Import customers; a re-import updates by code."""
    _import("customers", file)


@import_app.command("invoices")
def import_invoices_cmd(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX: invoice_no, customer_code, "
                                              "order_no, amount, currency, issued_on, due_on")],
) -> None:
    """Import invoices (all or nothing); a re-imported identical invoice is unchanged."""
    _import("invoices", file)


@import_app.command("payments")
def import_payments_cmd(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX: invoice_no, amount, paid_on "
                                              "[, reference]")],
) -> None:
    """Import payments (all or nothing); partial payments add up, repeats are ignored."""
    _import("payments", file)


@import_app.command("orders")
def import_orders_cmd(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX with at least: order_no, "
                                         "customer_code, order_date, product, quantity, "
                                         "unit_price, currency, delivery_date, delivery_place, "
                                         "status")],
) -> None:
    """Import orders; a re-import updates by order number and records status changes."""
    _import("orders", file)


@app.command()
def invite(
    customer_code: Annotated[str, typer.Argument(help="The customer's code.")],
) -> None:
    """Print a one-time invite link for a customer's contact; the token is the last line."""
    from domain.errors import DomainError
    from services.identity import create_invite
    from services.time import utc_now

    settings = settings_or_exit()
    prepare_database(settings)
    try:
        card = with_uow(settings, lambda uow: create_invite(
            uow(), customer_code, actor=None, now=utc_now(),
            expiry_days=settings.invite_expiry_days))
    except DomainError:
        fail(f"no customer with code {customer_code!r}", 1)
        return
    username = settings.bot_username or _bot_username(settings)
    typer.echo(f"Invite for {card.customer_name} ({card.customer_code}), valid until "
               f"{card.expires_at.astimezone(settings.tz):%Y-%m-%d %H:%M %Z}, usable once:")
    typer.echo(f"https://t.me/{username}?start={card.token}")
    typer.echo(card.token)


def _bot_username(settings: Settings) -> str:
    """Ask the Bot API for the bot's username; fall back to a placeholder offline."""
    if not settings.telegram_token:
        return "<bot username>"
    import httpx

    try:
        resp = httpx.get(f"{settings.telegram_api_url}/bot{settings.telegram_token}/getMe",
                         timeout=5)
        return str(resp.json()["result"]["username"])
    except Exception:  # offline or wrong token: the link still carries the right token
        return "<bot username>"


def main() -> None:
    """Entry point of `python -m bot` and `dcm-bot`."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)

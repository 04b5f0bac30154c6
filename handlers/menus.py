"""Command menus per role: shown by /help and set per chat with setMyCommands."""

from __future__ import annotations

from domain.access import sees_all_orders, sees_owned_orders
from domain.enums import Role
from domain.errors import N_
from services.cards import Actor

START = ("start", N_("Start or link your account"))
HELP = ("help", N_("What I can do for you"))
LANGUAGE = ("language", N_("Choose your language"))
ORDERS = ("orders", N_("Your orders and their status"))
ORDER = ("order", N_("Open one order: /order NUMBER"))
STAFF_ORDERS = ("orders", N_("Orders of the customers you handle"))
INVITE = ("invite", N_("Invite a customer's contact: /invite CODE"))
CANCEL = ("cancel", N_("Cancel what you are doing"))
COMPLAINT = ("complaint", N_("File a complaint"))
INQUIRY = ("inquiry", N_("Ask a question or give feedback"))
CASES = ("cases", N_("Your complaints and inquiries"))
QUEUE = ("queue", N_("Open cases, nearest deadline first"))
CASE = ("case", N_("Open one case: /case NUMBER"))
REPORT = ("report", N_("Complaints report: /report complaints [period]"))


def commands_for(actor: Actor | None) -> list[tuple[str, str]]:
    """Return (command, untranslated description) pairs for this user."""
    if actor is None or (not actor.is_staff and not actor.is_contact):
        return [START, HELP, LANGUAGE]
    commands: list[tuple[str, str]] = []
    if actor.is_contact:
        commands += [ORDERS, ORDER, COMPLAINT, INQUIRY, CASES]
    if actor.is_staff:
        if sees_all_orders(actor.roles) or sees_owned_orders(actor.roles):
            commands += [STAFF_ORDERS if not actor.is_contact else ORDERS, ORDER]
        if {Role.SALES, Role.SALES_HEAD, Role.ADMIN} & actor.roles:
            commands.append(INVITE)
        if {Role.SERVICE, Role.SERVICE_LEAD, Role.EXECUTIVE} & actor.roles:
            commands += [QUEUE, CASE]
        if {Role.SERVICE_LEAD, Role.EXECUTIVE} & actor.roles:
            commands.append(REPORT)
    commands = list(dict.fromkeys(commands))
    return [*commands, HELP, LANGUAGE, CANCEL]


def menu_key(actor: Actor) -> str:
    """Return a key that changes whenever this user's menu would change."""
    names = ",".join(c for c, _ in commands_for(actor))
    return f"{actor.locale}|{names}"

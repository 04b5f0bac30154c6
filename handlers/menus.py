"""Command menus per role: shown by /help and set per chat with setMyCommands."""

from __future__ import annotations

import hashlib

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
APPLY = ("apply", N_("File a customer admission application"))
PENDING = ("pending", N_("What waits for your review or answer"))
APPLICATION = ("application", N_("Open an application: /application NUMBER"))
CUSTOMER = ("customer", N_("A customer's file: /customer CODE"))
INFO = ("info", N_("Record news about a customer: /info CODE"))
CONSENT = ("consent", N_("Record a consent to disclose: /consent CODE"))
EXPORT = ("export", N_("Send data out under a consent: /export CODE SCOPE RECIPIENT"))
PROSPECTS = ("prospects", N_("Your prospects"))
JOIN = ("join", N_("Ask to become a customer"))
STATEMENT = ("statement", N_("Your invoices and what is open"))
RECEIVABLES = ("receivables", N_("Open receivables by age"))
STAFF_STATEMENT = ("statement", N_("A customer's invoices: /statement CODE"))
CONFIRM = ("confirm", N_("Confirm a pending order: /confirm NUMBER"))
VISITS = ("visits", N_("Your visit plan for the coming weeks"))
VISIT = ("visit", N_("Log a visit: /visit CODE"))
NEWS = ("news", N_("Send product news to customers"))
TEMPLATE = ("template", N_("Edit the greetings: /template"))
EVENT = ("event", N_("Announce a training or seminar"))
EVENTS = ("events", N_("Events and who is coming"))
BIRTHDAY = ("birthday", N_("Tell us your birthday: /birthday MM-DD"))
CREDIT = ("credit", N_("Change a credit line: /credit CODE LIMIT DAYS REASON"))


def commands_for(actor: Actor | None) -> list[tuple[str, str]]:
    """Return (command, untranslated description) pairs for this user."""
    if actor is None or (not actor.is_staff and not actor.is_contact):
        return [START, HELP, JOIN, LANGUAGE]
    commands: list[tuple[str, str]] = []
    if actor.is_contact:
        commands += [ORDERS, ORDER, COMPLAINT, INQUIRY, CASES, STATEMENT, BIRTHDAY]
    if actor.is_staff:
        if sees_all_orders(actor.roles) or sees_owned_orders(actor.roles):
            commands += [STAFF_ORDERS if not actor.is_contact else ORDERS, ORDER]
        if {Role.SALES, Role.SALES_HEAD, Role.ADMIN} & actor.roles:
            commands.append(INVITE)
        if {Role.SERVICE, Role.SERVICE_LEAD, Role.EXECUTIVE} & actor.roles:
            commands += [QUEUE, CASE]
        if {Role.SERVICE_LEAD, Role.EXECUTIVE} & actor.roles:
            commands.append(REPORT)
        if {Role.SALES, Role.SALES_HEAD} & actor.roles:
            commands.append(APPLY)
        if {Role.SALES, Role.SALES_HEAD, Role.MARKET, Role.FINANCE, Role.LEGAL,
                Role.EXECUTIVE} & actor.roles:
            commands += [PENDING, APPLICATION]
        commands.append(CUSTOMER)
        if {Role.SALES, Role.SALES_HEAD, Role.ADMIN} & actor.roles:
            commands += [INFO, PROSPECTS]
        if {Role.SALES, Role.LEGAL, Role.ADMIN} & actor.roles:
            commands.append(CONSENT)
        if {Role.LEGAL, Role.EXECUTIVE, Role.ADMIN} & actor.roles:
            commands.append(EXPORT)
        if {Role.SALES, Role.SALES_HEAD, Role.FINANCE, Role.EXECUTIVE, Role.ADMIN} & actor.roles:
            commands += [RECEIVABLES, STAFF_STATEMENT]
        if {Role.SALES, Role.SALES_HEAD, Role.FINANCE, Role.ADMIN} & actor.roles:
            commands.append(CONFIRM)
        if Role.FINANCE in actor.roles:
            commands.append(CREDIT)
        if {Role.SALES, Role.SALES_HEAD, Role.ADMIN} & actor.roles:
            commands += [VISITS, VISIT]
        if {Role.SALES_HEAD, Role.MARKET, Role.ADMIN} & actor.roles:
            commands += [NEWS, TEMPLATE, EVENT]
        if {Role.SALES, Role.SALES_HEAD, Role.MARKET, Role.ADMIN} & actor.roles:
            commands.append(EVENTS)
    commands = list(dict.fromkeys(commands))
    return [*commands, HELP, LANGUAGE, CANCEL]


def menu_key(actor: Actor) -> str:
    """Return a key that changes whenever this user's menu would change."""
    names = ",".join(c for c, _ in commands_for(actor))
    # A digest, not the names: staff with many roles have a list longer than the column
    # (200 characters), which PostgreSQL refuses on every update they send.
    return f"{actor.locale}|{hashlib.sha256(names.encode()).hexdigest()[:32]}"

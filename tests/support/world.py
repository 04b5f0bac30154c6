"""A small world of personas, staff, customers and orders, seeded through the real services."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.fake_api import Persona
from domain.enums import Role
from services import identity, imports, staff
from services.ports import UnitOfWork

# Personas (ids are Telegram user ids).
ADMIN_ALI = Persona(9001, "Ali", "en")
SALES_WANG = Persona(9101, "Wang", "zh-hans")
SALES_LIN = Persona(9102, "Lin", "zh-hant")
SALES_HEAD_HAN = Persona(9103, "Han", "zh-hant")
MARKET_MA = Persona(9501, "Ma", "zh-hans")
LEGAL_LU = Persona(9601, "Lu", "en")
FINANCE_FANG = Persona(9202, "Fang", "zh-hans")  # a second finance reviewer
FINANCE_MEI = Persona(9201, "Mei", "en")
SERVICE_KIM = Persona(9301, "Kim", "en")
SERVICE_LEAD_LUO = Persona(9302, "Luo", "zh-hans")
EXEC_ZHOU = Persona(9401, "Zhou", "zh-hant")
ACME_CHEN = Persona(7001, "Chen", "zh-hant")  # contact at Acme (Taipei), Traditional Chinese
ACME_HUANG = Persona(7002, "Huang", "zh-hans")  # second Acme contact, Simplified
GLOBEX_JOHN = Persona(7101, "John", "en")  # contact at Globex, English
STRANGER = Persona(6001, "Stranger", None)

CUSTOMER_HEADER = [
    "code", "name", "legal_representative", "registered_address", "phone", "business_scope",
    "sales_rep_telegram_id", "grade", "credit_limit", "payment_term_days",
]
ORDER_HEADER = [
    "order_no", "customer_code", "order_date", "product", "quantity", "unit_price", "currency",
    "delivery_date", "delivery_place", "status", "spec", "unit", "payment_terms",
    "expected_delivery",
]


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def acme_orders(n: int = 12) -> list[list[Any]]:
    """Acme's orders PO-1001.. with distinct dates so the newest-first order is checkable."""
    rows = []
    for i in range(n):
        day = 1 + i
        rows.append([
            f"PO-{1001 + i}", "ACME", f"2026-10-{day:02d}", "Steel pipe", "1200", "12.5",
            "TWD", f"2026-12-{day:02d}", "Taoyuan warehouse", "in_production", "DN50 galvanised",
            "pcs", "Net 30 days", f"2026-12-{day:02d}",
        ])
    return rows


async def seed(uow: Callable[[], UnitOfWork], tmp: Path, now: datetime) -> None:
    """Seed staff, two customers and their orders through the real services."""
    for persona, roles in (
        (ADMIN_ALI, [Role.ADMIN]),
        (SALES_WANG, [Role.SALES]),
        (SALES_LIN, [Role.SALES]),
        (FINANCE_MEI, [Role.FINANCE]),
        (SERVICE_KIM, [Role.SERVICE]),
        (SERVICE_LEAD_LUO, [Role.SERVICE_LEAD]),
        (EXEC_ZHOU, [Role.EXECUTIVE]),
        (SALES_HEAD_HAN, [Role.SALES_HEAD]),
        (MARKET_MA, [Role.MARKET]),
        (LEGAL_LU, [Role.LEGAL]),
        (FINANCE_FANG, [Role.FINANCE]),
    ):
        await staff.add_staff(uow(), telegram_id=persona.id, name=persona.first_name,
                              roles=roles, now=now)
    customers = write_csv(tmp / "customers.csv", CUSTOMER_HEADER, [
        ["ACME", "Acme Trading 股份有限公司", "陳大文", "台北市信義路100號", "+886-2-1234",
         "Hardware", SALES_WANG.id, "A", "500000", "30"],
        ["GLOBEX", "Globex Ltd", "John Smith", "1 Harbour Rd, Hong Kong", "+852-1234",
         "Electronics", SALES_LIN.id, "B", "", ""],
    ])
    await imports.import_customers(uow(), customers, now=now)
    orders = write_csv(tmp / "orders.csv", ORDER_HEADER, [
        *acme_orders(),
        ["GX-1", "GLOBEX", "2026-11-02", "Copper wire", "50", "980.5", "HKD", "2026-12-15",
         "Kwai Chung", "shipped", "", "roll", "Net 60", ""],
    ])
    await imports.import_orders(uow(), orders, now=now)


async def invite_token(uow: Callable[[], UnitOfWork], code: str, now: datetime,
                       days: int = 7) -> str:
    card = await identity.create_invite(uow(), code, actor=None, now=now, expiry_days=days)
    return card.token

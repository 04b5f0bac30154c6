"""Dunning letters as PDF (AR-2), in the customer's language.

fpdf2 embeds a subset of the SimHei TrueType font that the mplfonts package ships (its 28,000
glyphs cover Traditional and Simplified Chinese and Latin), with a ToUnicode map, so the
letter's text can be searched and extracted again. (The package's Noto Sans CJK is an
OpenType/CFF font whose extracted text comes out garbled, and it takes three times longer.)
fpdf2 is imported with the first letter: the running bot does not carry it, nor fontTools,
PIL and numpy behind it, until a letter is due.
"""

from __future__ import annotations

import importlib.util
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal

from handlers.context import Translator


@cache
def _font_path() -> str:
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the mplfonts package (Noto Sans CJK) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / \
        "SimHei.ttf"
    if not path.exists():
        raise RuntimeError(f"font not found: {path}")
    return str(path)


def _babel_locale(locale: str) -> str:
    return {"zh_Hant": "zh_Hant_TW", "zh_Hans": "zh_Hans_CN"}.get(locale, "en")


def dunning_letter_pdf(t: Translator, data: dict[str, Any]) -> bytes:
    """The letter: our details, the customer, every open invoice, the total per currency."""
    from datetime import date

    from fpdf import FPDF  # ~30 MB with fontTools, PIL and numpy: loaded for the first letter

    loc = _babel_locale(t.locale)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_font("noto", "", _font_path())
    pdf.add_page()
    pdf.set_font("noto", size=10)
    company = data.get("company") or {}
    for line in (company.get("name"), company.get("address"), company.get("phone")):
        if line:
            pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT", align="R")
    pdf.ln(6)
    day = date.fromisoformat(data["date"])
    pdf.cell(0, 6, format_date(day, format="long", locale=loc), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.cell(0, 6, f"{data['customer']} ({data['customer_code']})", new_x="LMARGIN",
             new_y="NEXT")
    if data.get("address"):
        pdf.cell(0, 6, data["address"], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("noto", size=15)
    pdf.cell(0, 9, t.gettext("Payment reminder"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("noto", size=10)
    pdf.ln(2)
    pdf.multi_cell(0, 6, t.gettext(
        "According to our records the invoices below are overdue. We kindly ask you to "
        "settle the outstanding amounts as soon as possible. If you have paid in the "
        "meantime, please disregard this letter."), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    headers = [t.gettext("Invoice"), t.gettext("Issued"), t.gettext("Due"),
               t.gettext("Amount"), t.gettext("Paid"), t.gettext("Outstanding"),
               t.gettext("Days overdue")]
    widths = [30, 24, 24, 30, 26, 30, 22]
    pdf.set_fill_color(235, 235, 235)
    for text, width in zip(headers, widths, strict=True):
        pdf.cell(width, 7, text, border=1, fill=True, align="C")
    pdf.ln()
    totals: dict[str, Decimal] = {}
    for row in data["invoices"]:
        outstanding = Decimal(row["open"])
        totals[row["currency"]] = totals.get(row["currency"], Decimal("0")) + outstanding
        cells = [row["invoice"],
                 format_date(date.fromisoformat(row["issued"]), format="short", locale=loc),
                 format_date(date.fromisoformat(row["due"]), format="short", locale=loc),
                 _amount(row["amount"], row["currency"], loc),
                 _amount(row["paid"], row["currency"], loc),
                 _amount(row["open"], row["currency"], loc), str(row["overdue"])]
        for index, (text, width) in enumerate(zip(cells, widths, strict=True)):
            pdf.cell(width, 7, text, border=1, align="R" if index >= 3 else "L")
        pdf.ln()
    pdf.ln(3)
    for currency, total in sorted(totals.items()):
        pdf.cell(0, 7, t.gettext("Total outstanding: {amount}").format(
            amount=_amount(str(total), currency, loc)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.multi_cell(0, 6, t.gettext("Please contact your sales representative or our finance "
                                   "department with any question."),
                   new_x="LMARGIN", new_y="NEXT")
    if company.get("name"):
        pdf.ln(4)
        pdf.cell(0, 6, company["name"], new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _amount(value: str, currency: str, loc: str) -> str:
    return f"{currency} {format_decimal(Decimal(value), format='#,##0.00', locale=loc)}"

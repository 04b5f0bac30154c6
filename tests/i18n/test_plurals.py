"""A count shown with a noun goes through ngettext, so no reader sees "1 working days"
(issue 13, item 3): every catalog entry whose placeholder holds a count and is followed by a
plural noun must be a plural entry."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]

# Placeholders that hold a number of things.
COUNTS = ("count", "n", "days", "hours", "minutes", "seconds", "weeks", "months", "years",
          "items", "attempts", "times", "files", "orders", "contacts", "answers", "cases",
          "invoices", "customers", "visits", "messages", "rows", "pages", "tries")
# A count, at most one word such as "working", then a word ending in -s that is no verb.
COUNTED_NOUN = re.compile(r"\{(?:" + "|".join(COUNTS) + r")\}\s+(?:[a-z-]+\s+)?"
                          r"(?!is\b|was\b|has\b|as\b|this\b|its\b|does\b|goes\b)([a-z]+s)\b")


def counted_without_plural(catalog_text: bytes) -> list[str]:
    """The msgids of singular-only entries that show a count with a plural noun."""
    from io import BytesIO

    found = []
    for message in read_po(BytesIO(catalog_text)):
        if message.id and isinstance(message.id, str) and COUNTED_NOUN.search(message.id):
            found.append(message.id)
    return found


def test_the_scan_finds_a_count_with_a_plural_noun() -> None:
    pot = (b'msgid "{days} days overdue"\nmsgstr ""\n\n'
           b'msgid "{count} working days left"\nmsgstr ""\n\n'
           b'msgid "{days} day overdue"\nmsgid_plural "{days} days overdue"\n'
           b'msgstr[0] ""\nmsgstr[1] ""\n\n'
           b'msgid "Order {number} is confirmed."\nmsgstr ""\n\n'
           b'msgid "Files: {count}"\nmsgstr ""\n')
    assert counted_without_plural(pot) == ["{days} days overdue", "{count} working days left"]


def test_every_counted_noun_is_a_plural_entry() -> None:
    found = counted_without_plural((ROOT / "locales" / "messages.pot").read_bytes())
    assert found == [], "use ngettext (or Np_ for errors and notices) for:\n" + "\n".join(found)


def test_errors_and_notices_pick_the_plural_form_by_count() -> None:
    from zoneinfo import ZoneInfo

    from bot.i18n import Catalogs
    from bot.ops import DEAD_LETTER
    from domain.errors import DomainError, Np_
    from handlers.errors import error_text
    from handlers.notices import render_notice

    catalogs = Catalogs(ZoneInfo("Asia/Shanghai"))
    en, hant = catalogs.get("en"), catalogs.get("zh_Hant")
    files = Np_("You can attach at most {count} file.", "You can attach at most {count} files.")
    assert error_text(en, DomainError(files, count=1)) == "You can attach at most 1 file."
    assert error_text(en, DomainError(files, count=3)) == "You can attach at most 3 files."
    assert error_text(hant, DomainError(files, count=3)) == "最多可附加 3 個檔案。"
    singular, plural = DEAD_LETTER
    for count, word in ((1, "time"), (2, "times")):
        payload = {"msgid": singular, "plural": plural,
                   "params": {"update_id": "7", "count": str(count), "error": "boom"}}
        assert render_notice(en, payload)[0] == (
            f"Update 7 failed {count} {word} and was set aside: boom")

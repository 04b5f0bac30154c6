"""Chinese text uses full-width punctuation (issue 13, item 4): "您好！", "下單日期：".

A zh_Hant or zh_Hans translation fails when an ASCII ! ? : ; , ( or ) touches a Chinese
character. Placeholders, HTML tags, URLs and /commands are left out first, so a time (18:00),
a number (1,000) or "{name}: ..." next to Latin text is fine.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CJK = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]"
ASCII_MARK = r"[!?:;,()]"
TOUCHING = re.compile(f"{CJK}{ASCII_MARK}|{ASCII_MARK}{CJK}")
# Left out before looking: each becomes a neutral character that is neither CJK nor a mark.
NOT_PROSE = re.compile(r"\{[^{}]*\}|</?[a-z]+[^>]*>|https?://\S+|/[a-z_]+")


def half_width_marks(text: str) -> list[str]:
    """The places where an ASCII mark touches a CJK character, with a little context."""
    prose = NOT_PROSE.sub("\u2022", text)
    return [prose[max(0, m.start() - 3):m.end() + 3] for m in TOUCHING.finditer(prose)]


def test_the_check_tells_full_width_from_ascii() -> None:
    for wrong in ("您好!", "下單日期: {date}", "(請確認)", "發生錯誤,請再試", "為什麼?",
                  "{company}({code})的連結", "請注意;明天", "例如:/order {example}"):
        assert half_width_marks(wrong), wrong
    for fine in ("您好！", "下單日期：{date}", "營業時間 18:00 前", "金額 1,000 元",
                 "{company}: {text}", "請見 https://t.me/x?start=a:b 查詢",
                 "<b>{n}</b>，好", "已逾期（{days} 天）", "/report complaints [期間]",
                 "Telegram (API) 連線"):
        assert half_width_marks(fine) == [], fine


@pytest.mark.parametrize("locale", ["zh_Hant", "zh_Hans"])
def test_chinese_translations_use_full_width_punctuation(locale: str) -> None:
    path = ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, (tuple, list)) else [
            message.string]
        for text in strings:
            if found := half_width_marks(text):
                problems.append(f"{text!r}: {found}")
    assert problems == [], "\n".join(problems)

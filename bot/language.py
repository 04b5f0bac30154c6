"""Guess a chat message's locale (zh_Hant, zh_Hans, en) and map Telegram language codes."""

# detect_locale(text) answers "zh_Hant", "zh_Hans", "en" or None ("unsure"); on None a caller
# keeps the user's current locale (or falls back on normalize_locale(user.language_code)).
# Rules, in order:
#
# 1. Bot commands (/start, /order@SomeBot), URLs, e-mail addresses and @mentions are dropped,
#    the text is NFKC-normalised (full-width Latin becomes ASCII) and only letters count:
#    digits, emoji, punctuation and symbols carry no language ("/order 123", "👍" -> None).
# 2. Japanese (kana >= KANA_MIN_SHARE of the CJK characters), Korean (Hangul >= 20% of the
#    letters) or another script (Cyrillic, Thai...) outweighing Han + Latin -> None.
#    Japanese written in kanji only cannot be told from Chinese and is read as Chinese.
# 3. Han wins when there are at least as many Han characters as Latin words ("我的PO到了嗎").
#    Traditional vs Simplified: count the characters that exist in only one of the two
#    scripts according to CC-CEDICT (hanzidentifier's sets; 訂/订, 單/单, 謝/谢, 們/们...).
#    More Traditional-only -> "zh_Hant", more Simplified-only -> "zh_Hans".  A tie, which
#    includes text with no script-specific character at all ("你好", "好的", "可以") -> None:
#    it reads the same in both scripts, so it says nothing about the writer.  Counting
#    (rather than "any Simplified character means Simplified") keeps text that went through
#    a careless converter (規范, 適用于) on the side of its majority.
# 4. Latin text: fewer than MIN_LATIN_LETTERS letters or MIN_LATIN_WORDS words -> None
#    ("ok", "hi", "thanks", "hello" are typed by Chinese-speaking users too).  Two or more
#    common English words making up >= EN_WORD_SHARE of the words -> "en" without langdetect.
#    Otherwise langdetect (own factory, Latin-script profiles only, seeded, loaded once per
#    process) must rank English first with probability >= EN_MIN_PROB, or >= EN_MIN_PROB_WITH_WORD
#    when the text has one common English word.  Anything else -> None.

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Final

import hanzidentifier.helpers as _hanzi
from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

ZH_HANT: Final = "zh_Hant"
ZH_HANS: Final = "zh_Hans"
EN: Final = "en"
LOCALES: Final = (ZH_HANT, ZH_HANS, EN)

#: Seed for langdetect's random sampling, so the same text always gets the same answer.
LANGDETECT_SEED: Final = 0
#: langdetect probability English needs (as top language) for "en".
EN_MIN_PROB: Final = 0.9
#: ... or this much when the text also holds one common English word.
EN_MIN_PROB_WITH_WORD: Final = 0.5
#: Share of common English words from which two or more of them settle it without langdetect.
EN_WORD_SHARE: Final = 0.3
#: Latin text with fewer letters than this says nothing ("ok", "hi", "thx").
MIN_LATIN_LETTERS: Final = 4
#: Single-word Latin messages ("hello", "thanks") say nothing about the writer's language.
MIN_LATIN_WORDS: Final = 2
#: Kana share of the CJK characters from which text counts as Japanese.
KANA_MIN_SHARE: Final = 0.1
#: Cleaned texts up to this length are memoised (chat repeats itself: "ok", "謝謝").
CACHE_MAX_CHARS: Final = 256

# langdetect profiles of Latin-script languages: only Latin text reaches langdetect, and the
# other profiles cost time without changing its answer.
_LATIN_PROFILES: Final = (
    *("af", "ca", "cs", "cy", "da", "de", "en", "es", "et", "fi", "fr", "hr", "hu", "id", "it"),
    *("lt", "lv", "nl", "no", "pl", "pt", "ro", "sk", "sl", "so", "sq", "sv", "sw", "tl", "tr"),
    "vi",
)

# English function words and common chat words that are rarely words in other Latin-script
# languages ("in", "a", "on", "no", "me", "was", "will", "for", "die" are left out).
_EN_WORDS_TEXT: Final = """
    the and of to is are be been being have has had does did done not
    with from this that these those there here what when where which who whom whose why how
    would could should shall must cannot can't won't don't doesn't didn't isn't aren't
    wasn't weren't haven't hasn't i'm i've i'll i'd you're we're they're it's that's
    there's let's you your yours my our ours their they them its it he she his him we us
    about into than then just also only any some every because before after
    please thanks thank sorry yes yeah hello
    order orders delivery invoice payment price quote shipment shipping
    today tomorrow yesterday already still yet
    check need want know get got make send sent received arrived help
"""
_EN_WORDS: Final = frozenset(_EN_WORDS_TEXT.split())
_WORD_RE: Final = re.compile(r"[a-z]+(?:'[a-z]+)?")

_TRAD_ONLY: Final = frozenset(_hanzi.TRADITIONAL_CHARACTERS - _hanzi.SIMPLIFIED_CHARACTERS)
_SIMP_ONLY: Final = frozenset(_hanzi.SIMPLIFIED_CHARACTERS - _hanzi.TRADITIONAL_CHARACTERS)

_NOISE_RE: Final = re.compile(
    r"(?:^|(?<=\s))/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?"  # bot commands
    r"|(?:https?|ftp)://\S+|www\.\S+"  # URLs
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail addresses
    r"|@[A-Za-z0-9_]+"  # mentions
)

_factory: DetectorFactory | None = None
_factory_lock = threading.Lock()


def _get_factory() -> DetectorFactory:
    """Return the seeded langdetect factory, loading its profiles on first use."""
    global _factory
    if _factory is None:
        with _factory_lock:
            if _factory is None:
                directory = Path(PROFILES_DIRECTORY)
                profiles = [
                    (directory / code).read_text(encoding="utf-8")
                    for code in _LATIN_PROFILES
                    if (directory / code).is_file()
                ]
                factory = DetectorFactory()
                factory.load_json_profile(profiles)
                factory.set_seed(LANGDETECT_SEED)
                _factory = factory
    return _factory


def warm_up() -> None:
    """Load langdetect's profiles now rather than on the first Latin message."""
    _get_factory()


def _is_han(cp: int) -> bool:
    """Tell whether a code point is a CJK ideograph."""
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x323AF
        or 0xF900 <= cp <= 0xFAFF
    )


def _is_kana(cp: int) -> bool:
    """Tell whether a code point is Japanese hiragana or katakana."""
    return 0x3040 <= cp <= 0x30FF or 0x31F0 <= cp <= 0x31FF or 0xFF66 <= cp <= 0xFF9F


def _is_hangul(cp: int) -> bool:
    """Tell whether a code point is Korean Hangul."""
    return 0xAC00 <= cp <= 0xD7AF or 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F


def _is_latin(cp: int) -> bool:
    """Tell whether a letter's code point is in a Latin block."""
    return cp < 0x250 or 0x1E00 <= cp <= 0x1EFF


def _english(latin: str, letters: int) -> str | None:
    """Return "en" when Latin-only text is confidently English, else None."""
    words = _WORD_RE.findall(latin.lower().replace("\u2019", "'"))
    if letters < MIN_LATIN_LETTERS or len(words) < MIN_LATIN_WORDS:
        return None
    hits = sum(word in _EN_WORDS for word in words)
    if hits >= 2 and hits >= EN_WORD_SHARE * len(words):
        return EN
    detector = _get_factory().create()
    detector.append(latin)
    try:
        ranked = detector.get_probabilities()
    except LangDetectException:
        return None
    if not ranked or ranked[0].lang != "en":
        return None
    if ranked[0].prob >= EN_MIN_PROB or (hits and ranked[0].prob >= EN_MIN_PROB_WITH_WORD):
        return EN
    return None


def _detect(text: str) -> str | None:
    """Classify text whose commands, URLs and mentions were already removed."""
    han = kana = hangul = latin = other = trad = simp = 0
    latin_only: list[str] = []
    for ch in text:
        if not ch.isalpha():
            latin_only.append(" ")
            continue
        cp = ord(ch)
        if _is_latin(cp):
            latin += 1
            latin_only.append(ch)
            continue
        latin_only.append(" ")
        if _is_han(cp):
            han += 1
            if ch in _TRAD_ONLY:
                trad += 1
            elif ch in _SIMP_ONLY:
                simp += 1
        elif _is_kana(cp):
            kana += 1
        elif _is_hangul(cp):
            hangul += 1
        else:
            other += 1
    if han + kana + hangul + latin + other == 0:
        return None
    if kana and kana >= KANA_MIN_SHARE * (han + kana):
        return None
    if hangul * 5 >= han + kana + hangul + latin + other or other > han + latin:
        return None
    latin_text = " ".join("".join(latin_only).split())
    if han and han >= len(latin_text.split()):
        if trad > simp:
            return ZH_HANT
        if simp > trad:
            return ZH_HANS
        return None
    return _english(latin_text, latin)


_detect_cached = lru_cache(maxsize=4096)(_detect)


def detect_locale(text: str) -> str | None:
    """Return "zh_Hant", "zh_Hans" or "en" for a chat message, or None when unsure."""
    cleaned = " ".join(_NOISE_RE.sub(" ", unicodedata.normalize("NFKC", text)).split())
    if len(cleaned) <= CACHE_MAX_CHARS:
        return _detect_cached(cleaned)
    return _detect(cleaned)


# Telegram's language_code is an IETF tag.  Script subtags win over regions; Taiwan, Hong
# Kong and Macau write Traditional, mainland China, Singapore and Malaysia Simplified.
# A bare "zh" (or "zh-" with an unknown region) says nothing about the script -> None, so the
# caller asks the user or detects from their messages.  Cantonese ("yue") -> Traditional.
_HANT_REGIONS: Final = frozenset({"tw", "hk", "mo"})
_HANS_REGIONS: Final = frozenset({"cn", "sg", "my"})


def normalize_locale(code: str | None) -> str | None:
    """Map a Telegram language_code ("en-US", "zh-hant", "zh-TW"...) to a locale or None."""
    if not code:
        return None
    primary, *subtags = code.strip().replace("_", "-").lower().split("-")
    if primary == "en":
        return EN
    if primary not in ("zh", "yue"):
        return None
    if "hant" in subtags:
        return ZH_HANT
    if "hans" in subtags:
        return ZH_HANS
    if any(tag in _HANT_REGIONS for tag in subtags):
        return ZH_HANT
    if any(tag in _HANS_REGIONS for tag in subtags):
        return ZH_HANS
    return ZH_HANT if primary == "yue" else None


__all__ = ["EN", "LOCALES", "ZH_HANS", "ZH_HANT", "detect_locale", "normalize_locale", "warm_up"]

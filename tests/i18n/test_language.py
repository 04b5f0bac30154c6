"""detect_locale and normalize_locale: table tests, determinism, threads and speed."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot import language
from bot.language import EN, ZH_HANS, ZH_HANT, detect_locale, normalize_locale

DETECT_CASES: list[tuple[str, str | None]] = [
    # short Traditional Chinese (raw langdetect calls most of these Korean)
    ("訂單到了嗎", ZH_HANT),
    ("謝謝", ZH_HANT),
    ("請問發票寄出了嗎？", ZH_HANT),
    ("貨還沒到", ZH_HANT),
    ("我的PO到了嗎", ZH_HANT),
    ("/start 你們好", ZH_HANT),
    ("訂單 #A-2031 什麼時候出貨？https://example.com/o/2031", ZH_HANT),
    ("謝謝🙏🙏", ZH_HANT),
    # short Simplified Chinese
    ("订单到了吗", ZH_HANS),
    ("谢谢", ZH_HANS),
    ("请问发票寄出了吗？", ZH_HANS),
    ("我的PO到了吗", ZH_HANS),
    ("订单 #A-2031 什么时候发货？", ZH_HANS),
    # careless conversion: majority of script-specific characters wins
    ("規范與下游客戶的合作流程", ZH_HANT),
    # English
    ("Where is my order?", EN),
    ("Has the invoice been sent?", EN),
    ("thank you", EN),
    ("Please check the delivery date", EN),
    ("Ｗｈｅｒｅ ｉｓ ｍｙ ｏｒｄｅｒ", EN),  # full-width Latin
    ("/order where is it", EN),
    # Han text that reads the same in both scripts
    ("你好", None),
    ("好的", None),
    ("可以", None),
    # commands, numbers, emoji, links, empty
    ("/order 123", None),
    ("/start", None),
    ("/order@SomeBot 42", None),
    ("😀👍", None),
    ("👍🏻", None),
    ("", None),
    ("   ", None),
    ("12345", None),
    ("!!!???", None),
    ("https://example.com/track?id=1", None),
    ("@somebody", None),
    # very short Latin text says nothing
    ("ok", None),
    ("OK!", None),
    ("hello", None),
    ("thanks", None),
    ("hi 👋", None),
    # languages we do not serve
    ("안녕하세요", None),
    ("주문이 도착했나요?", None),
    ("こんにちは", None),
    ("注文はまだですか", None),
    ("ありがとうございます", None),
    ("Привет, как дела?", None),
    ("สวัสดีครับ", None),
    ("Wo ist meine Bestellung", None),
    ("Dónde está mi pedido", None),
]


@pytest.mark.parametrize(("text", "expected"), DETECT_CASES)
def test_detect_locale(text: str, expected: str | None) -> None:
    assert detect_locale(text) == expected


NORMALIZE_CASES: list[tuple[str | None, str | None]] = [
    ("en", EN),
    ("en-US", EN),
    ("en-gb", EN),
    ("EN", EN),
    ("en_AU", EN),
    ("zh-hans", ZH_HANS),
    ("zh-Hans-SG", ZH_HANS),
    ("zh-CN", ZH_HANS),
    ("zh_CN", ZH_HANS),
    ("zh-SG", ZH_HANS),
    ("zh-MY", ZH_HANS),
    ("zh-hant", ZH_HANT),
    ("zh-Hant-HK", ZH_HANT),
    ("zh-TW", ZH_HANT),
    ("zh-HK", ZH_HANT),
    ("zh-MO", ZH_HANT),
    ("zh-hans-HK", ZH_HANS),  # the script subtag wins over the region
    ("yue", ZH_HANT),
    ("zh", None),  # no script and no region: unknown
    ("zh-XX", None),
    ("ja", None),
    ("ko", None),
    ("de-DE", None),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(("code", "expected"), NORMALIZE_CASES)
def test_normalize_locale(code: str | None, expected: str | None) -> None:
    assert normalize_locale(code) == expected


LATIN_SAMPLES = [
    "cannot commit",
    "invalid data in history file",
    "resource manager",
    "permission denied for database",
    "Summer Break",
    "generated column",
    "Orders are late again",
]


def test_same_answer_every_time_and_without_the_cache() -> None:
    first = [detect_locale(text) for text in LATIN_SAMPLES]
    for _ in range(3):
        language._detect_cached.cache_clear()
        assert [detect_locale(text) for text in LATIN_SAMPLES] == first


def test_threads_get_the_same_answers() -> None:
    texts = [text for text, _ in DETECT_CASES] + LATIN_SAMPLES
    language._detect_cached.cache_clear()
    sequential = [detect_locale(text) for text in texts]
    language._detect_cached.cache_clear()
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(detect_locale, texts * 4))
    assert parallel == sequential * 4


def test_locales_are_the_three_we_serve() -> None:
    answers = {detect_locale(text) for text, _ in DETECT_CASES}
    assert answers <= {*language.LOCALES, None}


def test_short_chinese_messages_are_fast() -> None:
    language.warm_up()
    texts = [f"訂單{chr(0x4E00 + i)}到了嗎" for i in range(2000)]
    start = time.perf_counter()
    for text in texts:
        detect_locale(text)
    per_call = (time.perf_counter() - start) / len(texts)
    assert per_call < 1e-3

"""A burst of alerts through the outbox relay and our pacer, against the limits' minimum.

1,000 alerts to 1,000 private chats, 100 to one private chat and 60 to one group are queued
in the outbox and sent by the real relay through the fake Bot API, with a 429 injected every
`--every`-th send. Reported: how long the burst took against the shortest time the configured
limits allow, the number of sliding windows over any limit (measured at the fake server), and
whether every message arrived exactly once. The same burst is then sent with
python-telegram-bot's AIORateLimiter (same global and group rates) for comparison.

    .venv/bin/python bench/pacing_burst.py             # limits x2 (about 2 minutes a side)
    .venv/bin/python bench/pacing_burst.py --scale 1   # Telegram's real limits (3+ minutes)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import sys
import tempfile
import time
from bisect import bisect_left
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram.error import RetryAfter  # noqa: E402
from telegram.ext import AIORateLimiter, ApplicationBuilder  # noqa: E402

from bot.fake_api import Call, FakeBotApi  # noqa: E402
from bot.runner import BotRunner  # noqa: E402
from bot.settings import Settings  # noqa: E402
from domain.keys import Recipient, message_key  # noqa: E402
from services.notify import notify  # noqa: E402
from services.time import utc_now  # noqa: E402
from storage.migrate import upgrade  # noqa: E402

BUSY_CHAT = 7_000_001
GROUP_CHAT = -1_000_000_001
TOKEN = "123456789:BURSTBENCHxxxxxxxxxxxxxxxxxxxx"


def burst() -> list[tuple[int, str]]:
    """(chat, text) of every message: 1,000 chats once, one chat 100 times, a group 60."""
    messages = [(8_000_000 + i, f"alert {i}") for i in range(1000)]
    messages += [(BUSY_CHAT, f"busy {i}") for i in range(100)]
    messages += [(GROUP_CHAT, f"group {i}") for i in range(60)]
    return messages


def minimum_seconds(limits: dict[str, float]) -> float:
    """The shortest time the limits allow for the burst (first message at t = 0)."""
    return max(1160 / limits["global"], 99 / limits["private"], 59 * 60 / limits["group"])


def windows_over(calls: list[Call], limits: dict[str, float]) -> dict[str, int]:
    """Sliding windows (one starting at each message) holding more than a limit allows."""
    times = sorted(c.at for c in calls)
    by_chat: dict[int, list[float]] = defaultdict(list)
    for c in calls:
        by_chat[c.params["chat_id"]].append(c.at)

    def over(ts: list[float], span: float, allowed: float) -> int:
        ts = sorted(ts)
        return sum(1 for i, t in enumerate(ts)
                   if bisect_left(ts, t + span - 1e-3) - i > allowed)

    return {
        "global (1 s)": over(times, 1.0, limits["global"]),
        "one private chat (1 s)": sum(over(ts, 1.0, limits["private"])
                                      for chat, ts in by_chat.items() if chat > 0),
        "one group (60 s)": sum(over(ts, 60.0, limits["group"] / 1.0)
                                for chat, ts in by_chat.items() if chat < 0),
    }


def delivered(api: FakeBotApi) -> list[Call]:
    return [c for c in api.calls if c.method == "sendMessage" and isinstance(c.result, dict)]


def exactly_once(api: FakeBotApi, messages: list[tuple[int, str]]) -> tuple[bool, int, int]:
    got = Counter((c.params["chat_id"], c.params["text"]) for c in delivered(api))
    wanted = Counter(messages)
    missing = sum((wanted - got).values())
    doubled = sum((got - wanted).values())
    return missing == 0 and doubled == 0, missing, doubled


def outcome(api: FakeBotApi, messages: list[tuple[int, str]], limits: dict[str, float],
            took: float) -> dict[str, Any]:
    """What the fake server saw of one side's burst."""
    ok, missing, doubled = exactly_once(api, messages)
    return {"took": took, "windows": windows_over(delivered(api), limits), "ok": ok,
            "missing": missing, "doubled": doubled,
            "429s": sum(1 for c in api.calls if c.result == "fault:429")}


async def run_ours(messages: list[tuple[int, str]], limits: dict[str, float],
                   every: int) -> dict[str, Any]:
    api = FakeBotApi()
    url = await api.start()
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'burst.sqlite3'}"
        upgrade(db)
        settings = Settings(
            telegram_api_url=url, database_url=db, telegram_token=TOKEN,
            use_rate_limiter=True, rate_limit_global_per_second=limits["global"],
            rate_limit_private_per_second=limits["private"],
            rate_limit_group_per_minute=limits["group"], poll_timeout_seconds=1,
            lease_seconds=300)
        runner = BotRunner(settings)
        await runner.start()
        try:
            uow = runner.built.uow_factory() if runner.built else None
            assert uow is not None
            async with uow:
                for n, (chat, text) in enumerate(messages):
                    await notify(uow, key=message_key(f"burst:{n}", Recipient.CHAT, chat),
                                 chat_id=chat, locale="en",
                                 msgid=text, now=utc_now())
                await uow.commit()
            api.calls.clear()
            api.inject_every("sendMessage", "429", every, retry_after=1)
            start = time.monotonic()
            assert runner.relay is not None
            runner.relay.wake.set()
            await api.wait_for(lambda: len(delivered(api)) >= len(messages), timeout=3600)
            await asyncio.sleep(1.0)  # anything sent twice would show up now
            took = max(c.at for c in delivered(api)) - start
            for label, pick in (("1,000 chats", lambda c: c > 7_999_999),
                                ("busy chat", lambda c: c == BUSY_CHAT),
                                ("group", lambda c: c == GROUP_CHAT)):
                ts = sorted(c.at - start for c in delivered(api) if pick(c.params["chat_id"]))
                print(f"  {label}: first {ts[0]:.1f} s, last {ts[-1]:.1f} s")
                if label == "group":
                    slow = [(round(a, 1), round(b - a, 2)) for a, b in itertools.pairwise(ts)
                            if b - a > 1.1 * 60 / limits["group"]]
                    print(f"  group: gaps over 1.1x its spacing (at, gap): {slow}")
        finally:
            await runner.stop()
            await api.stop()
    return outcome(api, messages, limits, took)


async def run_aio(messages: list[tuple[int, str]], limits: dict[str, float],
                  every: int) -> dict[str, Any]:
    api = FakeBotApi()
    url = await api.start()
    app = (ApplicationBuilder().token(TOKEN).base_url(f"{url}/bot").updater(None)
           .rate_limiter(AIORateLimiter(overall_max_rate=limits["global"],
                                        group_max_rate=limits["group"], max_retries=5))
           .build())
    await app.initialize()
    api.inject_every("sendMessage", "429", every, retry_after=1)
    start = time.monotonic()

    async def send(chat: int, text: str) -> None:
        with contextlib.suppress(RetryAfter):  # a give-up is counted as missing
            await app.bot.send_message(chat, text)

    await asyncio.gather(*(send(c, t) for c, t in messages))
    took = max(c.at for c in delivered(api)) - start
    await app.shutdown()
    await api.stop()
    return outcome(api, messages, limits, took)


def report(name: str, result: dict[str, Any], minimum: float) -> None:
    print(f"\n{name}")
    print(f"  burst took {result['took']:.1f} s; the limits allow {minimum:.1f} s at best "
          f"-> {result['took'] / minimum:.3f}x (target <= 1.05x)")
    for window, count in result["windows"].items():
        print(f"  windows over the limit, {window}: {count}")
    print(f"  429s injected: {result['429s']}; every message exactly once: "
          f"{'yes' if result['ok'] else 'NO'} (missing {result['missing']}, "
          f"doubled {result['doubled']})")


async def main(args: argparse.Namespace) -> None:
    limits = {"global": 25.0 * args.scale, "private": 1.0 * args.scale,
              "group": 20.0 * args.scale}
    messages = burst()
    minimum = minimum_seconds(limits)
    print(f"limits: {limits['global']:g}/s overall, {limits['private']:g}/s per private chat, "
          f"{limits['group']:g}/min per group (x{args.scale:g} Telegram's); "
          f"{len(messages)} messages; a 429 (retry_after 1 s) every {args.every}th send")
    ours = await run_ours(messages, limits, args.every)
    report("outbox relay + our pacer (bot/pacing.py)", ours, minimum)
    if not args.skip_ptb:
        theirs = await run_aio(messages, limits, args.every)
        report("python-telegram-bot AIORateLimiter, same burst sent at once", theirs, minimum)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=2.0,
                        help="multiply Telegram's limits by this (1 = the real ones)")
    parser.add_argument("--every", type=int, default=97, help="inject a 429 every Nth send")
    parser.add_argument("--skip-ptb", action="store_true", help="only measure our relay")
    asyncio.run(main(parser.parse_args()))

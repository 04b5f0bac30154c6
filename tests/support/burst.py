"""A burst of requests against a real bot process that is killed with SIGKILL at random moments.

Used by tests/test_process_faults.py (small) and bench/kill9_burst.py (the issue's size): every
request must be answered (R1: nothing lost), and a restart may answer again only what was in
flight when the process died.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field

from bot.fake_api import FakeBotApi, Persona
from tests.support.processes import env_for, start, stop


@dataclass
class BurstResult:
    users: int
    per_user: int
    kills: int
    lost: int = 0
    doubled: int = 0
    answered_at_kill: list[int] = field(default_factory=list)
    seconds: float = 0.0

    def line(self) -> str:
        per_kill = self.doubled / self.kills if self.kills else 0.0
        return (f"{self.users} users x {self.per_user} requests, {self.kills} SIGKILLs: "
                f"lost {self.lost}, answered twice {self.doubled} "
                f"({per_kill:.2f} per kill), {self.seconds:.1f} s")


async def kill9_burst(api: FakeBotApi, db_url: str, *, users: int = 20, per_user: int = 20,
                      kills: int = 3, seed: int | None = None, **env: str) -> BurstResult:
    """Send users x per_user /help requests, SIGKILL the bot `kills` times while it answers
    (each time after a random share of the work), restart it, and count what came back."""
    rng = random.Random(seed)
    people = [Persona(5_000_000 + n, f"U{n}", "en") for n in range(users)]
    total = users * per_user
    loop = asyncio.get_running_loop()
    began = loop.time()
    environment = env_for(api, db_url, **env)
    result = BurstResult(users, per_user, kills)

    def answered() -> int:
        return sum(len(api.sent_to(p.id)) for p in people)

    bot = await start(environment)
    try:
        await api.wait_for(lambda: api.calls_of("deleteWebhook"), timeout=60)
        for _ in range(per_user):
            for person in people:
                await api.send_text(person, "/help")
        # Kill points spread over the burst, each at a random place in its own stretch.
        stretch = total // (kills + 1)
        for k in range(kills):
            target = stretch * k + rng.randint(stretch // 3, stretch)
            await api.wait_for(lambda target=target: answered() >= target, timeout=120)
            bot.kill()
            await bot.wait()
            result.answered_at_kill.append(answered())
            bot = await start(environment)
        await api.wait_for(
            lambda: all(len(api.sent_to(p.id)) >= per_user for p in people), timeout=180)
        await asyncio.sleep(2.0)  # anything answered twice after the last restart shows now
    finally:
        if bot.returncode is None:
            await stop(bot)
    replies = Counter({p.id: len(api.sent_to(p.id)) for p in people})
    result.lost = sum(max(0, per_user - n) for n in replies.values())
    result.doubled = sum(max(0, n - per_user) for n in replies.values())
    result.seconds = loop.time() - began
    return result

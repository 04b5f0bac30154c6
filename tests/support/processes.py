"""Running the bot as a real process (`python -m bot`) against the fake Bot API."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.fake_api import FakeBotApi

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "424242:PROCESS-test-token-abcdefghijklmnop"


def env_for(api: FakeBotApi, db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DCM_")}
    env.update(PYTHONPATH=str(ROOT), DCM_TELEGRAM_TOKEN=TOKEN, DCM_TELEGRAM_API_URL=api.url,
               DCM_DATABASE_URL=db_url, DCM_USE_RATE_LIMITER="false",
               DCM_POLL_TIMEOUT_SECONDS="1", DCM_DEFAULT_LOCALE="en")
    env.update(extra)
    return env


async def start(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *(args or ("run",)), env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def stop(process: asyncio.subprocess.Process) -> str:
    """SIGTERM the process, check it exited cleanly, and return what it logged."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), 60)
    log = err.decode()
    assert process.returncode == 0, log[-3000:]
    return log

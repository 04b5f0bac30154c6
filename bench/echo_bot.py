"""A bare python-telegram-bot echo bot: the baseline of bench/order_status.py.

Same library, same defaults and the same long polling as the real bot (`python -m bot run`),
but no database, no i18n and no handlers of ours: it replies to every text with that text.

    .venv/bin/python bench/echo_bot.py --api http://127.0.0.1:PORT [--token 123:ABC]
"""

from __future__ import annotations

import argparse
import logging

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

DEFAULT_TOKEN = "123456789:BENCHTOKENechoechoechoechoecho"


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text:
        await message.reply_text(message.text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", required=True, help="root URL of the Bot API server")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    api = args.api.rstrip("/")
    app = (
        ApplicationBuilder()
        .token(args.token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    # The same call as bot/cli.py's `run`, so polling behaves identically.
    app.run_polling(allowed_updates=["message", "callback_query"], drop_pending_updates=False)


if __name__ == "__main__":
    main()

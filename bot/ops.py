"""Tell the ops chat about dead letters, conflicts and uncertain sends (rate-limited by key)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.errors import N_, Np_, Plural
from domain.keys import Recipient, message_key
from services.notify import notify
from services.ports import UnitOfWork

log = logging.getLogger(__name__)

DEAD_LETTER = Np_("Update {update_id} failed {count} time and was set aside: {error}",
                  "Update {update_id} failed {count} times and was set aside: {error}")
CONFLICT = N_("Another process is polling with this bot's token (409 Conflict). This process "
              "stops so that only one runs.")
UNCERTAIN = N_("A message to chat {chat_id} may or may not have been delivered (the request "
               "timed out after it was sent). It was not resent: {ref}")
SEND_FAILED = N_("A message to chat {chat_id} could not be sent: {error} ({ref})")
SWEEP_FAILED = N_("Scheduled work {ref} failed: {error}")


class Ops:
    """Writes alerts for the ops chat into the outbox; one alert per key."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], chat_id: int | None,
                 locale: str) -> None:
        self.uow_factory = uow_factory
        self.chat_id = chat_id
        self.locale = locale

    async def tell(self, alert_key: str, msgid: str | Plural, now: datetime,
                   **params: Any) -> None:
        """Queue an alert once per key; without an ops chat, log it at ERROR."""
        if self.chat_id is None:
            text = msgid if isinstance(msgid, str) else msgid[params.get("count") != 1]
            log.error("ops alert %s: %s", alert_key, text.format(**params))
            return
        uow = self.uow_factory()
        async with uow:
            await notify(uow, key=message_key(f"ops:{alert_key}", Recipient.CHAT, self.chat_id),
                         chat_id=self.chat_id, locale=self.locale,
                         msgid=msgid, now=now, params={k: str(v)[:300] for k, v in params.items()})
            await uow.commit()

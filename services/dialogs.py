"""Multi-step dialogs kept in the database (R9): a crash between two answers loses nothing.

Each step is saved with the id of the update that made it, so a redelivered update does not
apply twice; each save schedules a timeout as due work, so an abandoned dialog is closed by a
sweep (R10) even if the bot was down when it expired.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from domain.errors import N_
from domain.keys import Recipient, message_key
from services.cards import Actor
from services.notify import notify, recipient_locale
from services.ports import UnitOfWork

if TYPE_CHECKING:
    from storage.models import Dialog, DueWork

TIMEOUT_KIND = "dialog.timeout"
TIMED_OUT = N_("You did not answer for a while, so I closed what we were doing. Nothing was "
               "sent. You can start again at any time.")


@dataclass(frozen=True)
class DialogState:
    """Where a user is in a dialog."""

    name: str
    step: str
    version: int
    data: dict[str, Any] = field(default_factory=dict)
    last_update_id: int | None = None

    def replayed(self, update_id: int | None) -> bool:
        """Tell whether this update already made a step (a redelivery after a crash)."""
        return (update_id is not None and self.last_update_id is not None
                and update_id <= self.last_update_id)


def state_of(dialog: Dialog | None) -> DialogState | None:
    """Copy a stored dialog into a card (handlers never see ORM objects)."""
    if dialog is None:
        return None
    return DialogState(dialog.name, dialog.step, dialog.version, dict(dialog.data),
                       dialog.last_update_id)


async def save_step(
    uow: UnitOfWork,
    actor: Actor,
    *,
    name: str,
    step: str,
    data: dict[str, Any],
    now: datetime,
    lifetime: timedelta,
) -> DialogState:
    """Start a dialog or move it to `step`, replacing any other dialog the user was in."""
    async with uow:
        state = await _put(uow, actor, name=name, step=step, data=data, now=now,
                           lifetime=lifetime)
        await uow.commit()
        return state


async def _put(uow: UnitOfWork, actor: Actor, *, name: str, step: str, data: dict[str, Any],
               now: datetime, lifetime: timedelta) -> DialogState:
    expires_at = now + lifetime
    dialog = await uow.dialogs.put(actor.telegram_id, name=name, step=step, data=data, now=now,
                                   expires_at=expires_at, update_id=actor.update_id)
    await uow.flush()
    # The name too: another dialog started in the same second is another deadline.
    await uow.due.schedule(key=f"{TIMEOUT_KIND}:{actor.telegram_id}:{name}:{dialog.version}:"
                               f"{int(dialog.started_at.timestamp())}",
                           kind=TIMEOUT_KIND, due_at=expires_at,
                           subject_id=str(actor.telegram_id),
                           payload={"version": dialog.version, "name": name})
    result = state_of(dialog)
    assert result is not None
    return result


async def end_dialog(uow: UnitOfWork, actor: Actor) -> str | None:
    """End the user's dialog (/cancel); return its name, or None if there was none."""
    async with uow:
        dialog = await uow.dialogs.get(actor.telegram_id)
        if dialog is None:
            return None
        name = dialog.name
        await uow.dialogs.delete(actor.telegram_id)
        await uow.commit()
        return name


async def expire_dialog(uow: UnitOfWork, item: DueWork, now: datetime, late: bool, *,
                        default_locale: str) -> None:
    """Close a dialog nobody answered in time, if it has not moved on since (a sweep handler)."""
    telegram_id = int(item.subject_id)
    dialog = await uow.dialogs.get(telegram_id)
    if dialog is None or dialog.version != item.payload.get("version"):
        return  # answered, finished or cancelled since: nothing to do
    await uow.dialogs.delete(telegram_id)
    # A chat id: whoever answers dialogs, staff, contact or neither yet.
    subject = f"dialog.expired:{dialog.name}:{dialog.started_at.timestamp():.0f}"
    await notify(uow, key=message_key(subject, Recipient.CHAT, telegram_id),
                 chat_id=telegram_id, now=now, msgid=TIMED_OUT,
                 locale=await recipient_locale(uow, telegram_id, default_locale))

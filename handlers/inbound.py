"""What every incoming update goes through first (group -1), before any other handler.

Two kinds of input would otherwise fail deep in a handler and be retried until dead-lettered:
a NUL character (PostgreSQL refuses it in any text column, so such a message, name or button
could never be handled) and an update that no person sent (a group message without `from`,
an anonymous group admin, a channel post), which has nobody to answer or to resolve a
language for.
"""

from __future__ import annotations

from typing import Any

from telegram import Message, MessageEntity, TelegramObject, Update

NUL = "\x00"


def strip_nul(update: Update) -> bool:
    """Remove NUL characters from every string of the update, in place; True if any was.

    Entities of a text or caption are moved to keep pointing at the same characters.
    """
    return _clean(update, 0)


_NAMES: dict[type, tuple[str, ...]] = {}  # public attributes per class, found once


def _clean(obj: TelegramObject, depth: int) -> bool:
    if depth > 8:  # replies of replies: far deeper than Telegram nests
        return False
    changed: dict[str, Any] = {}
    nested = False
    names = _NAMES.get(type(obj))
    if names is None:
        names = _NAMES[type(obj)] = tuple(obj._get_attrs_names(include_private=False))
    for name in names:
        value = getattr(obj, name, None)
        if isinstance(value, str):
            if NUL in value:
                changed[name] = value.replace(NUL, "")
        elif isinstance(value, TelegramObject):
            nested = _clean(value, depth + 1) or nested
        elif isinstance(value, tuple) and value:
            cleaned, inner = _clean_tuple(value, depth)
            nested = nested or inner
            if cleaned is not None:
                changed[name] = cleaned
    if not changed:
        return nested
    if isinstance(obj, Message):
        for text_field, entities_field in (("text", "entities"), ("caption",
                                                                  "caption_entities")):
            if text_field in changed and getattr(obj, entities_field):
                changed[entities_field] = _shift(getattr(obj, text_field),
                                                 getattr(obj, entities_field))
    with obj._unfrozen():
        for name, value in changed.items():
            setattr(obj, name, value)
    return True


def _clean_tuple(values: tuple[Any, ...], depth: int) -> tuple[tuple[Any, ...] | None, bool]:
    """The tuple with its strings cleaned (None if none changed), and whether an object in it
    was cleaned (in place)."""
    out: list[Any] = []
    changed = nested = False
    for item in values:
        if isinstance(item, str) and NUL in item:
            item, changed = item.replace(NUL, ""), True
        elif isinstance(item, TelegramObject):
            nested = _clean(item, depth + 1) or nested
        elif isinstance(item, tuple):
            inner, deeper = _clean_tuple(item, depth)
            nested = nested or deeper
            if inner is not None:
                item, changed = inner, True
        out.append(item)
    return (tuple(out) if changed else None), nested


def _shift(text: str, entities: tuple[MessageEntity, ...]) -> tuple[MessageEntity, ...]:
    """Entities of `text` moved to where their characters are once its NULs are gone
    (offsets count UTF-16 code units; a NUL is one)."""
    removed: list[int] = []
    position = 0
    for char in text:
        if char == NUL:
            removed.append(position)
        position += 2 if ord(char) > 0xFFFF else 1

    def before(offset: int) -> int:
        return sum(1 for p in removed if p < offset)

    moved = []
    for entity in entities:
        start = entity.offset - before(entity.offset)
        end = entity.offset + entity.length - before(entity.offset + entity.length)
        if end <= start:
            continue  # it covered nothing but NULs
        with entity._unfrozen():
            entity.offset, entity.length = start, end - start
        moved.append(entity)
    return tuple(moved)


# The service account that stands in for an anonymous group admin, the channel stand-in of
# messages sent on behalf of a channel, and Telegram itself (automatic forwards).
_STAND_INS = {1087968824, 136817688, 777000}


def has_person(update: Update) -> bool:
    """True if a person sent this update; False for channel posts, group messages without a
    sender, anonymous admins and other messages sent on behalf of a chat."""
    user = update.effective_user
    if user is None or user.is_bot or user.id in _STAND_INS:
        return False
    message = update.message or update.edited_message
    return message is None or message.sender_chat is None

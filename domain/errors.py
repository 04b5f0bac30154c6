"""Domain errors that carry a translatable message and its parameters."""

from __future__ import annotations

from typing import Any, NamedTuple, Self


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here."""
    return message


class Plural(NamedTuple):
    """A message with a plural form: the parameter `count` picks the form when it is shown."""

    singular: str
    plural: str


def Np_(singular: str, plural: str) -> Plural:
    """Mark a message with a plural form for extraction (ngettext picks the form later)."""
    return Plural(singular, plural)


class DomainError(Exception):
    """A rule was broken; `message` is an untranslated msgid with `{named}` placeholders."""

    message: str = N_("Something went wrong. Please try again.")
    plural: str | None = None  # the plural msgid of a `Plural` message, counted by `count`

    def __init__(self, message: str | Plural | None = None, **params: Any) -> None:
        if isinstance(message, Plural):
            self.message, self.plural = message
        elif message is not None:
            self.message = message
        self.params = params
        super().__init__(self.message.format(**params) if params else self.message)


class Refusal(DomainError):
    """The actor may not see or do this. Every refusal is audited once (R7, R15, R18): where
    the update's error is handled, unless the service already wrote a more telling entry
    and said so with `mark_audited()`."""

    audited: bool = False

    def mark_audited(self) -> Self:
        """Say that the refusal is already in the audit log, so it is not written twice."""
        self.audited = True
        return self


class NotFound(Refusal):
    """The thing asked for does not exist or is not visible to the asker (R18)."""

    message = N_("Not found.")


class AccessDenied(Refusal):
    """The actor's role does not allow this action."""

    message = N_("You are not allowed to do that.")


class AlreadyDecided(DomainError):
    """Someone else decided this step first, or it is no longer open (R7)."""


class InvalidTransition(DomainError):
    """A lifecycle change that the current status does not allow."""

    message = N_("This cannot be done in the current state.")


class InviteInvalid(DomainError):
    """An invite token that is unknown, used or expired."""

"""The typed context every callback gets: unit of work, clock, translator, actor.

It lives in handlers/ (not bot/) because handlers are typed against it and nothing may
import bot/; bot/ fills in the Runtime at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from datetime import date as Day
from decimal import Decimal
from typing import Any, Protocol

from telegram.ext import Application, CallbackContext, ExtBot

from domain.admission import AdmissionPolicy
from domain.calendar import WorkingCalendar
from domain.care import CarePolicy
from domain.cases import CasePolicy
from domain.receivables import LadderPolicy
from services.cards import Actor
from services.ports import UnitOfWork

_ACTOR_KEY = "_actor"


class Translator(Protocol):
    """Translates and formats for one locale (Babel underneath)."""

    locale: str

    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...

    def money(self, amount: Decimal, currency: str) -> str: ...

    def number(self, value: Decimal | int) -> str: ...

    def date(self, value: date) -> str: ...

    def datetime(self, value: datetime) -> str: ...

    def deadline(self, day: Day, at: time | None) -> str: ...


@dataclass(frozen=True)
class Runtime:
    """What the composition root hands the handlers."""

    uow_factory: Callable[[], UnitOfWork]
    clock: Callable[[], datetime]
    translator: Callable[[str], Translator]
    detect_locale: Callable[[str], str | None]
    normalize_locale: Callable[[str | None], str | None]
    default_locale: str
    invite_expiry_days: int
    bot_username: Callable[[], str]
    calendar: WorkingCalendar
    case_policy: CasePolicy
    admission_policy: AdmissionPolicy = field(default_factory=AdmissionPolicy)
    info_update_days: int = 3  # INFO-5
    ladder_policy: LadderPolicy = field(default_factory=LadderPolicy)  # AR-2
    care_policy: CarePolicy = field(default_factory=CarePolicy)  # CARE-1
    dialog_timeout: timedelta = timedelta(minutes=60)
    page_size: int = 5


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """CallbackContext with the project's runtime; one instance per update."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self._actor: Actor | None = None

    @property
    def actor(self) -> Actor | None:
        """The resolved sender; error handlers get a new context, so it is kept per user too."""
        if self._actor is None:
            user_data = self.user_data
            if user_data is not None:
                found: Actor | None = user_data.get(_ACTOR_KEY)
                return found
        return self._actor

    @actor.setter
    def actor(self, value: Actor | None) -> None:
        self._actor = value
        user_data = self.user_data
        if user_data is not None:
            user_data[_ACTOR_KEY] = value

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.application.bot_data["runtime"]
        return runtime

    def uow(self) -> UnitOfWork:
        """Return a fresh unit of work for this update."""
        return self.runtime.uow_factory()

    def now(self) -> datetime:
        """Return the current aware UTC time from the runtime's clock."""
        return self.runtime.clock()

    @property
    def t(self) -> Translator:
        """Return the translator for the actor's locale (the default before resolution)."""
        locale = self.actor.locale if self.actor else self.runtime.default_locale
        return self.runtime.translator(locale)

    @property
    def me(self) -> Actor:
        """Return the resolved actor; the group -1 handler guarantees it for user updates."""
        if self.actor is None:
            raise RuntimeError("actor not resolved for this update")
        return self.actor

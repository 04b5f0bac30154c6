"""What the scheduler runs: each kind of due work's handler, and the daily jobs.

`register_deadlines` binds every kind of database deadline (R10) to its service with the
settings it needs; `register_daily_jobs` adds the periodic jobs that look at the time of day
(the dunning ladder, digests, greetings, the monthly rating check). Both are idempotent per
`Sweeps`, so a runner restarted in the same process does not register twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.settings import Settings
from bot.sweeps import Sweeps, register_case_deadlines
from domain.calendar import WorkingCalendar
from handlers.context import Translator
from handlers.letters import dunning_letter_pdf
from services.admission import REVIEW_KIND, Admission, on_review_due
from services.care import EVENT_KIND, Care, daily_digest, greetings, on_event_due
from services.case_sla import SLA_KIND, Desk
from services.customer_file import INFO_KIND, PROSPECT_KIND, on_info_due
from services.dialogs import TIMEOUT_KIND, expire_dialog
from services.prospects import on_prospect_due
from services.receivables import Ledger, recheck_ratings, sweep_ladder, weekly_digest

Handler = Callable[[Any, Any, datetime, bool], Any]


def register_deadlines(sweeps: Sweeps, settings: Settings) -> Ledger:
    """Bind each kind of due work to its handler; return the receivables' configuration."""
    locale = settings.default_locale
    calendar = WorkingCalendar(settings.holiday_region, settings.timezone)
    care = care_for(settings, calendar)
    adm = Admission(calendar, settings.admission_policy(), locale, settings.invite_expiry_days)
    handlers: dict[str, Handler] = {
        TIMEOUT_KIND: lambda uow, item, now, late: expire_dialog(
            uow, item, now, late, default_locale=locale),
        REVIEW_KIND: lambda uow, item, now, late: on_review_due(uow, item, now, late, adm=adm),
        INFO_KIND: lambda uow, item, now, late: on_info_due(
            uow, item, now, late, default_locale=locale),
        PROSPECT_KIND: lambda uow, item, now, late: on_prospect_due(
            uow, item, now, late, default_locale=locale),
        EVENT_KIND: lambda uow, item, now, late: on_event_due(uow, item, now, late,
                                                              care=care),
    }
    for kind, handler in handlers.items():
        if kind not in sweeps.handlers:
            sweeps.on_due(kind, _awaiting(handler))
    if SLA_KIND not in sweeps.handlers:
        register_case_deadlines(sweeps, Desk(calendar, settings.case_policy(), locale))
    return Ledger(calendar, settings.ladder_policy(), locale,
                  {"name": settings.company_name, "address": settings.company_address,
                   "phone": settings.company_phone})


def _awaiting(handler: Handler) -> Any:
    async def run(uow: Any, item: Any, now: datetime, late: bool) -> None:
        await handler(uow, item, now, late)

    return run


def care_for(settings: Settings, calendar: WorkingCalendar) -> Care:
    """The relationship-care policy bundle from the settings."""
    return Care(calendar, settings.holiday_region, settings.care_policy(),
                settings.default_locale, settings.business_hours[0])


def register_daily_jobs(sweeps: Sweeps, settings: Settings, uow_factory: Callable[[], Any],
                        translator: Callable[[str], Translator], ledger: Ledger) -> None:
    """The jobs that act by the time of day; each decides for itself whether it is time."""
    if "receivables.ladder" in sweeps.periodic:
        return
    care = care_for(settings, ledger.calendar)

    def letter(locale: str, data: dict[str, Any]) -> bytes:
        return dunning_letter_pdf(translator(locale), data)

    jobs: dict[str, tuple[timedelta, Callable[[datetime], Any]]] = {
        "receivables.ladder": (timedelta(minutes=settings.ladder_sweep_minutes),
                               lambda now: sweep_ladder(uow_factory, now, ledger=ledger,
                                                        render_letter=letter)),
        "receivables.digest": (timedelta(hours=1),
                               lambda now: weekly_digest(uow_factory, now, ledger=ledger)),
        "credit.recheck": (timedelta(hours=1),
                           lambda now: recheck_ratings(uow_factory, now, ledger=ledger)),
        "care.digest": (timedelta(minutes=30),
                        lambda now: daily_digest(uow_factory, now, care=care)),
        "care.greetings": (timedelta(minutes=30),
                           lambda now: greetings(uow_factory, now, care=care)),
    }
    for name, (interval, job) in jobs.items():

        async def run(now: datetime, job: Callable[[datetime], Any] = job) -> int:
            return int(await job(now))

        sweeps.every(name, interval, run)

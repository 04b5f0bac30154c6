"""The deadlines of a case as due work (CMP-2, CMP-3, SVC-3): a warning, then the ladder.

Kept apart from opening (services.cases) and handling (services.casework) so both can start
and stop deadlines without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from domain.calendar import WorkingCalendar
from domain.cases import LADDER, CasePolicy, warning_at
from services.ports import UnitOfWork

if TYPE_CHECKING:
    from storage.models import Case

SLA_KIND = "case.sla"


@dataclass(frozen=True)
class Desk:
    """What case handling needs from the running bot's configuration."""

    calendar: WorkingCalendar
    policy: CasePolicy
    default_locale: str


def sla_key(case_id: int, stage: str, due: datetime, step: str) -> str:
    return f"sla:{case_id}:{stage}:{int(due.timestamp())}:{step}"


async def schedule_sla(uow: UnitOfWork, case: Case, stage: str, start: datetime,
                        due: datetime, desk: Desk) -> None:
    """Warn before `due`, then climb the ladder one level per `escalate_after_days`."""
    warn = warning_at(start, due, desk.calendar, desk.policy.warn_share,
                      desk.policy.business_hours)
    steps: list[tuple[str, datetime]] = [("warn", warn)] if warn is not None else []
    at = due
    for level in range(1, len(LADDER) + 1):
        steps.append((f"L{level}", at))
        at = desk.calendar.add_working_days(at, desk.policy.escalate_after_days)
    for step, when in steps:
        # A deadline at midnight (counted from a holiday) is escalated when the office opens.
        when = desk.calendar.within_business_hours(when, desk.policy.business_hours)
        await uow.due.schedule(key=sla_key(case.id, stage, due, step), kind=SLA_KIND,
                               due_at=when, subject_id=str(case.id),
                               payload={"stage": stage, "step": step,
                                        "due": due.isoformat()})


async def cancel_sla(uow: UnitOfWork, case: Case, stage: str, due: datetime) -> None:
    for step in ("warn", *(f"L{n}" for n in range(1, len(LADDER) + 1))):
        await uow.due.cancel(sla_key(case.id, stage, due, step))


async def schedule_new_case(uow: UnitOfWork, case: Case, now: datetime, desk: Desk, *,
                            actor_label: str = "system") -> None:
    """The deadlines of a case just filed: acknowledgment, and solution or answer; the
    timeline credits whoever filed it (`actor_label`)."""
    await schedule_sla(uow, case, "ack", now, case.ack_due_at, desk)
    await schedule_sla(uow, case, "resolve", now, case.resolve_due_at, desk)
    uow.cases.add_event(case.id, at=now, kind="opened", actor_label=actor_label,
                        internal=False)

"""Complaints and inquiries (SVC-3, CMP-1..CMP-4): kinds, categories, deadlines, attachments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from domain.calendar import WorkingCalendar
from domain.errors import N_, DomainError, Np_


class CaseKind(StrEnum):
    COMPLAINT = "complaint"
    INQUIRY = "inquiry"


class Category(StrEnum):
    """What a complaint is about (issue: quality, delivery, quantity, documents, service)."""

    QUALITY = "quality"
    DELIVERY = "delivery"
    QUANTITY = "quantity"
    DOCUMENTS = "documents"
    SERVICE = "service"
    OTHER = "other"


class CaseStatus(StrEnum):
    OPEN = "open"  # filed, waiting for acknowledgment
    ACKNOWLEDGED = "acknowledged"  # being investigated
    SOLUTION_PROPOSED = "solution_proposed"  # waiting for the customer's yes or no
    RESOLVED = "resolved"  # the customer accepted the solution; root cause still to record
    CLOSED = "closed"
    REOPENED = "reopened"  # a low satisfaction score: the service lead reviews it


ACTIVE = frozenset({CaseStatus.OPEN, CaseStatus.ACKNOWLEDGED, CaseStatus.SOLUTION_PROPOSED,
                    CaseStatus.RESOLVED, CaseStatus.REOPENED})


class RootCause(StrEnum):
    """Where a complaint came from (CMP-3: cause analysis and corrective action)."""

    MATERIAL = "material"
    PRODUCTION = "production"
    LOGISTICS = "logistics"
    DOCUMENTS = "documents"
    COMMUNICATION = "communication"
    CUSTOMER = "customer"
    OTHER = "other"


class Department(StrEnum):
    """Roles a case can be forwarded to for input (CMP-3)."""

    MARKET = "market"
    FINANCE = "finance"
    LEGAL = "legal"
    SALES = "sales"


# What staff may do in each status; anything else is "the case has moved on".
ALLOWED: dict[str, frozenset[CaseStatus]] = {
    "acknowledge": frozenset({CaseStatus.OPEN}),
    "take": ACTIVE,
    "assign": ACTIVE,
    "note": ACTIVE,
    "forward": frozenset({CaseStatus.ACKNOWLEDGED, CaseStatus.SOLUTION_PROPOSED,
                          CaseStatus.REOPENED}),
    "propose": frozenset({CaseStatus.ACKNOWLEDGED, CaseStatus.REOPENED}),
    "deadline": frozenset({CaseStatus.ACKNOWLEDGED}),
    "progress": frozenset({CaseStatus.ACKNOWLEDGED, CaseStatus.SOLUTION_PROPOSED}),
    "close": frozenset({CaseStatus.RESOLVED, CaseStatus.REOPENED}),
    "decide": frozenset({CaseStatus.SOLUTION_PROPOSED}),  # the customer's yes or no
}


# A chat attachment a customer may send as evidence (CMP-2).
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024  # what a bot may download from Telegram
ALLOWED_MIME_PREFIXES = ("image/", "video/")
ALLOWED_MIME_TYPES = frozenset({
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "text/plain",
    "text/csv",
})
MIN_DESCRIPTION = 5
MAX_DESCRIPTION = 3000


class AttachmentRefused(DomainError):
    """A file the case cannot take."""


@dataclass(frozen=True)
class Attachment:
    """A file Telegram holds for us; we keep its ids, not its bytes."""

    kind: str  # photo, document, video
    file_id: str
    file_unique_id: str
    file_name: str
    mime_type: str
    size: int


def check_attachment(attachment: Attachment, already: int) -> None:
    """Refuse a file that is too big, of a type we do not take, or one too many."""
    if already >= MAX_ATTACHMENTS:
        raise AttachmentRefused(Np_("You can attach at most {count} file to one case.",
                                    "You can attach at most {count} files to one case."),
                                count=MAX_ATTACHMENTS)
    if attachment.size > MAX_ATTACHMENT_BYTES:
        raise AttachmentRefused(N_("That file is too large ({size} MB). Files up to {limit} MB "
                                   "are accepted."),
                                size=round(attachment.size / 1_048_576, 1),
                                limit=MAX_ATTACHMENT_BYTES // 1_048_576)
    mime = attachment.mime_type.lower()
    if attachment.kind != "photo" and not (
        mime.startswith(ALLOWED_MIME_PREFIXES) or mime in ALLOWED_MIME_TYPES
    ):
        raise AttachmentRefused(N_("Files of this type are not accepted. Please send photos, "
                                   "PDF, Word, Excel or text files."))


def check_description(text: str) -> str:
    """Return the cleaned description or raise with what is wrong."""
    text = text.strip()
    if len(text) < MIN_DESCRIPTION:
        raise DomainError(Np_("Please describe it in a few words (at least {count} character).",
                              "Please describe it in a few words (at least {count} characters)."),
                          count=MIN_DESCRIPTION)
    if len(text) > MAX_DESCRIPTION:
        raise DomainError(Np_("Please keep the description under {count} character.",
                              "Please keep the description under {count} characters."),
                          count=MAX_DESCRIPTION)
    return text


# Local opening and closing hours when no policy says otherwise (settings `business_hours`).
BUSINESS_HOURS = (9, 18)


@dataclass(frozen=True)
class Deadlines:
    """When a new case must be acknowledged and answered or solved."""

    ack_due: datetime
    resolve_due: datetime


def case_deadlines(
    kind: CaseKind,
    opened_at: datetime,
    calendar: WorkingCalendar,
    *,
    ack_days: int,
    answer_days: int,
    solution_days: int,
) -> Deadlines:
    """Deadlines in working days (CMP-2, SVC-3, CMP-3), counted by the region's calendar."""
    resolve_days = answer_days if kind == CaseKind.INQUIRY else solution_days
    return Deadlines(
        ack_due=calendar.add_working_days(opened_at, ack_days),
        resolve_due=calendar.add_working_days(opened_at, resolve_days),
    )


# CMP-3 and SVC-3 put the deadline on *sending* the solution or answer: from then on the
# customer holds the case, and no deadline of ours runs until it comes back (rejected).
CLOCK_STOPPED = frozenset({CaseStatus.SOLUTION_PROPOSED, CaseStatus.RESOLVED,
                           CaseStatus.CLOSED, CaseStatus.REOPENED})


def case_number(kind: CaseKind, case_id: int) -> str:
    """A short number customers can quote."""
    return f"{'CMP' if kind == CaseKind.COMPLAINT else 'INQ'}-{case_id:06d}"


@dataclass(frozen=True)
class CasePolicy:
    """The configurable numbers of SVC-3 and CMP-2..CMP-4, in working days."""

    ack_days: int = 1
    answer_days: int = 2
    solution_days: int = 5
    warn_share: float = 0.25  # warn the assignee when this share of the time is left
    escalate_after_days: int = 1  # each further level climbs after this many working days
    forward_days: int = 1  # a department's reply deadline
    progress_days: int = 2  # remind to update the customer this often on an agreed deadline
    follow_up_days: int = 5  # the sales rep's follow-up visit after closing (CMP-4)
    low_score: int = 2  # a survey score at or below this reopens the case
    decision_reminder_days: int = 2  # remind the customer to accept or reject a solution
    business_hours: tuple[int, int] = (9, 18)  # reminders go out within these local hours


# The escalation ladder (CMP-3): who hears of a breach at each level.
LADDER = ("assignee", "service_lead", "executive")


def warning_at(start: datetime, due: datetime, calendar: WorkingCalendar, share: float,
               business_hours: tuple[int, int] = BUSINESS_HOURS) -> datetime | None:
    """When `share` of the business time from `start` to `due` is left; None if there is none.

    Time is counted in business hours of working days only, and the warning is placed inside
    them: walking back through calendar hours put reminders on holidays and at night.
    """
    if not 0 < share < 1:
        return None
    total = calendar.business_time_between(start, due, business_hours)
    if total.total_seconds() <= 0:
        return None
    at = calendar.business_time_before(due, total * share, business_hours)
    return max(at, start)


@dataclass(frozen=True)
class SaidDeadline:
    """A deadline as people say it: a day, and a time of day or the end of the working day."""

    day: date
    at: time | None  # None: by the end of that working day


def as_said(due: datetime, calendar: WorkingCalendar,
            business_hours: tuple[int, int] = BUSINESS_HOURS) -> SaidDeadline:
    """Say a deadline in the company's time zone the way people do.

    A deadline counted in whole working days from a holiday or weekend lands on 00:00 of the
    next working day; in working time that is the end of the last working day before it, so
    "Tue 8 Dec, 00:00" is said "Mon 7 Dec, end of the working day". A deadline at closing
    time is said the same way.
    """
    local = due.astimezone(calendar.tz)
    clock = local.time().replace(second=0, microsecond=0, tzinfo=None)
    if clock == time(0):
        day = local.date() - timedelta(days=1)
        for _ in range(366):  # a holiday block before it: the last working day
            if calendar.is_working_day(day):
                break
            day -= timedelta(days=1)
        return SaidDeadline(day, None)
    if business_hours[1] < 24 and clock == time(business_hours[1]):
        return SaidDeadline(local.date(), None)
    return SaidDeadline(local.date(), clock)


@dataclass(frozen=True)
class TimeLeft:
    """Working time until a deadline, or past it when `overdue`, in whole minutes."""

    overdue: bool
    days: int  # whole 24 h blocks of working time
    hours: int
    minutes: int


def working_left(now: datetime, due: datetime, calendar: WorkingCalendar) -> TimeLeft:
    """Working time from `now` to `due`; past `due` it is overdue, even by under a minute.

    The sign is kept apart from the amounts: split into days and hours, "40 minutes late" used
    to round to 0 days 0 h and read as time left.
    """
    seconds = abs(int(calendar.working_time_between(now, due).total_seconds()))
    days, rest = divmod(seconds // 60, 24 * 60)
    hours, minutes = divmod(rest, 60)
    return TimeLeft(overdue=now >= due, days=days, hours=hours, minutes=minutes)


def check_score(value: str) -> int:
    if value not in {"1", "2", "3", "4", "5"}:
        raise DomainError(N_("Please choose a score from 1 to 5."))
    return int(value)

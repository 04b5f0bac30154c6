"""Repositories of the delivery machinery: inbox (R1), outbox (R2-R4), due work (R10, R11)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DueWork, InboxUpdate, OutboxMessage, RuntimeState
from storage.repositories import core_execute, dialect_insert


def _dialect(session: AsyncSession) -> str:
    bind = session.get_bind()
    return bind.dialect.name


_insert = dialect_insert

# The name this process gives the rows it claims (R11). Tests that play two processes in one
# interpreter pass their own owners.
THIS_PROCESS = uuid.uuid4().hex[:16]
LEASED = (InboxUpdate, OutboxMessage, DueWork)


async def _claim_ids(
    session: AsyncSession,
    id_col: Any,
    lease_col: Any,
    conditions: Sequence[ColumnElement[bool]],
    order_by: Any,
    *,
    now: datetime,
    lease: timedelta,
    limit: int,
    owner: str,
) -> list[Any]:
    """Lease up to `limit` due rows to `owner`; other processes skip them (R11)."""
    stmt = (
        select(id_col)
        .where(*conditions, or_(lease_col.is_(None), lease_col < now))
        .order_by(order_by)
        .limit(limit)
    )
    if _dialect(session) == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = list((await session.execute(stmt)).scalars())
    if ids:
        await session.execute(
            update(id_col.class_).where(id_col.in_(ids))
            .values({lease_col.key: now + lease, "lease_owner": owner})
        )
    return ids


async def renew_leases(session: AsyncSession, owner: str, until: datetime,
                       held: Mapping[str, Sequence[int]]) -> int:
    """Extend the leases `owner` still holds on the given rows (by table); return how many."""
    renewed = 0
    for model in LEASED:
        ids = held.get(model.__tablename__)
        if not ids:
            continue
        key = model.__mapper__.primary_key[0]
        result = await session.execute(
            update(model).where(key.in_(list(ids)), model.lease_owner == owner)
            .values(lease_until=until).execution_options(synchronize_session=False))
        renewed += _rowcount(result)
    return renewed


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


# Settling a row clears its lease and its owner, and only the owner may do it: a process whose
# lease ran out (another one has the row now) changes nothing.
_FREE = {"lease_until": None, "lease_owner": None}

_FINISH_MANY = (
    update(InboxUpdate)
    .where(InboxUpdate.update_id.in_(bindparam("uids", expanding=True)),
           InboxUpdate.lease_owner == bindparam("owner"))
    .values(status="done", processed_at=bindparam("now"), lease_until=None, lease_owner=None)
)


class InboxRepository:
    """Updates stored before they are confirmed to Telegram."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def store(self, payloads: Sequence[dict[str, Any]], now: datetime) -> None:
        """Insert updates, ignoring ones already stored (a replay is a no-op)."""
        if not payloads:
            return
        rows = [{"update_id": p["update_id"], "payload": p, "received_at": now, "status": "new",
                 "attempts": 0} for p in payloads]
        # One statement for any batch size (executemany), so it is compiled once, not per size.
        stmt = _insert(self.session, InboxUpdate).on_conflict_do_nothing(
            index_elements=["update_id"])
        await self.session.execute(stmt, rows)

    async def claim(self, now: datetime, *, lease: timedelta, limit: int,
                    owner: str = THIS_PROCESS) -> list[InboxUpdate]:
        ids = await _claim_ids(
            self.session, InboxUpdate.update_id, InboxUpdate.lease_until,
            [InboxUpdate.status == "new",
             or_(InboxUpdate.next_attempt_at.is_(None), InboxUpdate.next_attempt_at <= now)],
            InboxUpdate.update_id, now=now, lease=lease, limit=limit, owner=owner,
        )
        if not ids:
            return []
        rows = await self.session.execute(
            select(InboxUpdate).where(InboxUpdate.update_id.in_(ids))
            .order_by(InboxUpdate.update_id))
        return list(rows.scalars())

    async def finish_many(self, update_ids: Sequence[int], now: datetime, *,
                          owner: str = THIS_PROCESS) -> int:
        """Mark handled updates done, in one statement; return how many this owner held."""
        result = await core_execute(self.session, _FINISH_MANY,
                                    {"uids": list(update_ids), "now": now, "owner": owner})
        return _rowcount(result)

    async def release(self, update_ids: Sequence[int], *, owner: str = THIS_PROCESS) -> None:
        """Give claimed updates back untouched (shutdown): not a failed try."""
        await self.session.execute(
            update(InboxUpdate).where(InboxUpdate.update_id.in_(list(update_ids)),
                                      InboxUpdate.lease_owner == owner).values(_FREE))

    async def fail(self, update_id: int, error: str, now: datetime, *,
                   retry_at: datetime | None, owner: str = THIS_PROCESS) -> bool:
        """Count a failed try; schedule the next or, with no retry_at, dead-letter it."""
        result = await self.session.execute(
            update(InboxUpdate).where(InboxUpdate.update_id == update_id,
                                      InboxUpdate.lease_owner == owner).values(
                attempts=InboxUpdate.attempts + 1, last_error=error[:2000], **_FREE,
                next_attempt_at=retry_at, status="new" if retry_at else "dead",
                processed_at=None if retry_at else now))
        return _rowcount(result) == 1

    async def next_due_at(self) -> datetime | None:
        return (await self.session.execute(
            select(func.min(InboxUpdate.next_attempt_at)).where(InboxUpdate.status == "new")
        )).scalar_one_or_none()

    async def counts(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(InboxUpdate.status, func.count()).group_by(InboxUpdate.status))
        return {status: n for status, n in rows}

    async def oldest_waiting(self) -> datetime | None:
        return (await self.session.execute(
            select(func.min(InboxUpdate.received_at)).where(InboxUpdate.status == "new")
        )).scalar_one_or_none()


class OutboxRepository:
    """Messages written with the change that caused them, sent later by the relay."""

    # How many messages this process has queued: the relay is woken after an update only when
    # this moved, not after every update (a claim query per reply would halve the read path).
    queued = 0

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, *, key: str, chat_id: int, payload: dict[str, Any], now: datetime,
                  method: str = "sendMessage", not_before: datetime | None = None) -> bool:
        """Queue a message once per idempotency key (R3); False if the key was used already."""
        stmt = _insert(self.session, OutboxMessage).values(
            idempotency_key=key[:200], chat_id=chat_id, method=method, payload=payload,
            status="pending", attempts=0, created_at=now, next_attempt_at=not_before or now,
        ).on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(OutboxMessage.id)
        OutboxRepository.queued += 1
        return (await self.session.execute(stmt)).first() is not None

    async def claim(self, now: datetime, *, lease: timedelta, limit: int,
                    exclude_chats: Sequence[int] = (), private_depth: int = 10,
                    group_depth: int = 3, owner: str = THIS_PROCESS) -> list[OutboxMessage]:
        """Lease due messages, the chats with the longest backlog first (R5).

        A chat that must drain slowly (a group: 20 a minute) decides how long a bulk takes,
        so it starts first; each chat gets at most its queue depth per claim.
        """
        conditions = [OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now,
                      or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now)]
        if exclude_chats:
            conditions.append(OutboxMessage.chat_id.not_in(list(exclude_chats)))
        ranked = (
            select(
                OutboxMessage.id, OutboxMessage.chat_id,
                func.count().over(partition_by=OutboxMessage.chat_id).label("backlog"),
                func.row_number().over(partition_by=OutboxMessage.chat_id,
                                       order_by=OutboxMessage.id).label("rn"),
            ).where(*conditions).subquery()
        )
        depth = case((ranked.c.chat_id < 0, group_depth), else_=private_depth)
        candidates = list((await self.session.execute(
            select(ranked.c.id).where(ranked.c.rn <= depth)
            .order_by(ranked.c.backlog.desc(), ranked.c.id).limit(limit))).scalars())
        if not candidates:
            return []
        ids = await _claim_ids(
            self.session, OutboxMessage.id, OutboxMessage.lease_until,
            [OutboxMessage.id.in_(candidates), OutboxMessage.status == "pending"],
            OutboxMessage.id, now=now, lease=lease, limit=limit, owner=owner,
        )
        if not ids:
            return []
        rows = await self.session.execute(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))
        rank = {row_id: n for n, row_id in enumerate(candidates)}  # longest backlog first
        return sorted(rows.scalars(), key=lambda row: rank[row.id])

    async def release(self, ids: Sequence[int], *, owner: str = THIS_PROCESS) -> None:
        """Give claimed rows back unsent (shutdown, or a chat's queue was full)."""
        await self.session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(list(ids)),
                                        OutboxMessage.lease_owner == owner,
                                        OutboxMessage.status == "pending").values(_FREE))

    async def mark_sending(self, message_id: int, *, owner: str = THIS_PROCESS) -> bool:
        """Record that the request is about to leave: after a crash it is uncertain (R4).

        False when this process no longer holds the row (its lease ran out and another
        process took it): then it must not be sent from here.
        """
        result = await self.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id,
                                        OutboxMessage.status == "pending",
                                        OutboxMessage.lease_owner == owner)
            .values(status="sending"))
        return _rowcount(result) == 1

    async def settle_stuck(self, now: datetime) -> list[OutboxMessage]:
        """Mark uncertain the sends that began in a process that is gone (its lease ran out
        or was voided at start-up), and return them; a live owner renews its leases, so its
        sends in progress are never taken for stuck."""
        stuck = [OutboxMessage.status == "sending",
                 or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now)]
        ids = list((await self.session.execute(
            select(OutboxMessage.id).where(*stuck))).scalars())
        if not ids:
            return []
        result = await self.session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(ids), *stuck).values(
                status="uncertain", attempts=OutboxMessage.attempts + 1,
                last_error="the process stopped during the send", **_FREE)
            .returning(OutboxMessage.id))
        settled = list(result.scalars())
        rows = await self.session.execute(
            select(OutboxMessage).where(OutboxMessage.id.in_(settled)))
        return list(rows.scalars())

    async def settle(self, message_id: int, *, status: str, now: datetime,
                     telegram_message_id: int | None = None, error: str | None = None,
                     retry_at: datetime | None = None, owner: str = THIS_PROCESS) -> bool:
        """Record how a send ended: sent, pending again (retry_at), uncertain or failed.
        False if this process no longer held the row (nothing is changed then)."""
        values: dict[str, Any] = {**_FREE, "status": status,
                                  "attempts": OutboxMessage.attempts + 1}
        if status == "sent":
            values.update(sent_at=now, telegram_message_id=telegram_message_id)
        if error is not None:
            values["last_error"] = error[:2000]
        if retry_at is not None:
            values["next_attempt_at"] = retry_at
        result = await self.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id,
                                        OutboxMessage.lease_owner == owner).values(values))
        return _rowcount(result) == 1

    async def next_due_at(self) -> datetime | None:
        return (await self.session.execute(
            select(func.min(OutboxMessage.next_attempt_at))
            .where(OutboxMessage.status == "pending"))).scalar_one_or_none()

    async def counts(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
        return {status: n for status, n in rows}

    async def by_key(self, key: str) -> OutboxMessage | None:
        return (await self.session.execute(
            select(OutboxMessage).where(OutboxMessage.idempotency_key == key)
        )).scalar_one_or_none()


class DueWorkRepository:
    """Deadlines to act on, claimed with a lease so each is handled once (R10, R11)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def schedule(self, *, key: str, kind: str, due_at: datetime, subject_id: str = "",
                       payload: dict[str, Any] | None = None) -> bool:
        """Add a deadline once per key; False if it already exists."""
        stmt = _insert(self.session, DueWork).values(
            key=key[:200], kind=kind, subject_id=subject_id, payload=payload or {},
            due_at=due_at, status="pending", attempts=0, late=False,
        ).on_conflict_do_nothing(index_elements=["key"]).returning(DueWork.id)
        return (await self.session.execute(stmt)).first() is not None

    async def cancel(self, key: str) -> None:
        await self.session.execute(
            update(DueWork).where(DueWork.key == key, DueWork.status == "pending")
            .values(status="cancelled"))

    async def claim(self, kinds: Sequence[str], now: datetime, *, lease: timedelta,
                    limit: int, owner: str = THIS_PROCESS) -> list[DueWork]:
        ids = await _claim_ids(
            self.session, DueWork.id, DueWork.lease_until,
            [DueWork.status == "pending", DueWork.due_at <= now, DueWork.kind.in_(list(kinds))],
            DueWork.due_at, now=now, lease=lease, limit=limit, owner=owner,
        )
        if not ids:
            return []
        rows = await self.session.execute(
            select(DueWork).where(DueWork.id.in_(ids)).order_by(DueWork.due_at, DueWork.id))
        return list(rows.scalars())

    async def complete(self, work_id: int, now: datetime, *, late: bool,
                       owner: str = THIS_PROCESS) -> bool:
        """Mark done if still pending and still held by `owner` (a conditional update: a
        second finisher, or one whose lease ran out, changes nothing)."""
        result = await self.session.execute(
            update(DueWork).where(DueWork.id == work_id, DueWork.status == "pending",
                                  DueWork.lease_owner == owner)
            .values(status="done", done_at=now, late=late, **_FREE,
                    attempts=DueWork.attempts + 1).returning(DueWork.id))
        return result.first() is not None

    async def failed(self, work_id: int, error: str, *, retry_at: datetime,
                     owner: str = THIS_PROCESS) -> None:
        """Count a failed try; nobody takes it again before `retry_at`."""
        await self.session.execute(
            update(DueWork).where(DueWork.id == work_id, DueWork.lease_owner == owner).values(
                last_error=error[:2000], lease_until=retry_at, lease_owner=None,
                attempts=DueWork.attempts + 1))

    async def get_by_key(self, key: str) -> DueWork | None:
        return (await self.session.execute(
            select(DueWork).where(DueWork.key == key))).scalar_one_or_none()


class RuntimeStateRepository:
    """Key-value facts about the running bot."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, key: str) -> dict[str, Any] | None:
        row = await self.session.get(RuntimeState, key)
        return dict(row.value) if row is not None else None

    async def put(self, key: str, value: dict[str, Any], now: datetime) -> None:
        row = await self.session.get(RuntimeState, key)
        if row is None:
            self.session.add(RuntimeState(key=key, value=value, updated_at=now))
        else:
            row.value = value
            row.updated_at = now


async def release_all_leases(session: AsyncSession) -> None:
    """Void every lease: for a single-process database at start-up, after a crash."""
    for model in LEASED:
        await session.execute(update(model).where(model.lease_owner.is_not(None))
                              .values(_FREE))

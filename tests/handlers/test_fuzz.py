"""R20: any text, file, sticker, command or button in any state gets a clear answer."""

from __future__ import annotations

import random
from datetime import datetime

import pytest
from sqlalchemy import select

from storage.models import InboxUpdate
from tests.support.harness import running_bot
from tests.support.world import ACME_CHEN, SALES_WANG, STRANGER, invite_token, seed

WORDS = ["/order", "/orders", "/start", "/invite", "/language", "/help", "/cancel", "/x",
         "PO-1001", "GX-1", "訂單", "😀", "' OR 1=1 --", "<b>", "{name}", "%s", "\u202e", " ",
         "ACME", "9" * 80, "/order@dcm_demo_bot", "ord:o:1"]
BUTTONS = ["ord:p:1", "ord:p:99999", "ord:o:1", "ord:o:999", "lang:en", "lang:xx", "", "🙂" * 16,
           "adm:ok:1", "ord:p:-1"]
ATTACHMENTS = [
    {"sticker": {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1,
                 "height": 1, "is_animated": False, "is_video": False}},
    {"document": {"file_id": "d", "file_unique_id": "d", "file_name": "x.exe",
                  "file_size": 99_000_000}},
    {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]},
    {"location": {"latitude": 25.0, "longitude": 121.5}},
    {"contact": {"phone_number": "+886", "first_name": "X"}},
]


@pytest.fixture
async def world(uow_factory, tmp_path, now: datetime):
    await seed(uow_factory, tmp_path, now)
    return uow_factory


async def test_random_input_always_gets_a_translated_answer(world, db_url, now):
    rng = random.Random(20261127)
    token = await invite_token(world, "ACME", now)
    async with running_bot(db_url, lambda: now) as h:
        await h.say(ACME_CHEN, f"/start {token}")
        people = [ACME_CHEN, SALES_WANG, STRANGER]
        for _ in range(45):
            who = rng.choice(people)
            kind = rng.random()
            if kind < 0.6:
                text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))
                replies = await h.say(who, text)
                assert replies[0]["text"].strip()
            elif kind < 0.8:
                before = len(h.api.sent_to(who.id))
                await h.api.send_message_body(who, **rng.choice(ATTACHMENTS))
                await h.api.wait_for(lambda w=who, b=before: len(h.api.sent_to(w.id)) > b)
            else:
                anchor = (h.api.sent_to(who.id) or [{"message_id": 1, "date": 0,
                                                     "chat": who.private_chat()}])[-1]
                answer = await h.press(who, anchor, rng.choice(BUTTONS))
                assert "callback_query_id" in answer
        texts = [m["text"] for p in people for m in h.api.sent_to(p.id)]
        assert not any("went wrong on our side" in t or "出了問題" in t for t in texts)
        presses = [c for c in h.api.calls if c.method == "answerCallbackQuery"]
        assert len({c.params["callback_query_id"] for c in presses}) == len(presses)
    async with world() as uow:
        statuses = set((await uow.session.execute(select(InboxUpdate.status))).scalars())
        assert statuses == {"done"}

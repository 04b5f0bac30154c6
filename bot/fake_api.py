"""A fake Telegram Bot API server on 127.0.0.1 for the demo, the tests and the benchmarks.

It speaks real HTTP, so the real bot runs against it unmodified (custom base URL). It records
every call, queues updates that "users" send, and can inject 429, 5xx, timeouts, 403 and 409.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import mimetypes
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

JSON_FIELDS = {
    "reply_markup", "entities", "caption_entities", "commands", "scope", "allowed_updates",
    "link_preview_options", "reply_parameters", "media",
}
INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "user_id"}


@dataclass(frozen=True)
class Persona:
    """A Telegram user the tests or the demo act as."""

    id: int
    first_name: str
    language_code: str | None = None
    username: str | None = None
    last_name: str | None = None

    def as_user(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("language_code", "username", "last_name"):
            if getattr(self, key):
                user[key] = getattr(self, key)
        return user

    def private_chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    at: float
    result: Any = None


@dataclass
class Fault:
    """An error to answer the next matching calls with."""

    method: str
    # "429", "500", "403", "409", "timeout" (hold, never deliver), "delivered_then_hang"
    # (deliver, then hold the answer: the caller cannot know it arrived)
    kind: str
    count: int = 1
    retry_after: int = 1
    delay: float = 0.0
    chat_id: int | None = None  # only calls for this chat


@dataclass
class FakeBotApi:
    """The server state; start() binds to 127.0.0.1 on a free port."""

    bot_id: int = 123456789
    bot_username: str = "dcm_demo_bot"
    host: str = "127.0.0.1"
    port: int = 0
    calls: list[Call] = field(default_factory=list)
    record_calls: bool = True
    files_dir: Path | None = None  # where files the bot uploads are kept (the demo shows them)
    files: dict[str, Path] = field(default_factory=dict)  # file_id -> a file users sent
    on_call: Callable[[Call], None] | None = None
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    _faults: list[Fault] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _new_update: asyncio.Condition | None = None
    _new_call: asyncio.Condition | None = None
    answered: int = 0

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> str:
        """Start serving and return the root URL (for DCM_TELEGRAM_API_URL)."""
        self._new_update = asyncio.Condition()
        self._new_call = asyncio.Condition()
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/file/bot{token}/{path:.*}", self._file)
        # A held ("timeout") request must not delay shutdown by aiohttp's default 60 s.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server: Any = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- what users do --------------------------------------------------------------------
    async def push_update(self, body: dict[str, Any], update_id: int | None = None) -> int:
        """Queue a raw update and wake the long poll; a given update_id replays an old one."""
        if update_id is None:
            update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **body})
        assert self._new_update is not None
        async with self._new_update:
            self._new_update.notify_all()
        return update_id

    def continue_after(self, update_id: int) -> None:
        """Number new updates after `update_id`, as Telegram would after a restart."""
        self._update_ids = itertools.count(update_id + 1)

    async def send_text(self, user: Persona, text: str,
                        chat: dict[str, Any] | None = None) -> int:
        """The user sends a text (or /command) in their private chat with the bot, or in
        `chat` (a group the bot is in)."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat or user.private_chat(),
            "from": user.as_user(),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(command)}]
        return await self.push_update({"message": message})

    async def send_message_body(self, user: Persona, **content: Any) -> int:
        """The user sends something other than text (sticker, document, photo...)."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": user.private_chat(),
            "from": user.as_user(),
            **content,
        }
        return await self.push_update({"message": message})

    async def press(self, user: Persona, message: dict[str, Any], data: str) -> int:
        """The user presses an inline button (any data: forged presses are allowed)."""
        query = {
            "id": str(next(self._message_ids)),
            "from": user.as_user(),
            "chat_instance": str(user.id),
            "message": message,
            "data": data,
        }
        return await self.push_update({"callback_query": query})

    # -- what the bot did -----------------------------------------------------------------
    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        """Messages the bot sent (or edited) in a chat, oldest first, as their last state."""
        return [m for (c, _), m in sorted(self._messages.items()) if c == chat_id]

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        return self._messages[(chat_id, message_id)]

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 10.0
    ) -> Any:
        """Wait until predicate() is truthy, re-checking after every call the bot makes."""
        assert self._new_call is not None
        deadline = time.monotonic() + timeout
        async with self._new_call:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the bot did not do what was expected in time")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._new_call.wait(), left)

    def inject(self, method: str, kind: str, *, count: int = 1, retry_after: int = 1,
               delay: float = 0.0, chat_id: int | None = None) -> None:
        """Answer the next `count` calls of `method` ("*" for any) with an error."""
        self._faults.append(Fault(method, kind, count, retry_after, delay, chat_id))

    # -- HTTP -----------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            body = await request.json() if request.can_read_body else {}
            params.update(body or {})
        elif request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, str):
                    params[key] = value
                elif isinstance(value, web.FileField):  # kept, so the demo can show it
                    params[key] = "<file>"
                    params[f"{key}_file"] = self._keep(value.filename or key,
                                                       value.file.read())
                else:
                    params[key] = "<file>"
        for key in list(params):
            value = params[key]
            if key in JSON_FIELDS and isinstance(value, str):
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(value)
            elif key in INT_FIELDS and isinstance(value, str):
                with contextlib.suppress(ValueError):
                    params[key] = int(value)
            elif value in ("true", "false") and isinstance(value, str):
                params[key] = value == "true"
        return params

    def inject_every(self, method: str, kind: str, every: int, *, retry_after: int = 1) -> None:
        """Answer every `every`-th call of `method` with an error, for as long as it runs."""
        self._every = (method, kind, every, retry_after)
        self._every_count = 0

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        every = getattr(self, "_every", None)
        if every is not None and every[0] == method:
            self._every_count += 1
            if self._every_count % every[2] == 0:
                return Fault(method, every[1], 1, every[3])
        for fault in self._faults:
            if fault.chat_id is not None and params.get("chat_id") != fault.chat_id:
                continue
            if fault.count > 0 and fault.method in (method, "*"):
                fault.count -= 1
                if fault.count == 0:
                    self._faults.remove(fault)
                return fault
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params = await self._params(request)
        fault = self._take_fault(method, params)
        if fault is not None and fault.kind != "delivered_then_hang":
            return await self._fault(fault, method, params)
        handler = getattr(self, "_m_" + method, None)
        if handler is None:
            result: Any = True
        else:
            try:
                result = await handler(params)
            except _ApiError as exc:
                return _error(exc.code, exc.description)
        call = Call(method, params, time.monotonic(), result)
        if method != "getUpdates":
            if self.record_calls:
                self.calls.append(call)
            if self.on_call is not None:
                self.on_call(call)
            if method in ("sendMessage", "editMessageText", "sendPhoto", "sendDocument"):
                self.answered += 1
            assert self._new_call is not None
            async with self._new_call:
                self._new_call.notify_all()
        if fault is not None:  # delivered_then_hang: it arrived, but the caller never hears
            await asyncio.sleep(3600)
        return web.json_response({"ok": True, "result": result})

    async def _fault(self, fault: Fault, method: str, params: dict[str, Any]) -> web.Response:
        if self.record_calls:
            self.calls.append(Call(method, params, time.monotonic(), f"fault:{fault.kind}"))
        assert self._new_call is not None
        async with self._new_call:
            self._new_call.notify_all()
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.kind == "timeout":
            await asyncio.sleep(3600)
        codes = {"429": 429, "500": 500, "502": 502, "403": 403, "409": 409, "400": 400}
        code = codes.get(fault.kind, 500)
        description = {
            429: f"Too Many Requests: retry after {fault.retry_after}",
            403: "Forbidden: bot was blocked by the user",
            409: "Conflict: terminated by other getUpdates request; make sure that only one "
                 "bot instance is running",
            400: "Bad Request: message is not modified",
        }.get(code, "Internal Server Error")
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if code == 429:
            body["parameters"] = {"retry_after": fault.retry_after}
        return web.json_response(body, status=code)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        kept = self.files.get(path.rsplit("/", 1)[-1])
        if kept is not None:
            return web.Response(body=kept.read_bytes())
        return web.Response(body=b"fake file " + path.encode())

    def _keep(self, filename: str, content: bytes) -> str:
        """Keep an uploaded file (in files_dir when set); return where it is, or its size."""
        if self.files_dir is None:
            return f"{len(content)} bytes"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^\w.\-]+", "_", Path(filename).name) or "file"
        for magic, suffix in ((b"\x89PNG", ".png"), (b"%PDF", ".pdf"), (b"\xff\xd8", ".jpg")):
            if content.startswith(magic) and not safe.lower().endswith(suffix):
                safe = Path(safe).stem + suffix  # a viewer needs the right extension
        path = self.files_dir / f"{next(self._message_ids)}-{safe}"
        path.write_bytes(content)
        return str(path)

    async def send_file(self, user: Persona, path: Path, caption: str = "") -> int:
        """The user sends a file as a document (the bot downloads it with getFile)."""
        file_id = f"upload{next(self._message_ids)}"
        self.files[file_id] = path
        document = {"file_id": file_id, "file_unique_id": file_id, "file_name": path.name,
                    "file_size": len(path.read_bytes()),  # noqa: ASYNC240 (a test's file)
                    "mime_type": mimetypes.guess_type(path.name)[0]
                    or "application/octet-stream"}
        content: dict[str, Any] = {"document": document}
        if caption:
            content["caption"] = caption
        return await self.send_message_body(user, **content)

    # -- Bot API methods ------------------------------------------------------------------
    def _bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "DCM Assistant",
                "username": self.bot_username, "can_join_groups": True,
                "can_read_all_group_messages": False, "supports_inline_queries": False}

    async def _m_getMe(self, params: dict[str, Any]) -> Any:
        return self._bot_user()

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if offset:
            # Telegram forgets updates once a higher offset confirms them.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        assert self._new_update is not None
        deadline = time.monotonic() + timeout
        async with self._new_update:
            while not self._updates:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._new_update.wait(), left)
        return self._updates[:limit]

    def _store(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise _ApiError(400, "Bad Request: chat not found")
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group",
                     "first_name": "user"},
            "from": self._bot_user(),
            **content,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self._messages[(chat_id, message["message_id"])] = message
        return message

    async def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        text = params.get("text")
        if not text:
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        return self._store(params, text=text)

    async def _m_sendPhoto(self, params: dict[str, Any]) -> Any:
        return self._store(params, photo=[{"file_id": "photo1", "file_unique_id": "p1",
                                           "width": 800, "height": 600}],
                           caption=params.get("caption", ""))

    async def _m_sendDocument(self, params: dict[str, Any]) -> Any:
        return self._store(params, document={"file_id": "doc1", "file_unique_id": "d1"},
                           caption=params.get("caption", ""))

    async def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        key = (params.get("chat_id"), params.get("message_id"))
        message = self._messages.get(key)  # type: ignore[arg-type]
        if message is None:
            raise _ApiError(400, "Bad Request: message to edit not found")
        message["text"] = params.get("text", "")
        message["edit_date"] = int(time.time())
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        else:
            message.pop("reply_markup", None)
        return message

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        key = (params.get("chat_id"), params.get("message_id"))
        message = self._messages.get(key)  # type: ignore[arg-type]
        if message is None:
            raise _ApiError(400, "Bad Request: message to edit not found")
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        else:
            message.pop("reply_markup", None)
        return message

    async def _m_getFile(self, params: dict[str, Any]) -> Any:
        file_id = params.get("file_id", "")
        kept = self.files.get(file_id)
        size = kept.stat().st_size if kept is not None else 10
        return {"file_id": file_id, "file_unique_id": file_id, "file_size": size,
                "file_path": f"documents/{file_id}"}

    async def _m_getMyCommands(self, params: dict[str, Any]) -> Any:
        return []


class _ApiError(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def _error(code: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": code, "description": description},
                             status=code)

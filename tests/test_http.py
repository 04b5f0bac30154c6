"""The aiohttp request backend keeps R4's distinction: a timeout before the request left is
safe to retry, one after it may have delivered the message and must not be retried blindly."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.http import AiohttpRequest, sent_nothing


@pytest.fixture
async def slow_server() -> AsyncIterator[str]:
    """A server that answers /fast at once and holds /slow for a minute."""
    async def fast(request: web.Request) -> web.Response:
        form = await request.post()
        return web.json_response({"ok": True, "got": {k: str(v) for k, v in form.items()}})

    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(60)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/fast", fast)
    app.router.add_post("/slow", slow)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


def _data(**values: str) -> RequestData:
    return RequestData([RequestParameter(k, v, input_files=None) for k, v in values.items()])


async def test_a_request_carries_its_parameters(slow_server: str) -> None:
    request = AiohttpRequest()
    await request.initialize()
    try:
        status, body = await request.do_request(f"{slow_server}/fast", "POST",
                                                _data(chat_id="42", text="你好"))
    finally:
        await request.shutdown()
    assert status == 200 and '"text": "\\u4f60\\u597d"' in body.decode()


async def test_a_read_timeout_may_have_delivered_so_it_is_not_safe(slow_server: str) -> None:
    request = AiohttpRequest(read_timeout=0.3, write_timeout=0.1)
    await request.initialize()
    try:
        with pytest.raises(TimedOut) as caught:
            await request.do_request(f"{slow_server}/slow", "POST", _data(text="x"))
    finally:
        await request.shutdown()
    assert not sent_nothing(caught.value)


async def test_waiting_for_a_free_connection_is_safe_to_retry(slow_server: str) -> None:
    request = AiohttpRequest(connection_pool_size=1, read_timeout=5, pool_timeout=0.2,
                             connect_timeout=0.1)
    await request.initialize()
    hanging = asyncio.create_task(request.do_request(f"{slow_server}/slow", "POST"))
    await asyncio.sleep(0.2)  # it holds the only connection
    try:
        with pytest.raises(TimedOut) as caught:
            await request.do_request(f"{slow_server}/fast", "POST", _data(text="x"))
    finally:
        hanging.cancel()
        await request.shutdown()
    assert sent_nothing(caught.value)


async def test_a_refused_connection_is_a_network_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as caught:
            await request.do_request(f"http://127.0.0.1:{port}/x", "POST")
    finally:
        await request.shutdown()
    assert not isinstance(caught.value, TimedOut)

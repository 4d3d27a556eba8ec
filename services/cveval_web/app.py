"""Composition root of the web process: load the assets, serve them until SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from cveval_web import assets
from cveval_web.server import handler
from cveval_web.settings import WebSettings

log = logging.getLogger(__name__)


async def serve(settings: WebSettings) -> None:
    loaded = assets.load()
    runner = web.ServerRunner(handler(loaded), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, backlog=256)
    await site.start()
    log.info("web app on http://%s:%s (%d files)", settings.host, settings.port, len(loaded))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()

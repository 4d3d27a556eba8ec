"""The command line every service process shares: `serve` (default) or `migrate`."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from cveval_kit.logs import configure_logging
from cveval_kit.migrations import upgrade
from cveval_kit.settings import Settings, get_settings
from cveval_kit.telemetry import configure_tracing, shutdown_tracing

log = logging.getLogger(__name__)


def run_cli(name: str, serve: Callable[[Settings], Coroutine[Any, Any, None]], migrations: Path | None) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m cveval_{name}")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate"])
    args = parser.parse_args()
    settings = get_settings()
    configure_logging(name, settings.log_level)
    if args.command == "migrate":
        if migrations is None:
            log.info("%s has no tables to migrate", name)
            return
        from cveval_kit.db import database_url

        upgrade(migrations, database_url(settings))
        log.info("%s schema is up to date", name)
        return
    configure_tracing(f"cveval-{name}")
    try:
        asyncio.run(serve(settings))
    finally:
        shutdown_tracing()

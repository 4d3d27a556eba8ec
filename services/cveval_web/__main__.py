"""`python -m cveval_web`: serve the web app's static files."""

import asyncio

from cveval_kit.logs import configure_logging
from cveval_web.app import serve
from cveval_web.settings import WebSettings

settings = WebSettings()
configure_logging("web", settings.log_level)
asyncio.run(serve(settings))

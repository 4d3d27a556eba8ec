"""Follow a batch with the async client and export its ranking as CSV.

    python examples/watch_async.py <batch id> ranking.csv
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from cveval_client import AsyncClient


async def main(batch_id: str, out: str) -> bytes:
    async with AsyncClient(os.environ.get("CVEVAL_URL", "http://127.0.0.1:8080"),
                           os.environ["CVEVAL_API_KEY"]) as client:
        async for batch in client.watch_batch(batch_id):
            print(batch.progress, file=sys.stderr)
        return await client.export_ranking(batch.vacancy_id, "csv", batch_id=batch_id)


if __name__ == "__main__":
    Path(sys.argv[2]).write_bytes(asyncio.run(main(sys.argv[1], sys.argv[2])))

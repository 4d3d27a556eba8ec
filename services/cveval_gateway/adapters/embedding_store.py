"""PostgreSQL storage of cached embeddings: one query to read a batch, one statement to write one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import LargeBinary, String, any_, bindparam, delete, func, select, text, tuple_
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from cveval_gateway.adapters.tables import cache_owners, embeddings, forgotten_owners
from cveval_gateway.cache.embeddings import Embedded
from cveval_gateway.cache.memory import owner_digest


class EmbeddingStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def get_many(self, model: str, keys: Sequence[bytes]) -> dict[bytes, Embedded]:
        # `= ANY(:keys)` binds one array parameter whatever the batch size, so the statement text (and the
        # server's prepared-statement cache) stays the same, unlike an IN list of N parameters.
        statement = select(
            embeddings.c.text_sha256,
            embeddings.c.answer_model,
            embeddings.c.provider,
            embeddings.c.dims,
            embeddings.c.vector,
        ).where(
            embeddings.c.model == model,
            embeddings.c.text_sha256 == any_(bindparam("keys", list(keys), type_=ARRAY(LargeBinary))),
        )
        async with self.engine.connect() as connection:
            rows = (await connection.execute(statement)).all()
        found: dict[bytes, Embedded] = {}
        for key, answer_model, provider, dims, vector in rows:
            vector = bytes(vector)
            if dims > 0 and len(vector) == 4 * dims:  # a truncated row is a miss, never a short vector
                found[bytes(key)] = Embedded(vector, answer_model, provider)
        return found

    async def put_many(self, model: str, entries: Mapping[bytes, Embedded]) -> None:
        if not entries:
            return
        rows = [
            {
                "model": model,
                "text_sha256": key,
                "answer_model": entry.model,
                "provider": entry.provider,
                "dims": entry.dims,
                "vector": entry.vector,
            }
            for key, entry in entries.items()
        ]
        # One multi-row INSERT; a row another replica wrote first is the same vector, so it is left alone.
        statement = insert(embeddings).values(rows).on_conflict_do_nothing(index_elements=["model", "text_sha256"])
        async with self.engine.begin() as connection:
            await connection.execute(statement)

    async def tag(self, model: str, keys: Sequence[bytes], owners: Sequence[str]) -> None:
        rows = [{"owner": o, "model": model, "text_sha256": k} for o in owners for k in keys]
        if not rows:
            return
        statement = insert(cache_owners).values(rows).on_conflict_do_nothing()
        async with self.engine.begin() as connection:
            await connection.execute(statement)

    async def forget(self, owners: Sequence[str]) -> list[tuple[str, bytes]]:
        """Delete the embeddings tagged with any of these owners, and every tag of those keys; the pairs deleted."""
        owned = bindparam("owners", list(owners), type_=ARRAY(String))
        async with self.engine.begin() as connection:
            tagged = (
                await connection.execute(
                    delete(cache_owners)
                    .where(cache_owners.c.owner == any_(owned))
                    .returning(cache_owners.c.model, cache_owners.c.text_sha256)
                )
            ).all()
            pairs = sorted({(str(m), bytes(k)) for m, k in tagged})
            if pairs:
                await connection.execute(
                    delete(embeddings).where(tuple_(embeddings.c.model, embeddings.c.text_sha256).in_(pairs))
                )
                # Other owners' tags of the same keys now point at nothing: a re-embedding tags them again.
                await connection.execute(
                    delete(cache_owners).where(tuple_(cache_owners.c.model, cache_owners.c.text_sha256).in_(pairs))
                )
            # Other replicas hold memory copies too: they read this log and drop theirs (ForgetFeed).
            digests = [{"owner_digest": owner_digest(o)} for o in owners]
            await connection.execute(insert(forgotten_owners).values(digests))
        return pairs

    async def last_forgotten(self) -> int:
        """The id of the newest forgotten-owner row, 0 when there is none."""
        newest = select(func.coalesce(func.max(forgotten_owners.c.id), 0))
        async with self.engine.connect() as connection:
            return int((await connection.execute(newest)).scalar_one())

    async def forgotten_after(self, after: int, limit: int) -> list[tuple[int, str]]:
        """Forgotten owners' digests with an id above `after`, oldest first, at most `limit`."""
        statement = (
            select(forgotten_owners.c.id, forgotten_owners.c.owner_digest)
            .where(forgotten_owners.c.id > after)
            .order_by(forgotten_owners.c.id)
            .limit(limit)
        )
        async with self.engine.connect() as connection:
            return [(int(i), str(o)) for i, o in (await connection.execute(statement)).all()]

    async def prune_forgotten(self, older_than_s: float) -> int:
        """Delete forgotten-owner rows older than this; how many."""
        cutoff = func.now() - text("make_interval(secs => :keep)").bindparams(keep=older_than_s)
        async with self.engine.begin() as connection:
            result = await connection.execute(delete(forgotten_owners).where(forgotten_owners.c.forgotten_at < cutoff))
        return int(result.rowcount or 0)

    async def aclose(self) -> None:
        await self.engine.dispose()

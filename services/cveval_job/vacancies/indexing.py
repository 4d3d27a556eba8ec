"""Embedding of a vacancy's reference chunks once, when the vacancy is stored, through the ai-gateway."""

from __future__ import annotations

import logging

from cveval_job.domain.retrieval import RetrievalEmpty
from cveval_job.scoring.model import Vacancy
from cveval_job.scoring.pipeline import Embedder, embed_reference
from cveval_job.vacancies.ports import VacancyStore
from cveval_kit import errors

log = logging.getLogger(__name__)


class ReferenceIndexer:
    def __init__(self, embedder: Embedder, store: VacancyStore) -> None:
        self.embedder = embedder
        self.store = store

    async def index(self, vacancy: Vacancy) -> bool:
        """Embed and store the vacancy's reference chunks unless some are stored; False (logged) when that fails.

        The embedding itself is the evaluation pipeline's (scoring/pipeline.py, `embed_reference`), so the chunks
        stored here are exactly the ones an evaluation would embed. Best effort on purpose: a vacancy stays usable
        without stored chunks, because the pipeline embeds them lazily on first use. So an unavailable ai-gateway
        never fails or blocks the creation of a vacancy; it only moves the embedding cost to the first evaluation.
        """
        try:
            if await self.store.has_chunks(vacancy.id):
                return True
            model, rows = await embed_reference(self.embedder, vacancy)
            await self.store.save_chunks(vacancy.id, model, rows)
        except RetrievalEmpty:
            return False
        except errors.ServiceError as exc:  # the ai-gateway is unavailable, refused the texts, or switched models
            log.warning("vacancy %s: reference chunks not embedded (%s); the worker will on first use", vacancy.id, exc)
            return False
        except Exception:
            log.warning("vacancy %s: reference chunks not embedded; the worker will on first use", vacancy.id,
                        exc_info=True)
            return False
        log.info("embedded %d reference chunks of vacancy %s with %s", len(rows), vacancy.id, model)
        return True

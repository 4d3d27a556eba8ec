"""Running an in-process encoder (MiniLM, the multilingual encoder) off the event loop, within the caller's time.

Both offline embedders own one inference thread and answer the Provider API the same way: a closed embedder is
unavailable, a run past the deadline is a timeout, and any failure of the model's own libraries is reported as the
engine failing, never as a stack trace.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from cveval_gateway.providers.base import ProviderError, ProviderTimedOut, ProviderUnavailable

Encode = Callable[[Sequence[str]], tuple[np.ndarray, int]]


async def encode_off_loop(
    executor: ThreadPoolExecutor | None,
    encode: Encode,
    texts: Sequence[str],
    timeout: float,  # noqa: ASYNC109  (the Provider API hands each call its deadline)
    label: str,
) -> tuple[np.ndarray, int]:
    """`encode(texts)` on `executor`; `label` names the embedder in the error of a closed one."""
    if executor is None:
        raise ProviderUnavailable(f"the {label} embedder is closed")
    future = asyncio.get_running_loop().run_in_executor(executor, encode, list(texts))
    try:
        return await asyncio.wait_for(future, timeout)
    except TimeoutError:
        # A run already started finishes in its thread; one still queued is cancelled by wait_for.
        raise ProviderTimedOut(f"offline embedding did not finish within {timeout:g}s") from None
    except ProviderError:
        raise
    except Exception as exc:
        # A broken model file, or an onnxruntime, tokenizers or numpy failure (their exceptions derive from
        # Exception only): the caller learns the engine failed, never a stack trace.
        raise ProviderUnavailable(f"offline embedding failed: {type(exc).__name__}") from exc

"""The extraction pool: a file that breaks the CPU, memory or wall-clock budget kills only its worker, answers
DOCUMENT_TOO_COMPLEX, and the pool goes on serving."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from cveval_upload.adapters.extraction_pool import SandboxedPreparer
from cveval_upload.domain.errors import CorruptDocument, DocumentTooComplex, FileTooLarge
from cveval_upload.settings import UploadSettings
from tests.fixtures import hostile
from tests.fixtures.documents import SAMPLE_CV, make_pdf

_MAX_BYTES = 10 * 1024 * 1024


@pytest.fixture(scope="module")
async def preparer() -> AsyncIterator[SandboxedPreparer]:
    settings = UploadSettings(extract_workers=1, extract_cpu_s=2, extract_timeout_s=6, extract_memory_mb=320)
    pool = SandboxedPreparer(settings, _MAX_BYTES)
    try:
        yield pool
    finally:
        await pool.close()


async def test_a_normal_pdf_is_extracted(preparer: SandboxedPreparer) -> None:
    prepared = await preparer.prepare(make_pdf(SAMPLE_CV))
    assert "Maya" in prepared.text


async def test_a_cpu_heavy_pdf_is_stopped_at_the_cpu_budget(preparer: SandboxedPreparer) -> None:
    started = time.monotonic()
    with pytest.raises(DocumentTooComplex, match="CPU time"):
        await preparer.prepare(hostile._pdf_heavy_operators(), field="cv")
    assert time.monotonic() - started < 15
    # The killed worker was replaced: the next file is served.
    assert "Maya" in (await preparer.prepare(make_pdf(SAMPLE_CV))).text


async def test_an_inflating_pdf_is_stopped_at_a_budget(preparer: SandboxedPreparer) -> None:
    # 100 MB inflated: pypdf's own 75 MB cap (413), or the 320 MiB address space or CPU time before it (422).
    with pytest.raises((DocumentTooComplex, FileTooLarge)):
        await preparer.prepare(hostile._pdf_inflating_stream())
    assert "Maya" in (await preparer.prepare(make_pdf(SAMPLE_CV))).text


async def test_domain_errors_cross_the_process_boundary_unchanged(preparer: SandboxedPreparer) -> None:
    with pytest.raises(CorruptDocument, match="DTD") as corrupt:
        await preparer.prepare(hostile._billion_laughs(), field="cv")
    assert corrupt.value.field == "cv"
    with pytest.raises(FileTooLarge):
        await preparer.prepare(b"a" * (_MAX_BYTES + 1))


async def test_the_wall_clock_timeout_stops_a_worker_that_does_not_use_cpu() -> None:
    settings = UploadSettings(extract_workers=1, extract_cpu_s=60, extract_timeout_s=1)
    pool = SandboxedPreparer(settings, _MAX_BYTES)
    try:
        pool._pool.schedule(time.sleep, args=(30,))  # occupies the only worker without using CPU time
        started = time.monotonic()
        with pytest.raises(DocumentTooComplex):
            await pool.prepare(make_pdf(SAMPLE_CV))
        assert time.monotonic() - started < 10
    finally:
        await pool.close()

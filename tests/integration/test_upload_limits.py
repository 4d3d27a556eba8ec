"""The upload service's limits over gRPC: sandboxed extraction budgets, the in-flight byte budget, metadata size."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import grpc
import pytest

from cveval.upload.v1 import upload_pb2, upload_pb2_grpc
from cveval_upload import app as upload_app
from cveval_upload.settings import UploadSettings
from tests.fixtures import hostile
from tests.fixtures.documents import SAMPLE_CV, make_pdf
from tests.support.infra import Infra
from tests.support.mesh import identity_channel, mesh_settings

_BUDGET = 256 * 1024


@pytest.fixture(scope="module")
async def stub(infra: Infra, database_url: str) -> AsyncIterator[upload_pb2_grpc.UploadServiceStub]:
    settings = mesh_settings(database_url, infra.nats_url)
    limits = UploadSettings(extract_workers=1, extract_cpu_s=2, extract_timeout_s=6, inflight_bytes=_BUDGET)
    port = int(settings.upload_addr.rsplit(":", 1)[1])
    running = await upload_app.start(settings, port=port, upload=limits)
    channel = identity_channel(settings.upload_addr)
    try:
        yield upload_pb2_grpc.UploadServiceStub(channel)
    finally:
        await channel.close()
        await running.stop()


def _stream(data: bytes, filename: str = "cv.pdf") -> Iterator[upload_pb2.UploadRequest]:
    header = upload_pb2.UploadHeader(kind=upload_pb2.DOCUMENT_KIND_CV, filename=filename)
    yield upload_pb2.UploadRequest(header=header)
    for start in range(0, len(data), 64 * 1024):
        yield upload_pb2.UploadRequest(chunk=data[start : start + 64 * 1024])


async def _refused(stub: upload_pb2_grpc.UploadServiceStub, data: bytes) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.Upload(_stream(data), timeout=30)
    return refused.value


def _trailer(error: grpc.aio.AioRpcError, key: str) -> str | None:
    return dict(error.trailing_metadata() or ()).get(key)


async def test_a_cpu_heavy_pdf_is_422_and_the_service_goes_on(stub: upload_pb2_grpc.UploadServiceStub) -> None:
    error = await _refused(stub, hostile._pdf_heavy_operators())
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _trailer(error, "x-cveval-http-status") == "422"
    assert _trailer(error, "x-cveval-error-code") == "DOCUMENT_TOO_COMPLEX"
    reply = await stub.Upload(_stream(make_pdf(SAMPLE_CV + " after the heavy one")), timeout=30)
    assert reply.document.char_count > 0


async def test_an_xml_bomb_is_refused_as_corrupt(stub: upload_pb2_grpc.UploadServiceStub) -> None:
    error = await _refused(stub, hostile._billion_laughs())
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _trailer(error, "x-cveval-error-code") == "CORRUPT_DOCUMENT"


async def test_a_stream_past_the_byte_budget_is_unavailable_with_retry_after(
    stub: upload_pb2_grpc.UploadServiceStub,
) -> None:
    error = await _refused(stub, b"Maya Lindqvist, engineer. " * (_BUDGET // 20))
    assert error.code() == grpc.StatusCode.UNAVAILABLE
    assert _trailer(error, "retry-after") == "2"
    assert _trailer(error, "x-cveval-error-code") == "UPLOAD_CAPACITY"
    # The refused stream gave its bytes back.
    reply = await stub.Upload(_stream(make_pdf(SAMPLE_CV + " after the busy one")), timeout=30)
    assert reply.document.char_count > 0


async def test_large_metadata_is_not_refused_as_resource_exhausted(stub: upload_pb2_grpc.UploadServiceStub) -> None:
    # Envoy stops headers at 16 KiB (431); behind it the service must accept all it lets through.
    metadata = (("x-large", "m" * 20_000),)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.GetDocument(
            upload_pb2.GetDocumentRequest(id="00000000-0000-0000-0000-000000000000"), metadata=metadata
        )
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND

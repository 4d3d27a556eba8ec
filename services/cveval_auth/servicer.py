"""gRPC servicer of ApiKeyService: translates messages and delegates to ApiKeyApplication."""

from __future__ import annotations

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from cveval.auth.v1 import auth_pb2, auth_pb2_grpc
from cveval_auth.domain.keys import ApiKeyRecord
from cveval_auth.service import ApiKeyApplication, NewKey
from cveval_kit.identity import current_identity


def _message(record: ApiKeyRecord) -> auth_pb2.ApiKey:
    created = Timestamp()
    created.FromDatetime(record.created_at)
    message = auth_pb2.ApiKey(
        id=record.id,
        name=record.name,
        tenant=record.tenant,
        roles=sorted(record.roles),
        requests_per_second=record.requests_per_second,
        evaluations_per_hour=record.evaluations_per_hour,
        prefix=record.prefix,
        create_time=created,
    )
    if record.revoked_at is not None:
        message.revoke_time.FromDatetime(record.revoked_at)
    return message


class ApiKeyServicer(auth_pb2_grpc.ApiKeyServiceServicer):
    def __init__(self, app: ApiKeyApplication) -> None:
        self.app = app

    async def CreateApiKey(
        self, request: auth_pb2.CreateApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.CreateApiKeyResponse:
        new = NewKey(
            name=request.name,
            roles=tuple(request.roles),
            requests_per_second=request.requests_per_second,
            evaluations_per_hour=request.evaluations_per_hour,
            tenant=request.tenant,
        )
        record, secret = await self.app.create(current_identity(), new)
        return auth_pb2.CreateApiKeyResponse(api_key=_message(record), secret=secret)

    async def ListApiKeys(
        self, request: auth_pb2.ListApiKeysRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.ListApiKeysResponse:
        records, token = await self.app.list(
            current_identity(), request.page_size, request.page_token, request.include_revoked
        )
        return auth_pb2.ListApiKeysResponse(api_keys=[_message(r) for r in records], next_page_token=token)

    async def RevokeApiKey(
        self, request: auth_pb2.RevokeApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.RevokeApiKeyResponse:
        return auth_pb2.RevokeApiKeyResponse(api_key=_message(await self.app.revoke(current_identity(), request.id)))

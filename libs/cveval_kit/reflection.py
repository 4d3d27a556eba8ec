"""gRPC server reflection under both protocol names: grpc.reflection.v1 (what current grpcurl, Postman and
grpcui ask first) and grpc.reflection.v1alpha (older clients).

grpcio-reflection ships only the v1alpha servicer. The v1 protocol is the same messages under a new package name
(grpc's reflection.proto was copied field for field), so the v1alpha servicer answers v1 calls as they are on the
wire; registering it under the v1 name is all that v1 needs, and saves generating a second copy of the protocol.
"""

from __future__ import annotations

from collections.abc import Iterable

import grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2

V1_SERVICE_NAME = "grpc.reflection.v1.ServerReflection"
V1ALPHA_SERVICE_NAME: str = reflection.SERVICE_NAME


def enable_reflection(service_names: Iterable[str], server: grpc.aio.Server) -> None:
    names = (*service_names, V1_SERVICE_NAME, V1ALPHA_SERVICE_NAME)
    reflection.enable_server_reflection(names, server)
    servicer = reflection.aio.ReflectionServicer(names)
    v1 = grpc.method_handlers_generic_handler(
        V1_SERVICE_NAME,
        {
            "ServerReflectionInfo": grpc.stream_stream_rpc_method_handler(
                servicer.ServerReflectionInfo,
                request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
                response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
            )
        },
    )
    server.add_generic_rpc_handlers((v1,))

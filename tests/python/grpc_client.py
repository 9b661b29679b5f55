#!/usr/bin/env python3
"""A gRPC client of Portico's tools service that knows nothing but the address.

Usage: grpc_client.py TARGET [TOKEN]
  TARGET  host:port of a Portico gRPC service (an http:// prefix is dropped)
  TOKEN   a Portico token; default: $PORTICO_TOKEN

With no .proto file and no generated stub, it learns the API through server
reflection only (grpcio-reflection's ProtoReflectionDescriptorDatabase feeding
a protobuf DescriptorPool, message classes from message_factory): it lists the
services and each one's methods, finds the one with a CallTool method,
resolves that method's input and output types and calls it (unary) for the
read-only tool `get_organizations` with `authorization: Bearer TOKEN`, then
once more without a token. Every call has a deadline.

grpcio-reflection's client speaks `grpc.reflection.v1alpha`, which Portico
serves beside `grpc.reflection.v1`.

Prints one JSON line on stdout:
  {"services", "methods", "tools_service",
   "input_type", "output_type", "tool", "result", "unauthenticated_code",
   "unauthenticated_message"}
where `methods` maps each listed service to its method names and `result` is
the CallTool response (json_format.MessageToDict, proto field names).
and exits non-zero with a message on stderr when a step fails.
"""

import collections
import json
import os
import sys

import grpc
from google.protobuf import descriptor_pool, json_format, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

# Seconds any one call (reflection included) may take.
TIMEOUT = 20.0

# A read-only tool that needs no arguments.
TOOL = "get_organizations"

class _Details(
    collections.namedtuple(
        "_Details",
        ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression"),
    ),
    grpc.ClientCallDetails,
):
    pass


class _Deadline(grpc.StreamStreamClientInterceptor):
    """Puts a deadline on the reflection stream (the descriptor database sets
    none)."""

    def intercept_stream_stream(self, continuation, details, requests):
        timeout = details.timeout if details.timeout is not None else TIMEOUT
        return continuation(
            _Details(
                details.method,
                timeout,
                details.metadata,
                details.credentials,
                details.wait_for_ready,
                getattr(details, "compression", None),
            ),
            requests,
        )


def fail(message):
    print(f"grpc_client.py: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) < 2:
        fail("usage: grpc_client.py HOST:PORT [TOKEN]")
    target = sys.argv[1]
    for scheme in ("http://", "https://"):
        if target.startswith(scheme):
            target = target[len(scheme):]
    target = target.rstrip("/")
    token = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("PORTICO_TOKEN", "")
    if not token:
        fail("no token (second argument or PORTICO_TOKEN)")

    # Loopback: never through an HTTP proxy from the environment.
    channel = grpc.insecure_channel(target, options=[("grpc.enable_http_proxy", 0)])
    try:
        grpc.channel_ready_future(channel).result(timeout=TIMEOUT)
    except grpc.FutureTimeoutError:
        fail(f"could not connect to {target} within {TIMEOUT} s")

    database = ProtoReflectionDescriptorDatabase(grpc.intercept_channel(channel, _Deadline()))
    services = list(database.get_services())
    pool = descriptor_pool.DescriptorPool(database)

    methods = {}
    tools_service = None
    for name in services:
        try:
            service = pool.FindServiceByName(name)
        except KeyError as err:
            fail(f"service {name} is listed but its descriptor is not reflected: {err}")
        methods[name] = [m.name for m in service.methods]
        if tools_service is None and "CallTool" in service.methods_by_name:
            tools_service = service
    if tools_service is None:
        fail(f"no service with a CallTool method among {services}")
    method = tools_service.methods_by_name["CallTool"]
    if method.client_streaming or method.server_streaming:
        fail(f"{tools_service.full_name}.CallTool is not unary")
    request_class = message_factory.GetMessageClass(method.input_type)
    response_class = message_factory.GetMessageClass(method.output_type)

    fields = method.input_type.fields_by_name
    for field in ("name", "arguments_json"):
        if field not in fields:
            fail(f"{method.input_type.full_name} has no field {field}: {sorted(fields)}")
    request = request_class(name=TOOL, arguments_json="{}")

    call_tool = channel.unary_unary(
        f"/{tools_service.full_name}/{method.name}",
        request_serializer=request_class.SerializeToString,
        response_deserializer=response_class.FromString,
    )
    try:
        response = call_tool(
            request,
            metadata=[("authorization", f"Bearer {token}")],
            timeout=TIMEOUT,
        )
    except grpc.RpcError as err:
        fail(f"CallTool {TOOL} with the token failed: {err.code().name} {err.details()}")

    unauthenticated_code = None
    unauthenticated_message = None
    try:
        call_tool(request, timeout=TIMEOUT)
    except grpc.RpcError as err:
        unauthenticated_code = err.code().name
        unauthenticated_message = err.details()

    channel.close()
    print(
        json.dumps(
            {
                "services": services,
                "methods": methods,
                "tools_service": tools_service.full_name,
                "input_type": method.input_type.full_name,
                "output_type": method.output_type.full_name,
                "tool": TOOL,
                "result": json_format.MessageToDict(
                    response, preserving_proto_field_name=True
                ),
                "unauthenticated_code": unauthenticated_code,
                "unauthenticated_message": unauthenticated_message,
            }
        )
    )


if __name__ == "__main__":
    try:
        main()
    except grpc.RpcError as err:
        fail(f"gRPC call failed: {err.code().name} {err.details()}")

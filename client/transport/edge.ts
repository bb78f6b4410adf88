// The client edge shared by both transports: encode requests, validate every response, typed errors.
import type { MethodDefinition, PackageDefinition } from "@grpc/proto-loader";
import { FederationError } from "../../proto/errors.ts";
import { loadFedtunePackage } from "../../proto/load.ts";
import {
  ADMIN_SERVICE,
  FEDERATION_SERVICE,
  type AdminStub,
  type AnyMethod,
  type CallOptions,
  type FederationStub,
  type MethodTable,
  type ServiceSpec,
} from "../../proto/rpc.ts";
import type { Connection } from "../../proto/transport.ts";

/** What a transport moves: serialized protobuf messages addressed by gRPC path. */
export interface ByteChannel {
  unary(path: string, request: Buffer, options: CallOptions): Promise<Uint8Array>;
  serverStream(path: string, request: Buffer, options: CallOptions): AsyncIterable<Uint8Array>;
  clientStream(path: string, requests: AsyncIterable<Buffer>, options: CallOptions): Promise<Uint8Array>;
  close(): void;
}

/** A response the coordinator should never send: refused like any other malformed input. */
function decodeResponse(
  definition: MethodDefinition<unknown, unknown>,
  spec: AnyMethod,
  bytes: Uint8Array,
): unknown {
  let raw: unknown;
  try {
    raw = definition.responseDeserialize(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch {
    throw new FederationError("internal", `malformed ${spec.rpc} response`);
  }
  const parsed = spec.response.safeParse(raw);
  if (!parsed.success)
    throw new FederationError("internal", `invalid ${spec.rpc} response`, parsed.error.message);
  return parsed.data;
}

function checkDeadline(options: CallOptions): void {
  if (!(options.deadlineMs > 0))
    throw new FederationError("invalid_argument", "every call needs a positive deadline");
}

function buildStub<T extends MethodTable>(
  pkg: PackageDefinition,
  service: ServiceSpec<T>,
  channel: ByteChannel,
): unknown {
  const definitions = pkg[service.name] as Record<string, MethodDefinition<unknown, unknown>>;
  const stub: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(service.methods)) {
    const definition = definitions[spec.rpc];
    if (definition === undefined) throw new Error(`${service.name}.${spec.rpc} missing from fedtune.proto`);
    const encode = (request: unknown): Buffer => definition.requestSerialize(request);
    switch (spec.kind) {
      case "unary":
        stub[key] = async (request: unknown, options: CallOptions) => {
          checkDeadline(options);
          return decodeResponse(
            definition,
            spec,
            await channel.unary(definition.path, encode(request), options),
          );
        };
        break;
      case "serverStream":
        stub[key] = async function* (request: unknown, options: CallOptions) {
          checkDeadline(options);
          for await (const bytes of channel.serverStream(definition.path, encode(request), options)) {
            yield decodeResponse(definition, spec, bytes);
          }
        };
        break;
      case "clientStream":
        stub[key] = async (requests: AsyncIterable<unknown> | Iterable<unknown>, options: CallOptions) => {
          checkDeadline(options);
          const encoded = (async function* () {
            for await (const request of requests) yield encode(request);
          })();
          return decodeResponse(
            definition,
            spec,
            await channel.clientStream(definition.path, encoded, options),
          );
        };
        break;
    }
  }
  return stub;
}

/** Wraps a channel so that every message's serialized size is counted. */
function counted(channel: ByteChannel, traffic: { sentBytes: number; receivedBytes: number }): ByteChannel {
  const received = (bytes: Uint8Array): Uint8Array => {
    traffic.receivedBytes += bytes.length;
    return bytes;
  };
  return {
    unary: async (path, request, options) => {
      traffic.sentBytes += request.length;
      return received(await channel.unary(path, request, options));
    },
    serverStream: async function* (path, request, options) {
      traffic.sentBytes += request.length;
      for await (const bytes of channel.serverStream(path, request, options)) yield received(bytes);
    },
    clientStream: async (path, requests, options) => {
      const counting = (async function* () {
        for await (const request of requests) {
          traffic.sentBytes += request.length;
          yield request;
        }
      })();
      return received(await channel.clientStream(path, counting, options));
    },
    close: () => channel.close(),
  };
}

/** Typed stubs for both services over one byte channel. */
export function connectionOver(channel: ByteChannel): Connection {
  const pkg = loadFedtunePackage();
  const traffic = { sentBytes: 0, receivedBytes: 0 };
  const countedChannel = counted(channel, traffic);
  return {
    federation: buildStub(pkg, FEDERATION_SERVICE, countedChannel) as FederationStub,
    admin: buildStub(pkg, ADMIN_SERVICE, countedChannel) as AdminStub,
    traffic: () => ({ ...traffic }),
    close: () => channel.close(),
  };
}

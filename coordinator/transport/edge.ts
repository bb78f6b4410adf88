// The server edge shared by both transports: authenticate, decode, validate, run the handler, encode.
import type { MethodDefinition, PackageDefinition } from "@grpc/proto-loader";
import type { z } from "zod";
import { CryptoError } from "../../crypto/errors.ts";
import { FederationError, asFederationError, type FederationErrorCode } from "../../proto/errors.ts";
import {
  ADMIN_SERVICE,
  FEDERATION_SERVICE,
  type AnyMethod,
  type CallKind,
  type HandlerContext,
  type MethodTable,
  type Peer,
  type ServiceSpec,
} from "../../proto/rpc.ts";
import type { CallErrorListener, PeerAuthenticator, ServeOptions } from "../../proto/transport.ts";

type AnyHandler = (peer: Peer, request: unknown, ctx: HandlerContext) => unknown;

/** One rpc, bound to its codec and handler, addressed by its gRPC path "/pkg.Service/Method". */
export interface BoundMethod {
  readonly path: string;
  readonly kind: CallKind;
  readonly role: "site" | "admin";
  readonly rpc: string;
  readonly service: string;
  readonly definition: MethodDefinition<unknown, unknown>;
  readonly spec: AnyMethod;
  readonly handler: AnyHandler;
}

/** CryptoError codes that mean "not now" rather than "malformed": the sender is out of stage. */
const OUT_OF_STAGE_CRYPTO_CODES: ReadonlySet<string> = new Set([
  "wrong-stage",
  "wrong-round",
  "duplicate",
  "unknown-site",
]);

/**
 * The one translation of the service's typed errors to the wire (STYLE.md item 8): a crypto refusal is the
 * sender's fault, FAILED_PRECONDITION when out of stage, else INVALID_ARGUMENT; its public message names
 * the code only (the detail, which may name a site, stays in the local log).
 */
export function publicError(error: unknown): FederationError {
  if (error instanceof CryptoError) {
    const code: FederationErrorCode = OUT_OF_STAGE_CRYPTO_CODES.has(error.code)
      ? "failed_precondition"
      : "invalid_argument";
    return new FederationError(code, `refused: ${error.code}`, error.message);
  }
  return asFederationError(error);
}

/** zod issues as a public message: field paths and rules only, never the offending values. */
function describeIssues(what: string, error: z.ZodError): string {
  const issues = error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join(".") || "(message)"}: ${issue.message}`)
    .join("; ");
  return `invalid ${what}: ${issues}`;
}

/** Decodes protobuf bytes and validates them; anything wrong is INVALID_ARGUMENT and touches no state. */
function decodeRequest(method: BoundMethod, bytes: Uint8Array): unknown {
  let raw: unknown;
  try {
    raw = method.definition.requestDeserialize(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch {
    throw new FederationError("invalid_argument", `malformed ${method.rpc} request`);
  }
  const parsed = method.spec.request.safeParse(raw);
  if (!parsed.success)
    throw new FederationError("invalid_argument", describeIssues(method.rpc, parsed.error));
  return parsed.data;
}

function encodeResponse(method: BoundMethod, value: unknown): Buffer {
  return method.definition.responseSerialize(value);
}

function bindService<T extends MethodTable>(
  pkg: PackageDefinition,
  service: ServiceSpec<T>,
  handlers: Readonly<Record<keyof T, unknown>>,
  into: Map<string, BoundMethod>,
): void {
  const definitions = pkg[service.name] as Record<string, MethodDefinition<unknown, unknown>> | undefined;
  if (definitions === undefined) throw new Error(`${service.name} missing from fedtune.proto`);
  for (const [key, spec] of Object.entries(service.methods)) {
    const definition = definitions[spec.rpc];
    if (definition === undefined) throw new Error(`${service.name}.${spec.rpc} missing from fedtune.proto`);
    into.set(definition.path, {
      path: definition.path,
      kind: spec.kind,
      role: service.role,
      rpc: spec.rpc,
      service: service.name,
      definition,
      spec,
      handler: (handlers[key as keyof T] as AnyHandler).bind(handlers),
    });
  }
}

/** Every method of both services, keyed by gRPC path. */
export function bindMethods(pkg: PackageDefinition, options: ServeOptions): Map<string, BoundMethod> {
  const methods = new Map<string, BoundMethod>();
  bindService(pkg, FEDERATION_SERVICE, options.federation, methods);
  bindService(pkg, ADMIN_SERVICE, options.admin, methods);
  return methods;
}

/**
 * Runs one call through the edge. `authenticate` runs first so that an unknown, revoked or
 * wrong-role certificate is refused before any decoding or handler; errors are reported to the
 * listener in full and rethrown as FederationErrors whose public message is all the peer sees.
 */
export class ServerEdge {
  constructor(
    private readonly authenticator: PeerAuthenticator,
    private readonly onCallError: CallErrorListener | undefined,
  ) {}

  authenticate(method: BoundMethod, certificateDer: Uint8Array | undefined): Peer {
    return this.authenticator.authenticate(certificateDer, method.role);
  }

  /** The public form of an error, after reporting the full one. */
  fail(method: BoundMethod, peer: Peer | undefined, error: unknown): FederationError {
    const typed = publicError(error);
    this.onCallError?.(method.rpc, peer?.name, error);
    return new FederationError(typed.code, typed.publicMessage);
  }

  async unary(
    method: BoundMethod,
    certificateDer: Uint8Array | undefined,
    request: Uint8Array,
    signal: AbortSignal,
  ): Promise<Buffer> {
    let peer: Peer | undefined;
    try {
      peer = this.authenticate(method, certificateDer);
      const decoded = decodeRequest(method, request);
      const response = await (method.handler(peer, decoded, { signal }) as Promise<unknown>);
      return encodeResponse(method, response);
    } catch (error) {
      throw this.fail(method, peer, error);
    }
  }

  async *serverStream(
    method: BoundMethod,
    certificateDer: Uint8Array | undefined,
    request: Uint8Array,
    signal: AbortSignal,
  ): AsyncGenerator<Buffer> {
    let peer: Peer | undefined;
    try {
      peer = this.authenticate(method, certificateDer);
      const decoded = decodeRequest(method, request);
      for await (const item of method.handler(peer, decoded, { signal }) as AsyncIterable<unknown>) {
        yield encodeResponse(method, item);
      }
    } catch (error) {
      throw this.fail(method, peer, error);
    }
  }

  async clientStream(
    method: BoundMethod,
    certificateDer: Uint8Array | undefined,
    requests: AsyncIterable<Uint8Array>,
    signal: AbortSignal,
  ): Promise<Buffer> {
    let peer: Peer | undefined;
    try {
      peer = this.authenticate(method, certificateDer);
      const decoded = (async function* () {
        for await (const bytes of requests) yield decodeRequest(method, bytes);
      })();
      const response = await (method.handler(peer, decoded, { signal }) as Promise<unknown>);
      return encodeResponse(method, response);
    } catch (error) {
      throw this.fail(method, peer, error);
    }
  }
}

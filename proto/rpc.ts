// The method table of both services: call shape and request/response schemas, shared by every transport.
import type { z } from "zod";
import type { SiteId } from "../crypto/site-id.ts";
import * as admin from "./admin-messages.ts";
import * as m from "./messages.ts";

export type CallKind = "unary" | "serverStream" | "clientStream";

export interface MethodSpec<K extends CallKind, Req extends z.ZodType, Res extends z.ZodType> {
  readonly kind: K;
  /** The rpc name in fedtune.proto. */
  readonly rpc: string;
  readonly request: Req;
  readonly response: Res;
}

const spec = <K extends CallKind, Req extends z.ZodType, Res extends z.ZodType>(
  kind: K,
  rpc: string,
  request: Req,
  response: Res,
): MethodSpec<K, Req, Res> => ({ kind, rpc, request, response });

/** fedtune.v1.Federation: called by sites. */
const FEDERATION_METHODS = {
  join: spec("unary", "Join", m.joinRequestSchema, m.joinResponseSchema),
  poll: spec("unary", "Poll", m.pollRequestSchema, m.pollResponseSchema),
  fetchAdapter: spec("serverStream", "FetchAdapter", m.fetchAdapterRequestSchema, m.dataChunkSchema),
  submitUpdate: spec("clientStream", "SubmitUpdate", m.updatePartSchema, m.ackSchema),
  advertiseKeys: spec("unary", "AdvertiseKeys", m.advertiseKeysRequestSchema, m.ackSchema),
  shareKeys: spec("unary", "ShareKeys", m.shareKeysRequestSchema, m.ackSchema),
  signSurvivors: spec("unary", "SignSurvivors", m.signSurvivorsRequestSchema, m.ackSchema),
  unmask: spec("unary", "Unmask", m.unmaskRequestSchema, m.ackSchema),
  submitMetrics: spec("unary", "SubmitMetrics", m.submitMetricsRequestSchema, m.ackSchema),
  decline: spec("unary", "Decline", m.declineRequestSchema, m.ackSchema),
  publishKeys: spec("clientStream", "PublishKeys", m.keyPartSchema, m.ackSchema),
  fetchKeys: spec("serverStream", "FetchKeys", m.fetchKeysRequestSchema, m.keyPartSchema),
  exportAggregates: spec(
    "serverStream",
    "ExportAggregates",
    m.exportAggregatesRequestSchema,
    m.exportPartSchema,
  ),
} as const;

/** fedtune.v1.Admin: called with an admin certificate. */
const ADMIN_METHODS = {
  status: spec("unary", "Status", m.emptySchema, admin.statusResponseSchema),
  rounds: spec("unary", "Rounds", admin.roundsRequestSchema, admin.roundsResponseSchema),
  sites: spec("unary", "Sites", m.emptySchema, admin.sitesResponseSchema),
  audit: spec("serverStream", "Audit", admin.auditRequestSchema, admin.auditEntrySchema),
  verifyAudit: spec("unary", "VerifyAudit", m.emptySchema, admin.verifyAuditResponseSchema),
  dropSite: spec("unary", "DropSite", admin.dropSiteRequestSchema, admin.dropSiteResponseSchema),
  submitRun: spec("unary", "SubmitRun", admin.submitRunRequestSchema, admin.runInfoSchema),
  listRuns: spec("unary", "ListRuns", m.emptySchema, admin.runsResponseSchema),
  showRun: spec("unary", "ShowRun", admin.runRequestSchema, admin.runInfoSchema),
  abortRun: spec("unary", "AbortRun", admin.runRequestSchema, admin.runInfoSchema),
} as const;

/** A service: its fully qualified proto name, the certificate role it admits, and its methods. */
export interface ServiceSpec<Methods> {
  readonly name: string;
  readonly role: "site" | "admin";
  readonly methods: Methods;
}

export const FEDERATION_SERVICE: ServiceSpec<typeof FEDERATION_METHODS> = {
  name: "fedtune.v1.Federation",
  role: "site",
  methods: FEDERATION_METHODS,
};

export const ADMIN_SERVICE: ServiceSpec<typeof ADMIN_METHODS> = {
  name: "fedtune.v1.Admin",
  role: "admin",
  methods: ADMIN_METHODS,
};

export type AnyMethod = MethodSpec<CallKind, z.ZodType, z.ZodType>;
export type MethodTable = Readonly<Record<string, AnyMethod>>;
type Req<S> = S extends MethodSpec<CallKind, infer R, z.ZodType> ? z.output<R> : never;
type Res<S> = S extends MethodSpec<CallKind, z.ZodType, infer R> ? z.output<R> : never;

/** The caller of a server-side handler, as proven by its certificate. */
export interface Peer {
  /** The certificate name, checked and branded by the authenticator (a site's name is its SiteId). */
  readonly name: SiteId;
  readonly role: "site" | "admin" | "coordinator";
  /** SHA-256 of the certificate's DER, lowercase hex. */
  readonly fingerprint: string;
}

export interface HandlerContext {
  /** Aborted when the caller cancels or its deadline passes. */
  readonly signal: AbortSignal;
}

/** What a service implements: one function per method, given trusted (validated) requests. */
export type Handlers<T extends MethodTable> = {
  readonly [K in keyof T]: T[K]["kind"] extends "unary"
    ? (peer: Peer, request: Req<T[K]>, ctx: HandlerContext) => Promise<Res<T[K]>>
    : T[K]["kind"] extends "serverStream"
      ? (peer: Peer, request: Req<T[K]>, ctx: HandlerContext) => AsyncIterable<Res<T[K]>>
      : (peer: Peer, requests: AsyncIterable<Req<T[K]>>, ctx: HandlerContext) => Promise<Res<T[K]>>;
};

export interface CallOptions {
  /** Every call has a deadline (issue 4): milliseconds from now. */
  readonly deadlineMs: number;
  readonly signal?: AbortSignal;
}

/** What a caller sees: the same methods, with validated responses and a deadline on every call. */
export type Stub<T extends MethodTable> = {
  readonly [K in keyof T]: T[K]["kind"] extends "unary"
    ? (request: Req<T[K]>, options: CallOptions) => Promise<Res<T[K]>>
    : T[K]["kind"] extends "serverStream"
      ? (request: Req<T[K]>, options: CallOptions) => AsyncIterable<Res<T[K]>>
      : (
          requests: AsyncIterable<Req<T[K]>> | Iterable<Req<T[K]>>,
          options: CallOptions,
        ) => Promise<Res<T[K]>>;
};

export type FederationHandlers = Handlers<typeof FEDERATION_METHODS>;
export type AdminHandlers = Handlers<typeof ADMIN_METHODS>;
export type FederationStub = Stub<typeof FEDERATION_METHODS>;
export type AdminStub = Stub<typeof ADMIN_METHODS>;

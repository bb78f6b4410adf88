// zod schemas for the Admin service's fedtune.v1 messages (status, rounds, sites, audit, drop) and their trusted types.
import { z } from "zod";
import type { StatusResponse as WireStatusResponse } from "./generated/fedtune/v1/StatusResponse.ts";
import type { RoundsResponse as WireRoundsResponse } from "./generated/fedtune/v1/RoundsResponse.ts";
import type { SitesResponse as WireSitesResponse } from "./generated/fedtune/v1/SitesResponse.ts";
import type { AuditRequest as WireAuditRequest } from "./generated/fedtune/v1/AuditRequest.ts";
import type { AuditEntry as WireAuditEntry } from "./generated/fedtune/v1/AuditEntry.ts";
import type { VerifyAuditResponse as WireVerifyAuditResponse } from "./generated/fedtune/v1/VerifyAuditResponse.ts";
import type { DropSiteRequest as WireDropSiteRequest } from "./generated/fedtune/v1/DropSiteRequest.ts";
import type { DropSiteResponse as WireDropSiteResponse } from "./generated/fedtune/v1/DropSiteResponse.ts";
import type { RoundsRequest as WireRoundsRequest } from "./generated/fedtune/v1/RoundsRequest.ts";
import type { SubmitRunRequest as WireSubmitRunRequest } from "./generated/fedtune/v1/SubmitRunRequest.ts";
import type { RunRequest as WireRunRequest } from "./generated/fedtune/v1/RunRequest.ts";
import type { RunInfo as WireRunInfo } from "./generated/fedtune/v1/RunInfo.ts";
import type { RunsResponse as WireRunsResponse } from "./generated/fedtune/v1/RunsResponse.ts";
import { ledgerReportSchema, metricsSchema, privacyModeSchema, siteIdSchema } from "./messages.ts";
import { longText, shortText, u32, u64, type Assert, type Encodes } from "./wire-scalars.ts";

export const statusResponseSchema = z.object({
  federationName: shortText,
  privacyMode: privacyModeSchema,
  strategy: shortText,
  round: u32,
  attempt: u32,
  stage: shortText,
  completedRounds: u32,
  totalRounds: u32,
  sitesJoined: u32,
  sitesOnline: u32,
});
export type StatusResponse = z.output<typeof statusResponseSchema>;

const roundSummarySchema = z.object({
  round: u32,
  attempt: u32,
  kind: z.enum(["train", "eval"]),
  outcome: z.enum(["completed", "abandoned", "running"]),
  participants: u32,
  dropouts: u32,
  checkpointSha256: z.string().regex(/^([0-9a-f]{64})?$/),
  metrics: metricsSchema,
  reason: z.string().max(1024),
  runId: u32,
  trainingRound: u32,
});
export type RoundSummary = z.output<typeof roundSummarySchema>;
export const roundsResponseSchema = z.object({ rounds: z.array(roundSummarySchema) });
export type RoundsResponse = z.output<typeof roundsResponseSchema>;
export const roundsRequestSchema = z.object({ runId: u32 });
export type RoundsRequest = z.output<typeof roundsRequestSchema>;

/** A run file's text: bounded like any config, parsed and checked by the coordinator (run-settings.ts). */
export const submitRunRequestSchema = z.object({ settingsText: longText, source: shortText });
export type SubmitRunRequest = z.output<typeof submitRunRequestSchema>;
export const runRequestSchema = z.object({ runId: u32.min(1) });
export type RunRequest = z.output<typeof runRequestSchema>;
export const runInfoSchema = z.object({
  runId: u32,
  state: z.enum(["queued", "running", "finished", "aborted", "failed"]),
  reason: z.string().max(1024),
  submittedBy: shortText,
  submittedAt: shortText,
  startedAt: shortText,
  endedAt: shortText,
  rounds: u32,
  privacyMode: privacyModeSchema,
  completedTrainingRounds: u32,
  settingsJson: longText,
});
export type RunInfo = z.output<typeof runInfoSchema>;
export const runsResponseSchema = z.object({ runs: z.array(runInfoSchema) });
export type RunsResponse = z.output<typeof runsResponseSchema>;

const siteSummarySchema = z.object({
  siteId: siteIdSchema,
  joinedAt: shortText,
  lastSeen: shortText,
  roundsContributed: u32,
  roundsDropped: u32,
  standing: z.enum(["active", "revoked", "dropped"]),
  revokedAt: shortText,
  droppedAt: shortText,
  droppedRound: u32,
  lastDecline: z.string().max(2048),
  ledger: ledgerReportSchema.nullable(),
});
export type SiteSummary = z.output<typeof siteSummarySchema>;
export const sitesResponseSchema = z.object({ sites: z.array(siteSummarySchema) });
export type SitesResponse = z.output<typeof sitesResponseSchema>;

export const auditRequestSchema = z.object({ fromSeq: u64 });
export type AuditRequest = z.output<typeof auditRequestSchema>;
export const auditEntrySchema = z.object({
  seq: u64,
  time: shortText,
  kind: shortText,
  detailsJson: longText,
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type AuditEntry = z.output<typeof auditEntrySchema>;
export const verifyAuditResponseSchema = z.object({
  ok: z.boolean(),
  entries: u64,
  firstBadSeq: u64,
  detail: z.string().max(1024),
});
export type VerifyAuditResponse = z.output<typeof verifyAuditResponseSchema>;

export const dropSiteRequestSchema = z.object({ siteId: siteIdSchema });
export type DropSiteRequest = z.output<typeof dropSiteRequestSchema>;
export const dropSiteResponseSchema = z.object({ round: u32, attempt: u32, stage: shortText });
export type DropSiteResponse = z.output<typeof dropSiteResponseSchema>;

/** If the .proto and these schemas drift apart, typechecking fails here. */
export type AdminSchemasMatchWire = [
  Assert<Encodes<StatusResponse, WireStatusResponse>>,
  Assert<Encodes<RoundsResponse, WireRoundsResponse>>,
  Assert<Encodes<SitesResponse, WireSitesResponse>>,
  Assert<Encodes<AuditRequest, WireAuditRequest>>,
  Assert<Encodes<AuditEntry, WireAuditEntry>>,
  Assert<Encodes<VerifyAuditResponse, WireVerifyAuditResponse>>,
  Assert<Encodes<DropSiteRequest, WireDropSiteRequest>>,
  Assert<Encodes<DropSiteResponse, WireDropSiteResponse>>,
  Assert<Encodes<RoundsRequest, WireRoundsRequest>>,
  Assert<Encodes<SubmitRunRequest, WireSubmitRunRequest>>,
  Assert<Encodes<RunRequest, WireRunRequest>>,
  Assert<Encodes<RunInfo, WireRunInfo>>,
  Assert<Encodes<RunsResponse, WireRunsResponse>>,
];

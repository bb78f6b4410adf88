// Original file: proto/fedtune.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AuditEntry as _fedtune_v1_AuditEntry, AuditEntry__Output as _fedtune_v1_AuditEntry__Output } from '../../fedtune/v1/AuditEntry.ts';
import type { AuditRequest as _fedtune_v1_AuditRequest, AuditRequest__Output as _fedtune_v1_AuditRequest__Output } from '../../fedtune/v1/AuditRequest.ts';
import type { DropSiteRequest as _fedtune_v1_DropSiteRequest, DropSiteRequest__Output as _fedtune_v1_DropSiteRequest__Output } from '../../fedtune/v1/DropSiteRequest.ts';
import type { DropSiteResponse as _fedtune_v1_DropSiteResponse, DropSiteResponse__Output as _fedtune_v1_DropSiteResponse__Output } from '../../fedtune/v1/DropSiteResponse.ts';
import type { ListRunsRequest as _fedtune_v1_ListRunsRequest, ListRunsRequest__Output as _fedtune_v1_ListRunsRequest__Output } from '../../fedtune/v1/ListRunsRequest.ts';
import type { RoundsRequest as _fedtune_v1_RoundsRequest, RoundsRequest__Output as _fedtune_v1_RoundsRequest__Output } from '../../fedtune/v1/RoundsRequest.ts';
import type { RoundsResponse as _fedtune_v1_RoundsResponse, RoundsResponse__Output as _fedtune_v1_RoundsResponse__Output } from '../../fedtune/v1/RoundsResponse.ts';
import type { RunInfo as _fedtune_v1_RunInfo, RunInfo__Output as _fedtune_v1_RunInfo__Output } from '../../fedtune/v1/RunInfo.ts';
import type { RunRequest as _fedtune_v1_RunRequest, RunRequest__Output as _fedtune_v1_RunRequest__Output } from '../../fedtune/v1/RunRequest.ts';
import type { RunsResponse as _fedtune_v1_RunsResponse, RunsResponse__Output as _fedtune_v1_RunsResponse__Output } from '../../fedtune/v1/RunsResponse.ts';
import type { SitesRequest as _fedtune_v1_SitesRequest, SitesRequest__Output as _fedtune_v1_SitesRequest__Output } from '../../fedtune/v1/SitesRequest.ts';
import type { SitesResponse as _fedtune_v1_SitesResponse, SitesResponse__Output as _fedtune_v1_SitesResponse__Output } from '../../fedtune/v1/SitesResponse.ts';
import type { StatusRequest as _fedtune_v1_StatusRequest, StatusRequest__Output as _fedtune_v1_StatusRequest__Output } from '../../fedtune/v1/StatusRequest.ts';
import type { StatusResponse as _fedtune_v1_StatusResponse, StatusResponse__Output as _fedtune_v1_StatusResponse__Output } from '../../fedtune/v1/StatusResponse.ts';
import type { SubmitRunRequest as _fedtune_v1_SubmitRunRequest, SubmitRunRequest__Output as _fedtune_v1_SubmitRunRequest__Output } from '../../fedtune/v1/SubmitRunRequest.ts';
import type { VerifyAuditRequest as _fedtune_v1_VerifyAuditRequest, VerifyAuditRequest__Output as _fedtune_v1_VerifyAuditRequest__Output } from '../../fedtune/v1/VerifyAuditRequest.ts';
import type { VerifyAuditResponse as _fedtune_v1_VerifyAuditResponse, VerifyAuditResponse__Output as _fedtune_v1_VerifyAuditResponse__Output } from '../../fedtune/v1/VerifyAuditResponse.ts';

/**
 * The service that consortium operators call with an admin certificate.
 */
export interface AdminClient extends grpc.Client {
  /**
   * Aborts a queued run, or the running one (its current round ends at once).
   */
  AbortRun(argument: _fedtune_v1_RunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  AbortRun(argument: _fedtune_v1_RunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  AbortRun(argument: _fedtune_v1_RunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  AbortRun(argument: _fedtune_v1_RunRequest, callback: grpc.requestCallback<_fedtune_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  /**
   * Aborts a queued run, or the running one (its current round ends at once).
   */
  abortRun(argument: _fedtune_v1_RunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  abortRun(argument: _fedtune_v1_RunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  abortRun(argument: _fedtune_v1_RunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  abortRun(argument: _fedtune_v1_RunRequest, callback: grpc.requestCallback<_fedtune_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  
  /**
   * The hash-chained audit log, entry by entry.
   */
  Audit(argument: _fedtune_v1_AuditRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_fedtune_v1_AuditEntry__Output>;
  Audit(argument: _fedtune_v1_AuditRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_fedtune_v1_AuditEntry__Output>;
  /**
   * The hash-chained audit log, entry by entry.
   */
  audit(argument: _fedtune_v1_AuditRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_fedtune_v1_AuditEntry__Output>;
  audit(argument: _fedtune_v1_AuditRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_fedtune_v1_AuditEntry__Output>;
  
  /**
   * Takes a site out of the round in progress now (audited); the round goes on without it, or its try is
   * retried. NOT_FOUND for a site that never joined, FAILED_PRECONDITION when no round is in progress.
   */
  DropSite(argument: _fedtune_v1_DropSiteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_DropSiteResponse__Output>): grpc.ClientUnaryCall;
  DropSite(argument: _fedtune_v1_DropSiteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_DropSiteResponse__Output>): grpc.ClientUnaryCall;
  DropSite(argument: _fedtune_v1_DropSiteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_DropSiteResponse__Output>): grpc.ClientUnaryCall;
  DropSite(argument: _fedtune_v1_DropSiteRequest, callback: grpc.requestCallback<_fedtune_v1_DropSiteResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Takes a site out of the round in progress now (audited); the round goes on without it, or its try is
   * retried. NOT_FOUND for a site that never joined, FAILED_PRECONDITION when no round is in progress.
   */
  dropSite(argument: _fedtune_v1_DropSiteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_DropSiteResponse__Output>): grpc.ClientUnaryCall;
  dropSite(argument: _fedtune_v1_DropSiteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_DropSiteResponse__Output>): grpc.ClientUnaryCall;
  dropSite(argument: _fedtune_v1_DropSiteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_DropSiteResponse__Output>): grpc.ClientUnaryCall;
  dropSite(argument: _fedtune_v1_DropSiteRequest, callback: grpc.requestCallback<_fedtune_v1_DropSiteResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Every run, oldest first.
   */
  ListRuns(argument: _fedtune_v1_ListRunsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_RunsResponse__Output>): grpc.ClientUnaryCall;
  ListRuns(argument: _fedtune_v1_ListRunsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_RunsResponse__Output>): grpc.ClientUnaryCall;
  ListRuns(argument: _fedtune_v1_ListRunsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_RunsResponse__Output>): grpc.ClientUnaryCall;
  ListRuns(argument: _fedtune_v1_ListRunsRequest, callback: grpc.requestCallback<_fedtune_v1_RunsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Every run, oldest first.
   */
  listRuns(argument: _fedtune_v1_ListRunsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_RunsResponse__Output>): grpc.ClientUnaryCall;
  listRuns(argument: _fedtune_v1_ListRunsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_RunsResponse__Output>): grpc.ClientUnaryCall;
  listRuns(argument: _fedtune_v1_ListRunsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_RunsResponse__Output>): grpc.ClientUnaryCall;
  listRuns(argument: _fedtune_v1_ListRunsRequest, callback: grpc.requestCallback<_fedtune_v1_RunsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Every round try so far and its outcome.
   */
  Rounds(argument: _fedtune_v1_RoundsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_RoundsResponse__Output>): grpc.ClientUnaryCall;
  Rounds(argument: _fedtune_v1_RoundsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_RoundsResponse__Output>): grpc.ClientUnaryCall;
  Rounds(argument: _fedtune_v1_RoundsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_RoundsResponse__Output>): grpc.ClientUnaryCall;
  Rounds(argument: _fedtune_v1_RoundsRequest, callback: grpc.requestCallback<_fedtune_v1_RoundsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Every round try so far and its outcome.
   */
  rounds(argument: _fedtune_v1_RoundsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_RoundsResponse__Output>): grpc.ClientUnaryCall;
  rounds(argument: _fedtune_v1_RoundsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_RoundsResponse__Output>): grpc.ClientUnaryCall;
  rounds(argument: _fedtune_v1_RoundsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_RoundsResponse__Output>): grpc.ClientUnaryCall;
  rounds(argument: _fedtune_v1_RoundsRequest, callback: grpc.requestCallback<_fedtune_v1_RoundsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * One run.
   */
  ShowRun(argument: _fedtune_v1_RunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  ShowRun(argument: _fedtune_v1_RunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  ShowRun(argument: _fedtune_v1_RunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  ShowRun(argument: _fedtune_v1_RunRequest, callback: grpc.requestCallback<_fedtune_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  /**
   * One run.
   */
  showRun(argument: _fedtune_v1_RunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  showRun(argument: _fedtune_v1_RunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  showRun(argument: _fedtune_v1_RunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  showRun(argument: _fedtune_v1_RunRequest, callback: grpc.requestCallback<_fedtune_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  
  /**
   * Enrolled sites and their participation.
   */
  Sites(argument: _fedtune_v1_SitesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_SitesResponse__Output>): grpc.ClientUnaryCall;
  Sites(argument: _fedtune_v1_SitesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_SitesResponse__Output>): grpc.ClientUnaryCall;
  Sites(argument: _fedtune_v1_SitesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_SitesResponse__Output>): grpc.ClientUnaryCall;
  Sites(argument: _fedtune_v1_SitesRequest, callback: grpc.requestCallback<_fedtune_v1_SitesResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Enrolled sites and their participation.
   */
  sites(argument: _fedtune_v1_SitesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_SitesResponse__Output>): grpc.ClientUnaryCall;
  sites(argument: _fedtune_v1_SitesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_SitesResponse__Output>): grpc.ClientUnaryCall;
  sites(argument: _fedtune_v1_SitesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_SitesResponse__Output>): grpc.ClientUnaryCall;
  sites(argument: _fedtune_v1_SitesRequest, callback: grpc.requestCallback<_fedtune_v1_SitesResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The federation's current state.
   */
  Status(argument: _fedtune_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _fedtune_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _fedtune_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _fedtune_v1_StatusRequest, callback: grpc.requestCallback<_fedtune_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The federation's current state.
   */
  status(argument: _fedtune_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _fedtune_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _fedtune_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _fedtune_v1_StatusRequest, callback: grpc.requestCallback<_fedtune_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Queues a run (its federation settings as YAML or JSON); runs start one at a time, in order.
   */
  SubmitRun(argument: _fedtune_v1_SubmitRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  SubmitRun(argument: _fedtune_v1_SubmitRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  SubmitRun(argument: _fedtune_v1_SubmitRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  SubmitRun(argument: _fedtune_v1_SubmitRunRequest, callback: grpc.requestCallback<_fedtune_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  /**
   * Queues a run (its federation settings as YAML or JSON); runs start one at a time, in order.
   */
  submitRun(argument: _fedtune_v1_SubmitRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  submitRun(argument: _fedtune_v1_SubmitRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  submitRun(argument: _fedtune_v1_SubmitRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  submitRun(argument: _fedtune_v1_SubmitRunRequest, callback: grpc.requestCallback<_fedtune_v1_RunInfo__Output>): grpc.ClientUnaryCall;
  
  /**
   * Recomputes the audit log's hash chain.
   */
  VerifyAudit(argument: _fedtune_v1_VerifyAuditRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_VerifyAuditResponse__Output>): grpc.ClientUnaryCall;
  VerifyAudit(argument: _fedtune_v1_VerifyAuditRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_VerifyAuditResponse__Output>): grpc.ClientUnaryCall;
  VerifyAudit(argument: _fedtune_v1_VerifyAuditRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_VerifyAuditResponse__Output>): grpc.ClientUnaryCall;
  VerifyAudit(argument: _fedtune_v1_VerifyAuditRequest, callback: grpc.requestCallback<_fedtune_v1_VerifyAuditResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Recomputes the audit log's hash chain.
   */
  verifyAudit(argument: _fedtune_v1_VerifyAuditRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_VerifyAuditResponse__Output>): grpc.ClientUnaryCall;
  verifyAudit(argument: _fedtune_v1_VerifyAuditRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_VerifyAuditResponse__Output>): grpc.ClientUnaryCall;
  verifyAudit(argument: _fedtune_v1_VerifyAuditRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_VerifyAuditResponse__Output>): grpc.ClientUnaryCall;
  verifyAudit(argument: _fedtune_v1_VerifyAuditRequest, callback: grpc.requestCallback<_fedtune_v1_VerifyAuditResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * The service that consortium operators call with an admin certificate.
 */
export interface AdminHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Aborts a queued run, or the running one (its current round ends at once).
   */
  AbortRun: grpc.handleUnaryCall<_fedtune_v1_RunRequest__Output, _fedtune_v1_RunInfo>;
  
  /**
   * The hash-chained audit log, entry by entry.
   */
  Audit: grpc.handleServerStreamingCall<_fedtune_v1_AuditRequest__Output, _fedtune_v1_AuditEntry>;
  
  /**
   * Takes a site out of the round in progress now (audited); the round goes on without it, or its try is
   * retried. NOT_FOUND for a site that never joined, FAILED_PRECONDITION when no round is in progress.
   */
  DropSite: grpc.handleUnaryCall<_fedtune_v1_DropSiteRequest__Output, _fedtune_v1_DropSiteResponse>;
  
  /**
   * Every run, oldest first.
   */
  ListRuns: grpc.handleUnaryCall<_fedtune_v1_ListRunsRequest__Output, _fedtune_v1_RunsResponse>;
  
  /**
   * Every round try so far and its outcome.
   */
  Rounds: grpc.handleUnaryCall<_fedtune_v1_RoundsRequest__Output, _fedtune_v1_RoundsResponse>;
  
  /**
   * One run.
   */
  ShowRun: grpc.handleUnaryCall<_fedtune_v1_RunRequest__Output, _fedtune_v1_RunInfo>;
  
  /**
   * Enrolled sites and their participation.
   */
  Sites: grpc.handleUnaryCall<_fedtune_v1_SitesRequest__Output, _fedtune_v1_SitesResponse>;
  
  /**
   * The federation's current state.
   */
  Status: grpc.handleUnaryCall<_fedtune_v1_StatusRequest__Output, _fedtune_v1_StatusResponse>;
  
  /**
   * Queues a run (its federation settings as YAML or JSON); runs start one at a time, in order.
   */
  SubmitRun: grpc.handleUnaryCall<_fedtune_v1_SubmitRunRequest__Output, _fedtune_v1_RunInfo>;
  
  /**
   * Recomputes the audit log's hash chain.
   */
  VerifyAudit: grpc.handleUnaryCall<_fedtune_v1_VerifyAuditRequest__Output, _fedtune_v1_VerifyAuditResponse>;
  
}

export interface AdminDefinition extends grpc.ServiceDefinition {
  AbortRun: MethodDefinition<_fedtune_v1_RunRequest, _fedtune_v1_RunInfo, _fedtune_v1_RunRequest__Output, _fedtune_v1_RunInfo__Output>
  Audit: MethodDefinition<_fedtune_v1_AuditRequest, _fedtune_v1_AuditEntry, _fedtune_v1_AuditRequest__Output, _fedtune_v1_AuditEntry__Output>
  DropSite: MethodDefinition<_fedtune_v1_DropSiteRequest, _fedtune_v1_DropSiteResponse, _fedtune_v1_DropSiteRequest__Output, _fedtune_v1_DropSiteResponse__Output>
  ListRuns: MethodDefinition<_fedtune_v1_ListRunsRequest, _fedtune_v1_RunsResponse, _fedtune_v1_ListRunsRequest__Output, _fedtune_v1_RunsResponse__Output>
  Rounds: MethodDefinition<_fedtune_v1_RoundsRequest, _fedtune_v1_RoundsResponse, _fedtune_v1_RoundsRequest__Output, _fedtune_v1_RoundsResponse__Output>
  ShowRun: MethodDefinition<_fedtune_v1_RunRequest, _fedtune_v1_RunInfo, _fedtune_v1_RunRequest__Output, _fedtune_v1_RunInfo__Output>
  Sites: MethodDefinition<_fedtune_v1_SitesRequest, _fedtune_v1_SitesResponse, _fedtune_v1_SitesRequest__Output, _fedtune_v1_SitesResponse__Output>
  Status: MethodDefinition<_fedtune_v1_StatusRequest, _fedtune_v1_StatusResponse, _fedtune_v1_StatusRequest__Output, _fedtune_v1_StatusResponse__Output>
  SubmitRun: MethodDefinition<_fedtune_v1_SubmitRunRequest, _fedtune_v1_RunInfo, _fedtune_v1_SubmitRunRequest__Output, _fedtune_v1_RunInfo__Output>
  VerifyAudit: MethodDefinition<_fedtune_v1_VerifyAuditRequest, _fedtune_v1_VerifyAuditResponse, _fedtune_v1_VerifyAuditRequest__Output, _fedtune_v1_VerifyAuditResponse__Output>
}

// Original file: proto/fedtune.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Ack as _fedtune_v1_Ack, Ack__Output as _fedtune_v1_Ack__Output } from '../../fedtune/v1/Ack.ts';
import type { AdvertiseKeysRequest as _fedtune_v1_AdvertiseKeysRequest, AdvertiseKeysRequest__Output as _fedtune_v1_AdvertiseKeysRequest__Output } from '../../fedtune/v1/AdvertiseKeysRequest.ts';
import type { DataChunk as _fedtune_v1_DataChunk, DataChunk__Output as _fedtune_v1_DataChunk__Output } from '../../fedtune/v1/DataChunk.ts';
import type { DeclineRequest as _fedtune_v1_DeclineRequest, DeclineRequest__Output as _fedtune_v1_DeclineRequest__Output } from '../../fedtune/v1/DeclineRequest.ts';
import type { ExportAggregatesRequest as _fedtune_v1_ExportAggregatesRequest, ExportAggregatesRequest__Output as _fedtune_v1_ExportAggregatesRequest__Output } from '../../fedtune/v1/ExportAggregatesRequest.ts';
import type { ExportPart as _fedtune_v1_ExportPart, ExportPart__Output as _fedtune_v1_ExportPart__Output } from '../../fedtune/v1/ExportPart.ts';
import type { FetchAdapterRequest as _fedtune_v1_FetchAdapterRequest, FetchAdapterRequest__Output as _fedtune_v1_FetchAdapterRequest__Output } from '../../fedtune/v1/FetchAdapterRequest.ts';
import type { FetchKeysRequest as _fedtune_v1_FetchKeysRequest, FetchKeysRequest__Output as _fedtune_v1_FetchKeysRequest__Output } from '../../fedtune/v1/FetchKeysRequest.ts';
import type { JoinRequest as _fedtune_v1_JoinRequest, JoinRequest__Output as _fedtune_v1_JoinRequest__Output } from '../../fedtune/v1/JoinRequest.ts';
import type { JoinResponse as _fedtune_v1_JoinResponse, JoinResponse__Output as _fedtune_v1_JoinResponse__Output } from '../../fedtune/v1/JoinResponse.ts';
import type { KeyPart as _fedtune_v1_KeyPart, KeyPart__Output as _fedtune_v1_KeyPart__Output } from '../../fedtune/v1/KeyPart.ts';
import type { PollRequest as _fedtune_v1_PollRequest, PollRequest__Output as _fedtune_v1_PollRequest__Output } from '../../fedtune/v1/PollRequest.ts';
import type { PollResponse as _fedtune_v1_PollResponse, PollResponse__Output as _fedtune_v1_PollResponse__Output } from '../../fedtune/v1/PollResponse.ts';
import type { ShareKeysRequest as _fedtune_v1_ShareKeysRequest, ShareKeysRequest__Output as _fedtune_v1_ShareKeysRequest__Output } from '../../fedtune/v1/ShareKeysRequest.ts';
import type { SignSurvivorsRequest as _fedtune_v1_SignSurvivorsRequest, SignSurvivorsRequest__Output as _fedtune_v1_SignSurvivorsRequest__Output } from '../../fedtune/v1/SignSurvivorsRequest.ts';
import type { SubmitMetricsRequest as _fedtune_v1_SubmitMetricsRequest, SubmitMetricsRequest__Output as _fedtune_v1_SubmitMetricsRequest__Output } from '../../fedtune/v1/SubmitMetricsRequest.ts';
import type { UnmaskRequest as _fedtune_v1_UnmaskRequest, UnmaskRequest__Output as _fedtune_v1_UnmaskRequest__Output } from '../../fedtune/v1/UnmaskRequest.ts';
import type { UpdatePart as _fedtune_v1_UpdatePart, UpdatePart__Output as _fedtune_v1_UpdatePart__Output } from '../../fedtune/v1/UpdatePart.ts';

/**
 * The service that sites (hospital clients) call.
 */
export interface FederationClient extends grpc.Client {
  /**
   * SecAgg+ stage 0 (Bonawitz et al. 2017, Fig. 4, round 0): the site's two per-round public keys, signed.
   */
  AdvertiseKeys(argument: _fedtune_v1_AdvertiseKeysRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  AdvertiseKeys(argument: _fedtune_v1_AdvertiseKeysRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  AdvertiseKeys(argument: _fedtune_v1_AdvertiseKeysRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  AdvertiseKeys(argument: _fedtune_v1_AdvertiseKeysRequest, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  /**
   * SecAgg+ stage 0 (Bonawitz et al. 2017, Fig. 4, round 0): the site's two per-round public keys, signed.
   */
  advertiseKeys(argument: _fedtune_v1_AdvertiseKeysRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  advertiseKeys(argument: _fedtune_v1_AdvertiseKeysRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  advertiseKeys(argument: _fedtune_v1_AdvertiseKeysRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  advertiseKeys(argument: _fedtune_v1_AdvertiseKeysRequest, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  
  /**
   * The site declines a task it was given (for example, its privacy budget would be exceeded).
   */
  Decline(argument: _fedtune_v1_DeclineRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  Decline(argument: _fedtune_v1_DeclineRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  Decline(argument: _fedtune_v1_DeclineRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  Decline(argument: _fedtune_v1_DeclineRequest, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  /**
   * The site declines a task it was given (for example, its privacy budget would be exceeded).
   */
  decline(argument: _fedtune_v1_DeclineRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  decline(argument: _fedtune_v1_DeclineRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  decline(argument: _fedtune_v1_DeclineRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  decline(argument: _fedtune_v1_DeclineRequest, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  
  /**
   * he mode export at a site (`fedtune export --site-config`): the encrypted aggregates a site replays to
   * rebuild a round's global adapter, each behind a header carrying the SHA-256 recorded with its round.
   * Unlike Poll it does not mark the site online, so an exporting site is not picked for rounds.
   */
  ExportAggregates(argument: _fedtune_v1_ExportAggregatesRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_fedtune_v1_ExportPart__Output>;
  ExportAggregates(argument: _fedtune_v1_ExportAggregatesRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_fedtune_v1_ExportPart__Output>;
  /**
   * he mode export at a site (`fedtune export --site-config`): the encrypted aggregates a site replays to
   * rebuild a round's global adapter, each behind a header carrying the SHA-256 recorded with its round.
   * Unlike Poll it does not mark the site online, so an exporting site is not picked for rounds.
   */
  exportAggregates(argument: _fedtune_v1_ExportAggregatesRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_fedtune_v1_ExportPart__Output>;
  exportAggregates(argument: _fedtune_v1_ExportAggregatesRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_fedtune_v1_ExportPart__Output>;
  
  /**
   * Streams the global adapter of a version (float32), or in he mode the encrypted aggregate of a round.
   */
  FetchAdapter(argument: _fedtune_v1_FetchAdapterRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_fedtune_v1_DataChunk__Output>;
  FetchAdapter(argument: _fedtune_v1_FetchAdapterRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_fedtune_v1_DataChunk__Output>;
  /**
   * Streams the global adapter of a version (float32), or in he mode the encrypted aggregate of a round.
   */
  fetchAdapter(argument: _fedtune_v1_FetchAdapterRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_fedtune_v1_DataChunk__Output>;
  fetchAdapter(argument: _fedtune_v1_FetchAdapterRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_fedtune_v1_DataChunk__Output>;
  
  /**
   * he mode: a site downloads key material (the signed transcript, the collective key, the Shamir shares
   * sealed to it), a decryption's input (aggregate and accepted uploads), or a round's sealed shares.
   */
  FetchKeys(argument: _fedtune_v1_FetchKeysRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_fedtune_v1_KeyPart__Output>;
  FetchKeys(argument: _fedtune_v1_FetchKeysRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_fedtune_v1_KeyPart__Output>;
  /**
   * he mode: a site downloads key material (the signed transcript, the collective key, the Shamir shares
   * sealed to it), a decryption's input (aggregate and accepted uploads), or a round's sealed shares.
   */
  fetchKeys(argument: _fedtune_v1_FetchKeysRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_fedtune_v1_KeyPart__Output>;
  fetchKeys(argument: _fedtune_v1_FetchKeysRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_fedtune_v1_KeyPart__Output>;
  
  /**
   * Registers the calling site for the federation; checks the base model hash and binds the site's
   * SecAgg identity (Ed25519) key to its certificate identity. Idempotent for the same key.
   */
  Join(argument: _fedtune_v1_JoinRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _fedtune_v1_JoinRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _fedtune_v1_JoinRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _fedtune_v1_JoinRequest, callback: grpc.requestCallback<_fedtune_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Registers the calling site for the federation; checks the base model hash and binds the site's
   * SecAgg identity (Ed25519) key to its certificate identity. Idempotent for the same key.
   */
  join(argument: _fedtune_v1_JoinRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _fedtune_v1_JoinRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _fedtune_v1_JoinRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _fedtune_v1_JoinRequest, callback: grpc.requestCallback<_fedtune_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Long-poll for this site's next step (train, evaluate, a SecAgg stage, wait or finished).
   */
  Poll(argument: _fedtune_v1_PollRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_PollResponse__Output>): grpc.ClientUnaryCall;
  Poll(argument: _fedtune_v1_PollRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_PollResponse__Output>): grpc.ClientUnaryCall;
  Poll(argument: _fedtune_v1_PollRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_PollResponse__Output>): grpc.ClientUnaryCall;
  Poll(argument: _fedtune_v1_PollRequest, callback: grpc.requestCallback<_fedtune_v1_PollResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Long-poll for this site's next step (train, evaluate, a SecAgg stage, wait or finished).
   */
  poll(argument: _fedtune_v1_PollRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_PollResponse__Output>): grpc.ClientUnaryCall;
  poll(argument: _fedtune_v1_PollRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_PollResponse__Output>): grpc.ClientUnaryCall;
  poll(argument: _fedtune_v1_PollRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_PollResponse__Output>): grpc.ClientUnaryCall;
  poll(argument: _fedtune_v1_PollRequest, callback: grpc.requestCallback<_fedtune_v1_PollResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * he mode (threshold CKKS): a key holder uploads its ceremony contributions (nonce; public-key share
   * with its signature and one sealed Shamir share per holder) or its decryption share(s), as KeyBlobs.
   */
  PublishKeys(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientWritableStream<_fedtune_v1_KeyPart>;
  PublishKeys(metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientWritableStream<_fedtune_v1_KeyPart>;
  PublishKeys(options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientWritableStream<_fedtune_v1_KeyPart>;
  PublishKeys(callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientWritableStream<_fedtune_v1_KeyPart>;
  /**
   * he mode (threshold CKKS): a key holder uploads its ceremony contributions (nonce; public-key share
   * with its signature and one sealed Shamir share per holder) or its decryption share(s), as KeyBlobs.
   */
  publishKeys(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientWritableStream<_fedtune_v1_KeyPart>;
  publishKeys(metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientWritableStream<_fedtune_v1_KeyPart>;
  publishKeys(options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientWritableStream<_fedtune_v1_KeyPart>;
  publishKeys(callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientWritableStream<_fedtune_v1_KeyPart>;
  
  /**
   * SecAgg+ stage 1 (round 1): encrypted Shamir shares, one per neighbour.
   */
  ShareKeys(argument: _fedtune_v1_ShareKeysRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  ShareKeys(argument: _fedtune_v1_ShareKeysRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  ShareKeys(argument: _fedtune_v1_ShareKeysRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  ShareKeys(argument: _fedtune_v1_ShareKeysRequest, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  /**
   * SecAgg+ stage 1 (round 1): encrypted Shamir shares, one per neighbour.
   */
  shareKeys(argument: _fedtune_v1_ShareKeysRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  shareKeys(argument: _fedtune_v1_ShareKeysRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  shareKeys(argument: _fedtune_v1_ShareKeysRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  shareKeys(argument: _fedtune_v1_ShareKeysRequest, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  
  /**
   * SecAgg+ stage 3 (round 3, consistency check): the site's signature over the survivor list.
   */
  SignSurvivors(argument: _fedtune_v1_SignSurvivorsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  SignSurvivors(argument: _fedtune_v1_SignSurvivorsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  SignSurvivors(argument: _fedtune_v1_SignSurvivorsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  SignSurvivors(argument: _fedtune_v1_SignSurvivorsRequest, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  /**
   * SecAgg+ stage 3 (round 3, consistency check): the site's signature over the survivor list.
   */
  signSurvivors(argument: _fedtune_v1_SignSurvivorsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  signSurvivors(argument: _fedtune_v1_SignSurvivorsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  signSurvivors(argument: _fedtune_v1_SignSurvivorsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  signSurvivors(argument: _fedtune_v1_SignSurvivorsRequest, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  
  /**
   * Results of an evaluation task (aggregate metrics only, never per-example data).
   */
  SubmitMetrics(argument: _fedtune_v1_SubmitMetricsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  SubmitMetrics(argument: _fedtune_v1_SubmitMetricsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  SubmitMetrics(argument: _fedtune_v1_SubmitMetricsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  SubmitMetrics(argument: _fedtune_v1_SubmitMetricsRequest, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  /**
   * Results of an evaluation task (aggregate metrics only, never per-example data).
   */
  submitMetrics(argument: _fedtune_v1_SubmitMetricsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  submitMetrics(argument: _fedtune_v1_SubmitMetricsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  submitMetrics(argument: _fedtune_v1_SubmitMetricsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  submitMetrics(argument: _fedtune_v1_SubmitMetricsRequest, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  
  /**
   * Uploads a protected update: an UpdateHeader first, then DataChunk parts in order.
   */
  SubmitUpdate(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientWritableStream<_fedtune_v1_UpdatePart>;
  SubmitUpdate(metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientWritableStream<_fedtune_v1_UpdatePart>;
  SubmitUpdate(options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientWritableStream<_fedtune_v1_UpdatePart>;
  SubmitUpdate(callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientWritableStream<_fedtune_v1_UpdatePart>;
  /**
   * Uploads a protected update: an UpdateHeader first, then DataChunk parts in order.
   */
  submitUpdate(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientWritableStream<_fedtune_v1_UpdatePart>;
  submitUpdate(metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientWritableStream<_fedtune_v1_UpdatePart>;
  submitUpdate(options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientWritableStream<_fedtune_v1_UpdatePart>;
  submitUpdate(callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientWritableStream<_fedtune_v1_UpdatePart>;
  
  /**
   * SecAgg+ stage 4 (round 4, unmasking): shares of survivors' self-mask seeds and dropouts' mask keys.
   */
  Unmask(argument: _fedtune_v1_UnmaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  Unmask(argument: _fedtune_v1_UnmaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  Unmask(argument: _fedtune_v1_UnmaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  Unmask(argument: _fedtune_v1_UnmaskRequest, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  /**
   * SecAgg+ stage 4 (round 4, unmasking): shares of survivors' self-mask seeds and dropouts' mask keys.
   */
  unmask(argument: _fedtune_v1_UnmaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  unmask(argument: _fedtune_v1_UnmaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  unmask(argument: _fedtune_v1_UnmaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  unmask(argument: _fedtune_v1_UnmaskRequest, callback: grpc.requestCallback<_fedtune_v1_Ack__Output>): grpc.ClientUnaryCall;
  
}

/**
 * The service that sites (hospital clients) call.
 */
export interface FederationHandlers extends grpc.UntypedServiceImplementation {
  /**
   * SecAgg+ stage 0 (Bonawitz et al. 2017, Fig. 4, round 0): the site's two per-round public keys, signed.
   */
  AdvertiseKeys: grpc.handleUnaryCall<_fedtune_v1_AdvertiseKeysRequest__Output, _fedtune_v1_Ack>;
  
  /**
   * The site declines a task it was given (for example, its privacy budget would be exceeded).
   */
  Decline: grpc.handleUnaryCall<_fedtune_v1_DeclineRequest__Output, _fedtune_v1_Ack>;
  
  /**
   * he mode export at a site (`fedtune export --site-config`): the encrypted aggregates a site replays to
   * rebuild a round's global adapter, each behind a header carrying the SHA-256 recorded with its round.
   * Unlike Poll it does not mark the site online, so an exporting site is not picked for rounds.
   */
  ExportAggregates: grpc.handleServerStreamingCall<_fedtune_v1_ExportAggregatesRequest__Output, _fedtune_v1_ExportPart>;
  
  /**
   * Streams the global adapter of a version (float32), or in he mode the encrypted aggregate of a round.
   */
  FetchAdapter: grpc.handleServerStreamingCall<_fedtune_v1_FetchAdapterRequest__Output, _fedtune_v1_DataChunk>;
  
  /**
   * he mode: a site downloads key material (the signed transcript, the collective key, the Shamir shares
   * sealed to it), a decryption's input (aggregate and accepted uploads), or a round's sealed shares.
   */
  FetchKeys: grpc.handleServerStreamingCall<_fedtune_v1_FetchKeysRequest__Output, _fedtune_v1_KeyPart>;
  
  /**
   * Registers the calling site for the federation; checks the base model hash and binds the site's
   * SecAgg identity (Ed25519) key to its certificate identity. Idempotent for the same key.
   */
  Join: grpc.handleUnaryCall<_fedtune_v1_JoinRequest__Output, _fedtune_v1_JoinResponse>;
  
  /**
   * Long-poll for this site's next step (train, evaluate, a SecAgg stage, wait or finished).
   */
  Poll: grpc.handleUnaryCall<_fedtune_v1_PollRequest__Output, _fedtune_v1_PollResponse>;
  
  /**
   * he mode (threshold CKKS): a key holder uploads its ceremony contributions (nonce; public-key share
   * with its signature and one sealed Shamir share per holder) or its decryption share(s), as KeyBlobs.
   */
  PublishKeys: grpc.handleClientStreamingCall<_fedtune_v1_KeyPart__Output, _fedtune_v1_Ack>;
  
  /**
   * SecAgg+ stage 1 (round 1): encrypted Shamir shares, one per neighbour.
   */
  ShareKeys: grpc.handleUnaryCall<_fedtune_v1_ShareKeysRequest__Output, _fedtune_v1_Ack>;
  
  /**
   * SecAgg+ stage 3 (round 3, consistency check): the site's signature over the survivor list.
   */
  SignSurvivors: grpc.handleUnaryCall<_fedtune_v1_SignSurvivorsRequest__Output, _fedtune_v1_Ack>;
  
  /**
   * Results of an evaluation task (aggregate metrics only, never per-example data).
   */
  SubmitMetrics: grpc.handleUnaryCall<_fedtune_v1_SubmitMetricsRequest__Output, _fedtune_v1_Ack>;
  
  /**
   * Uploads a protected update: an UpdateHeader first, then DataChunk parts in order.
   */
  SubmitUpdate: grpc.handleClientStreamingCall<_fedtune_v1_UpdatePart__Output, _fedtune_v1_Ack>;
  
  /**
   * SecAgg+ stage 4 (round 4, unmasking): shares of survivors' self-mask seeds and dropouts' mask keys.
   */
  Unmask: grpc.handleUnaryCall<_fedtune_v1_UnmaskRequest__Output, _fedtune_v1_Ack>;
  
}

export interface FederationDefinition extends grpc.ServiceDefinition {
  AdvertiseKeys: MethodDefinition<_fedtune_v1_AdvertiseKeysRequest, _fedtune_v1_Ack, _fedtune_v1_AdvertiseKeysRequest__Output, _fedtune_v1_Ack__Output>
  Decline: MethodDefinition<_fedtune_v1_DeclineRequest, _fedtune_v1_Ack, _fedtune_v1_DeclineRequest__Output, _fedtune_v1_Ack__Output>
  ExportAggregates: MethodDefinition<_fedtune_v1_ExportAggregatesRequest, _fedtune_v1_ExportPart, _fedtune_v1_ExportAggregatesRequest__Output, _fedtune_v1_ExportPart__Output>
  FetchAdapter: MethodDefinition<_fedtune_v1_FetchAdapterRequest, _fedtune_v1_DataChunk, _fedtune_v1_FetchAdapterRequest__Output, _fedtune_v1_DataChunk__Output>
  FetchKeys: MethodDefinition<_fedtune_v1_FetchKeysRequest, _fedtune_v1_KeyPart, _fedtune_v1_FetchKeysRequest__Output, _fedtune_v1_KeyPart__Output>
  Join: MethodDefinition<_fedtune_v1_JoinRequest, _fedtune_v1_JoinResponse, _fedtune_v1_JoinRequest__Output, _fedtune_v1_JoinResponse__Output>
  Poll: MethodDefinition<_fedtune_v1_PollRequest, _fedtune_v1_PollResponse, _fedtune_v1_PollRequest__Output, _fedtune_v1_PollResponse__Output>
  PublishKeys: MethodDefinition<_fedtune_v1_KeyPart, _fedtune_v1_Ack, _fedtune_v1_KeyPart__Output, _fedtune_v1_Ack__Output>
  ShareKeys: MethodDefinition<_fedtune_v1_ShareKeysRequest, _fedtune_v1_Ack, _fedtune_v1_ShareKeysRequest__Output, _fedtune_v1_Ack__Output>
  SignSurvivors: MethodDefinition<_fedtune_v1_SignSurvivorsRequest, _fedtune_v1_Ack, _fedtune_v1_SignSurvivorsRequest__Output, _fedtune_v1_Ack__Output>
  SubmitMetrics: MethodDefinition<_fedtune_v1_SubmitMetricsRequest, _fedtune_v1_Ack, _fedtune_v1_SubmitMetricsRequest__Output, _fedtune_v1_Ack__Output>
  SubmitUpdate: MethodDefinition<_fedtune_v1_UpdatePart, _fedtune_v1_Ack, _fedtune_v1_UpdatePart__Output, _fedtune_v1_Ack__Output>
  Unmask: MethodDefinition<_fedtune_v1_UnmaskRequest, _fedtune_v1_Ack, _fedtune_v1_UnmaskRequest__Output, _fedtune_v1_Ack__Output>
}

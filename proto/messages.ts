// zod schemas for every decoded fedtune.v1 message (STYLE.md item 7) and the trusted types they yield.
import { z } from "zod";
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES, X25519_KEY_BYTES } from "../crypto/keys.ts";
import { ENCRYPTED_SHARE_BYTES, SELF_MASK_COMMITMENT_BYTES } from "../crypto/secagg/messages.ts";
import { SESSION_ID_BYTES } from "../crypto/secagg/round.ts";
import { IDENTITY_NAME_PATTERN } from "../crypto/pki/identity.ts";
import { SHAMIR_SHARE_BYTES } from "../crypto/shamir.ts";
import { CEREMONY_NONCE_BYTES } from "../crypto/ckks/collective-key.ts";
import { parseSiteId } from "../crypto/site-id.ts";
import type { JoinRequest as WireJoinRequest } from "./generated/fedtune/v1/JoinRequest.ts";
import type { JoinResponse as WireJoinResponse } from "./generated/fedtune/v1/JoinResponse.ts";
import type { PollRequest as WirePollRequest } from "./generated/fedtune/v1/PollRequest.ts";
import type { PollResponse as WirePollResponse } from "./generated/fedtune/v1/PollResponse.ts";
import type { FetchAdapterRequest as WireFetchAdapterRequest } from "./generated/fedtune/v1/FetchAdapterRequest.ts";
import type { DataChunk as WireDataChunk } from "./generated/fedtune/v1/DataChunk.ts";
import type { UpdatePart as WireUpdatePart } from "./generated/fedtune/v1/UpdatePart.ts";
import type { Ack as WireAck } from "./generated/fedtune/v1/Ack.ts";
import type { AdvertiseKeysRequest as WireAdvertiseKeysRequest } from "./generated/fedtune/v1/AdvertiseKeysRequest.ts";
import type { ShareKeysRequest as WireShareKeysRequest } from "./generated/fedtune/v1/ShareKeysRequest.ts";
import type { UnmaskRequest as WireUnmaskRequest } from "./generated/fedtune/v1/UnmaskRequest.ts";
import type { SignSurvivorsRequest as WireSignSurvivorsRequest } from "./generated/fedtune/v1/SignSurvivorsRequest.ts";
import type { SubmitMetricsRequest as WireSubmitMetricsRequest } from "./generated/fedtune/v1/SubmitMetricsRequest.ts";
import type { DeclineRequest as WireDeclineRequest } from "./generated/fedtune/v1/DeclineRequest.ts";
import type { KeyPart as WireKeyPart } from "./generated/fedtune/v1/KeyPart.ts";
import type { FetchKeysRequest as WireFetchKeysRequest } from "./generated/fedtune/v1/FetchKeysRequest.ts";
import type { ExportAggregatesRequest as WireExportAggregatesRequest } from "./generated/fedtune/v1/ExportAggregatesRequest.ts";
import type { ExportPart as WireExportPart } from "./generated/fedtune/v1/ExportPart.ts";
import {
  MAX_CHUNK_BYTES,
  MAX_KEY_BLOB_BYTES,
  MAX_METRICS,
  MAX_PARTICIPANTS,
  MAX_UPDATE_BYTES,
  MAX_VECTOR_LENGTH,
} from "./limits.ts";
import {
  u32,
  positiveU32,
  u64,
  finite,
  nonNegative,
  shortText,
  exactBytes,
  boundedBytes,
  certificateBytes,
  certificateSignatureBytes,
  crlBytes,
  type Assert,
  type Encodes,
} from "./wire-scalars.ts";

export const PRIVACY_MODES = ["none", "secagg", "he"] as const;
export type PrivacyMode = (typeof PRIVACY_MODES)[number];
export const privacyModeSchema = z.enum(PRIVACY_MODES);

export const joinRequestSchema = z.object({
  baseModelHash: z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase hex SHA-256"),
  identityKey: exactBytes(ED25519_PUBLIC_KEY_BYTES),
  keyBindingSignature: exactBytes(ED25519_SIGNATURE_BYTES),
  envelopePublicKey: exactBytes(X25519_KEY_BYTES),
  clientVersion: shortText,
  certificate: certificateBytes,
  certificateKeySignature: certificateSignatureBytes,
});
export type JoinRequest = z.output<typeof joinRequestSchema>;

const loraSettingsSchema = z.object({
  r: positiveU32.max(4096),
  alpha: finite.positive(),
  dropout: finite.min(0).lt(1),
  targetModules: z.array(z.string().min(1).max(64)).min(1).max(64),
  mode: z.enum(["ffa", "standard"]),
  seed: u32,
});
export type LoraSettings = z.output<typeof loraSettingsSchema>;

/** Site ids are certificate names (crypto/pki IDENTITY_NAME_PATTERN), branded once checked. */
export const siteIdSchema = z
  .string()
  .regex(IDENTITY_NAME_PATTERN, "must be a site id")
  .transform(parseSiteId);

export const joinResponseSchema = z.object({
  siteId: siteIdSchema,
  privacyMode: privacyModeSchema,
  vectorLength: u32.max(MAX_VECTOR_LENGTH),
  totalRounds: u32,
  federationName: shortText,
  lora: loraSettingsSchema,
  revocationList: crlBytes,
});
export type JoinResponse = z.output<typeof joinResponseSchema>;

/** A site's privacy ledger as it reports it (reported, not enforced, by the coordinator). */
export const ledgerReportSchema = z.object({
  epsilonSpent: nonNegative,
  epsilonBudget: nonNegative,
  delta: finite.min(0).max(1),
});
export type LedgerReport = z.output<typeof ledgerReportSchema>;

export const pollRequestSchema = z.object({
  waitMs: u32.max(60_000),
  ledger: ledgerReportSchema.nullable(),
});
export type PollRequest = z.output<typeof pollRequestSchema>;

const roundRefSchema = z.object({ round: positiveU32, attempt: positiveU32 });
export type RoundRef = z.output<typeof roundRefSchema>;

const trainingSettingsSchema = z.object({
  localSteps: u32,
  batchSize: positiveU32,
  learningRate: nonNegative,
  maxSeqLen: positiveU32,
  fedproxMu: nonNegative,
  seed: u32,
});
export type TrainingSettings = z.output<typeof trainingSettingsSchema>;

const privacySettingsSchema = z.object({
  mode: privacyModeSchema,
  clipNorm: nonNegative,
  noiseMultiplier: nonNegative,
  samplingRate: finite.min(0).max(1),
  delta: finite.min(0).max(1),
  dpLevel: z.enum(["none", "record", "site"]),
  minSurvivors: positiveU32,
  epsilonBudget: nonNegative,
  exampleClipNorm: nonNegative,
});
export type PrivacySettings = z.output<typeof privacySettingsSchema>;

/**
 * A peer's keys as the coordinator relays them: with the certificate and its signature over both keys
 * sent at Join, which the receiving site verifies against the CA (crypto/pki/key-binding.ts) before it
 * uses either key. SecAgg+ roster entries, key holders and decryption-share recipients all take this form.
 */
const certifiedPeerSchema = z.object({
  siteId: siteIdSchema,
  identityKey: exactBytes(ED25519_PUBLIC_KEY_BYTES),
  envelopePublicKey: exactBytes(X25519_KEY_BYTES),
  certificate: certificateBytes,
  certificateKeySignature: certificateSignatureBytes,
});
export type CertifiedPeer = z.output<typeof certifiedPeerSchema>;

/**
 * A SecAgg+ participant as one recipient sees it: its certificate and signature are carried only in the
 * recipient's own entry and its neighbours' (the only keys it uses; proto/secagg-steps.ts
 * secAggSettingsFor) and are empty elsewhere, so that a task costs O(n) bytes and a round O(n²) in
 * small keys rather than certificates. Every entry's identity key stays: the round-config hash covers them all.
 */
const rosterEntrySchema = certifiedPeerSchema.extend({
  certificate: certificateBytes.or(exactBytes(0)),
  certificateKeySignature: certificateSignatureBytes.or(exactBytes(0)),
});
export type RosterEntry = z.output<typeof rosterEntrySchema>;

const secAggSettingsSchema = z.object({
  roundId: u32,
  sessionId: exactBytes(SESSION_ID_BYTES),
  threshold: positiveU32,
  degree: positiveU32,
  vectorLength: positiveU32.max(MAX_VECTOR_LENGTH),
  clipRange: finite.positive(),
  maxSummands: positiveU32,
  maxExamples: positiveU32,
  roster: z.array(rosterEntrySchema).min(2).max(MAX_PARTICIPANTS),
});
export type SecAggSettings = z.output<typeof secAggSettingsSchema>;

/** A key holder of the threshold ceremony, with the keys bound at its Join. */
const keyHolderSchema = certifiedPeerSchema;
export type KeyHolder = z.output<typeof keyHolderSchema>;

export const HE_REVEALS = ["coordinator", "sites"] as const;
export type HeReveal = (typeof HE_REVEALS)[number];

const heSettingsSchema = z.object({
  keyId: z.string().min(1).max(128),
  versions: z.array(positiveU32).max(100_000),
  serverLearningRate: finite.positive(),
  maxExamples: positiveU32,
  threshold: positiveU32.max(MAX_PARTICIPANTS),
  reveal: z.enum(HE_REVEALS),
  holders: z.array(keyHolderSchema).min(1).max(MAX_PARTICIPANTS),
});
export type HeSettings = z.output<typeof heSettingsSchema>;

const trainTaskSchema = z.object({
  ref: roundRefSchema,
  globalVersion: u32,
  training: trainingSettingsSchema,
  privacy: privacySettingsSchema,
  secagg: secAggSettingsSchema.nullable(),
  participants: positiveU32.max(MAX_PARTICIPANTS),
  deadlineMs: positiveU32,
  he: heSettingsSchema.nullable(),
});
export type TrainTask = z.output<typeof trainTaskSchema>;

const evalTaskSchema = z.object({
  ref: roundRefSchema,
  globalVersion: u32,
  deadlineMs: positiveU32,
  he: heSettingsSchema.nullable(),
  secagg: secAggSettingsSchema.nullable(),
});
export type EvalTask = z.output<typeof evalTaskSchema>;

/** A site's fresh round keys, signed with its identity key (Bonawitz et al. 2017, Fig. 4, round 0). */
const keyAdvertisementFields = {
  encryptionPublicKey: exactBytes(X25519_KEY_BYTES),
  maskingPublicKey: exactBytes(X25519_KEY_BYTES),
  signature: exactBytes(ED25519_SIGNATURE_BYTES),
  selfMaskCommitment: exactBytes(SELF_MASK_COMMITMENT_BYTES),
};

const advertisedKeysSchema = z.object({ siteId: siteIdSchema, ...keyAdvertisementFields });
export type AdvertisedKeys = z.output<typeof advertisedKeysSchema>;

const encryptedShareSchema = z.object({
  recipient: siteIdSchema,
  ciphertext: exactBytes(ENCRYPTED_SHARE_BYTES),
});
const relayedShareSchema = z.object({
  sender: siteIdSchema,
  ciphertext: exactBytes(ENCRYPTED_SHARE_BYTES),
});

const siteList = z.array(siteIdSchema).max(MAX_PARTICIPANTS);

const shareKeysStepSchema = z.object({
  ref: roundRefSchema,
  advertisements: z.array(advertisedKeysSchema).max(MAX_PARTICIPANTS),
  deadlineMs: positiveU32,
});
const maskedInputStepSchema = z.object({
  ref: roundRefSchema,
  shares: z.array(relayedShareSchema).max(MAX_PARTICIPANTS),
  deadlineMs: positiveU32,
});
const consistencyStepSchema = z.object({
  ref: roundRefSchema,
  survivors: siteList,
  deadlineMs: positiveU32,
});
const siteSignatureSchema = z.object({
  siteId: siteIdSchema,
  signature: exactBytes(ED25519_SIGNATURE_BYTES),
});
const unmaskStepSchema = z.object({
  ref: roundRefSchema,
  survivors: siteList,
  signatures: z.array(siteSignatureSchema).max(MAX_PARTICIPANTS),
  deadlineMs: positiveU32,
});
const envelopeRecipientSchema = certifiedPeerSchema;
export type EnvelopeRecipient = z.output<typeof envelopeRecipientSchema>;
const keyIdSchema = z.string().min(1).max(128);

const keyCeremonyStepSchema = z.object({
  keyId: keyIdSchema,
  deadlineMs: positiveU32,
  stage: z.enum(["nonce", "share"]),
  threshold: positiveU32.max(MAX_PARTICIPANTS),
  holders: z.array(keyHolderSchema).min(1).max(MAX_PARTICIPANTS),
  nonces: z.array(exactBytes(CEREMONY_NONCE_BYTES)).max(MAX_PARTICIPANTS),
});
const decryptStepSchema = z.object({
  ref: roundRefSchema,
  he: heSettingsSchema,
  participants: z.array(positiveU32.max(MAX_PARTICIPANTS)).min(1).max(MAX_PARTICIPANTS),
  recipients: z.array(envelopeRecipientSchema).max(MAX_PARTICIPANTS),
  minUploads: positiveU32,
  deadlineMs: positiveU32,
});
export type ShareKeysStep = z.output<typeof shareKeysStepSchema>;
export type MaskedInputStep = z.output<typeof maskedInputStepSchema>;
export type ConsistencyStep = z.output<typeof consistencyStepSchema>;
export type UnmaskStep = z.output<typeof unmaskStepSchema>;
export type KeyCeremonyStep = z.output<typeof keyCeremonyStepSchema>;
export type DecryptStep = z.output<typeof decryptStepSchema>;

/** The oneof `step`: exactly one member, named by the virtual `step` field (oneofs: true). */
export const pollResponseSchema = z.discriminatedUnion("step", [
  z.object({ step: z.literal("wait"), wait: z.object({ retryAfterMs: u32.max(60_000) }) }),
  z.object({ step: z.literal("train"), train: trainTaskSchema }),
  z.object({ step: z.literal("eval"), eval: evalTaskSchema }),
  z.object({ step: z.literal("shareKeys"), shareKeys: shareKeysStepSchema }),
  z.object({ step: z.literal("maskedInput"), maskedInput: maskedInputStepSchema }),
  z.object({ step: z.literal("consistency"), consistency: consistencyStepSchema }),
  z.object({ step: z.literal("unmask"), unmask: unmaskStepSchema }),
  z.object({ step: z.literal("keyCeremony"), keyCeremony: keyCeremonyStepSchema }),
  z.object({ step: z.literal("finished"), finished: z.object({ completedRounds: u32 }) }),
  z.object({ step: z.literal("decrypt"), decrypt: decryptStepSchema }),
]);
export type PollResponse = z.output<typeof pollResponseSchema>;

export const fetchAdapterRequestSchema = z.object({ version: u32 });
export type FetchAdapterRequest = z.output<typeof fetchAdapterRequestSchema>;

export const dataChunkSchema = z.object({
  offset: u64,
  data: boundedBytes(MAX_CHUNK_BYTES, 1),
});
export type DataChunk = z.output<typeof dataChunkSchema>;

const UPDATE_ENCODINGS = ["plain", "masked", "ciphertext"] as const;
export type UpdateEncoding = (typeof UPDATE_ENCODINGS)[number];

const updateHeaderSchema = z.object({
  ref: roundRefSchema,
  encoding: z.enum(UPDATE_ENCODINGS),
  length: u64.pipe(z.number().min(1).max(MAX_UPDATE_BYTES)),
  numExamples: u32,
  trainLoss: finite,
});
export type UpdateHeader = z.output<typeof updateHeaderSchema>;

export const updatePartSchema = z.discriminatedUnion("part", [
  z.object({ part: z.literal("header"), header: updateHeaderSchema }),
  z.object({ part: z.literal("chunk"), chunk: dataChunkSchema }),
]);
export type UpdatePart = z.output<typeof updatePartSchema>;

export const ackSchema = z.object({ note: shortText });
export type Ack = z.output<typeof ackSchema>;

export const advertiseKeysRequestSchema = z.object({ ref: roundRefSchema, ...keyAdvertisementFields });
export type AdvertiseKeysRequest = z.output<typeof advertiseKeysRequestSchema>;

export const shareKeysRequestSchema = z.object({
  ref: roundRefSchema,
  shares: z.array(encryptedShareSchema).max(MAX_PARTICIPANTS),
});
export type ShareKeysRequest = z.output<typeof shareKeysRequestSchema>;

export const signSurvivorsRequestSchema = z.object({
  ref: roundRefSchema,
  signature: exactBytes(ED25519_SIGNATURE_BYTES),
});
export type SignSurvivorsRequest = z.output<typeof signSurvivorsRequestSchema>;

const revealedShareSchema = z.object({
  owner: siteIdSchema,
  share: exactBytes(SHAMIR_SHARE_BYTES),
});
export const unmaskRequestSchema = z.object({
  ref: roundRefSchema,
  selfMaskShares: z.array(revealedShareSchema).max(MAX_PARTICIPANTS),
  maskingKeyShares: z.array(revealedShareSchema).max(MAX_PARTICIPANTS),
});
export type UnmaskRequest = z.output<typeof unmaskRequestSchema>;

export const metricsSchema = z
  .record(z.string().min(1).max(64), finite)
  .refine((value) => Object.keys(value).length <= MAX_METRICS, { message: `at most ${MAX_METRICS} metrics` });

export const submitMetricsRequestSchema = z.object({
  ref: roundRefSchema,
  numExamples: u32,
  metrics: metricsSchema,
});
export type SubmitMetricsRequest = z.output<typeof submitMetricsRequestSchema>;

/**
 * trainer_failure: the site's trainer crashed, timed out or returned a result the site refused; site_policy: the
 * site's own policy (client/node/run-policy.ts) refuses the task's settings.
 */
const DECLINE_REASONS = [
  "privacy_budget",
  "model_mismatch",
  "trainer_failure",
  "site_policy",
  "internal",
] as const;
export type DeclineReason = (typeof DECLINE_REASONS)[number];
/** Longest decline detail the coordinator accepts, in UTF-16 code units. */
export const DECLINE_DETAIL_MAX = 1024;
export const declineRequestSchema = z.object({
  ref: roundRefSchema,
  reason: z.enum(DECLINE_REASONS),
  detail: z.string().max(DECLINE_DETAIL_MAX),
});
export type DeclineRequest = z.output<typeof declineRequestSchema>;

export const KEY_BLOB_KINDS = [
  "nonce",
  "public-key-share",
  "public-key",
  "key-share",
  "decryption-share",
  "share-key",
  "aggregate",
  "upload",
] as const;
export type KeyBlobKind = (typeof KEY_BLOB_KINDS)[number];

const keyBlobHeaderSchema = z.object({
  keyId: keyIdSchema,
  recipient: z.union([z.literal(""), siteIdSchema]),
  length: u64.pipe(z.number().min(1).max(MAX_KEY_BLOB_BYTES)),
  // Empty in PublishKeys (the caller is the sealer); set in FetchKeys for sealed blobs.
  sealerSiteId: z.union([z.literal(""), siteIdSchema]),
  kind: z.enum(KEY_BLOB_KINDS),
  ref: roundRefSchema.nullable(),
});
export type KeyBlobHeader = z.output<typeof keyBlobHeaderSchema>;

export const keyPartSchema = z.discriminatedUnion("part", [
  z.object({ part: z.literal("header"), header: keyBlobHeaderSchema }),
  z.object({ part: z.literal("chunk"), chunk: dataChunkSchema }),
]);
export type KeyPart = z.output<typeof keyPartSchema>;

export const fetchKeysRequestSchema = z.object({
  keyId: keyIdSchema,
  kind: z.enum(["key-material", "decryption-input", "round-shares"]),
  ref: roundRefSchema.nullable(),
});
export type FetchKeysRequest = z.output<typeof fetchKeysRequestSchema>;

/** round 0 asks for the last completed training round. */
export const exportAggregatesRequestSchema = z.object({ round: u32, runId: u32 });
export type ExportAggregatesRequest = z.output<typeof exportAggregatesRequestSchema>;

const exportManifestSchema = z.object({
  siteId: siteIdSchema,
  round: positiveU32,
  keyId: keyIdSchema,
  serverLearningRate: finite.positive(),
  vectorLength: positiveU32.max(MAX_VECTOR_LENGTH),
  lora: loraSettingsSchema,
  versions: z.array(positiveU32).min(1).max(100_000),
  threshold: positiveU32.max(MAX_PARTICIPANTS),
  holders: z.array(keyHolderSchema).min(1).max(MAX_PARTICIPANTS),
});
export type ExportManifest = z.output<typeof exportManifestSchema>;

const aggregateHeaderSchema = z.object({
  round: positiveU32,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase hex SHA-256"),
  length: u64.pipe(z.number().min(1).max(MAX_UPDATE_BYTES)),
});
export type AggregateHeader = z.output<typeof aggregateHeaderSchema>;

export const exportPartSchema = z.discriminatedUnion("part", [
  z.object({ part: z.literal("manifest"), manifest: exportManifestSchema }),
  z.object({ part: z.literal("aggregate"), aggregate: aggregateHeaderSchema }),
  z.object({ part: z.literal("chunk"), chunk: dataChunkSchema }),
  z.object({ part: z.literal("share"), share: keyBlobHeaderSchema }),
]);
export type ExportPart = z.output<typeof exportPartSchema>;

export const emptySchema = z.object({});

/**
 * Compile-time proof that every trusted type can be handed to the generated encoder: if the .proto and
 * these schemas drift apart, typechecking fails here.
 */
export type SchemasMatchWire = [
  Assert<Encodes<JoinRequest, WireJoinRequest>>,
  Assert<Encodes<JoinResponse, WireJoinResponse>>,
  Assert<Encodes<PollRequest, WirePollRequest>>,
  Assert<Encodes<PollResponse, WirePollResponse>>,
  Assert<Encodes<FetchAdapterRequest, WireFetchAdapterRequest>>,
  Assert<Encodes<DataChunk, WireDataChunk>>,
  Assert<Encodes<UpdatePart, WireUpdatePart>>,
  Assert<Encodes<Ack, WireAck>>,
  Assert<Encodes<AdvertiseKeysRequest, WireAdvertiseKeysRequest>>,
  Assert<Encodes<ShareKeysRequest, WireShareKeysRequest>>,
  Assert<Encodes<UnmaskRequest, WireUnmaskRequest>>,
  Assert<Encodes<SignSurvivorsRequest, WireSignSurvivorsRequest>>,
  Assert<Encodes<SubmitMetricsRequest, WireSubmitMetricsRequest>>,
  Assert<Encodes<DeclineRequest, WireDeclineRequest>>,
  Assert<Encodes<KeyPart, WireKeyPart>>,
  Assert<Encodes<FetchKeysRequest, WireFetchKeysRequest>>,
  Assert<Encodes<ExportAggregatesRequest, WireExportAggregatesRequest>>,
  Assert<Encodes<ExportPart, WireExportPart>>,
];

// Original file: proto/fedtune.proto

import type { LoraSettings as _fedtune_v1_LoraSettings, LoraSettings__Output as _fedtune_v1_LoraSettings__Output } from '../../fedtune/v1/LoraSettings.ts';

/**
 * The federation's answer to Join.
 */
export interface JoinResponse {
  /**
   * The site id the coordinator read from the certificate (echoed so the site can log it).
   */
  'siteId'?: (string);
  /**
   * Privacy mode of the federation: "none", "secagg" or "he".
   */
  'privacyMode'?: (string);
  /**
   * Number of trainable adapter parameters (the length of every update vector).
   */
  'vectorLength'?: (number);
  /**
   * Total number of rounds the federation plans to run.
   */
  'totalRounds'?: (number);
  /**
   * The federation's name, for logs.
   */
  'federationName'?: (string);
  /**
   * LoRA settings every site must train with (FFA-LoRA by default: A frozen from the shared seed).
   */
  'lora'?: (_fedtune_v1_LoraSettings | null);
  /**
   * The consortium CA's current revocation list (X.509 CRL, DER; empty when none was issued), relayed
   * unchanged: the site checks its CA signature, nextUpdate and CRL number (never below the highest it
   * has seen) and refuses peer keys of revoked sites.
   */
  'revocationList'?: (Buffer | Uint8Array | string);
}

/**
 * The federation's answer to Join.
 */
export interface JoinResponse__Output {
  /**
   * The site id the coordinator read from the certificate (echoed so the site can log it).
   */
  'siteId': (string);
  /**
   * Privacy mode of the federation: "none", "secagg" or "he".
   */
  'privacyMode': (string);
  /**
   * Number of trainable adapter parameters (the length of every update vector).
   */
  'vectorLength': (number);
  /**
   * Total number of rounds the federation plans to run.
   */
  'totalRounds': (number);
  /**
   * The federation's name, for logs.
   */
  'federationName': (string);
  /**
   * LoRA settings every site must train with (FFA-LoRA by default: A frozen from the shared seed).
   */
  'lora': (_fedtune_v1_LoraSettings__Output | null);
  /**
   * The consortium CA's current revocation list (X.509 CRL, DER; empty when none was issued), relayed
   * unchanged: the site checks its CA signature, nextUpdate and CRL number (never below the highest it
   * has seen) and refuses peer keys of revoked sites.
   */
  'revocationList': (Buffer);
}

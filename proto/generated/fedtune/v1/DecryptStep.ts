// Original file: proto/fedtune.proto

import type { RoundRef as _fedtune_v1_RoundRef, RoundRef__Output as _fedtune_v1_RoundRef__Output } from '../../fedtune/v1/RoundRef.ts';
import type { HeSettings as _fedtune_v1_HeSettings, HeSettings__Output as _fedtune_v1_HeSettings__Output } from '../../fedtune/v1/HeSettings.ts';
import type { EnvelopeRecipient as _fedtune_v1_EnvelopeRecipient, EnvelopeRecipient__Output as _fedtune_v1_EnvelopeRecipient__Output } from '../../fedtune/v1/EnvelopeRecipient.ts';

/**
 * he mode: answer with a decryption share of the round's aggregate (FetchKeys kind "decryption-input"
 * gives the c1 polynomials of the aggregate and of the accepted uploads the holder checks it against).
 */
export interface DecryptStep {
  /**
   * The round try whose aggregate is decrypted.
   */
  'ref'?: (_fedtune_v1_RoundRef | null);
  /**
   * The ceremony, threshold, reveal setting and holders.
   */
  'he'?: (_fedtune_v1_HeSettings | null);
  /**
   * Holder indices of the answering set T (the Lagrange weights are computed over it).
   */
  'participants'?: (number)[];
  /**
   * reveal "sites": the sites each share is sealed to; empty for reveal "coordinator".
   */
  'recipients'?: (_fedtune_v1_EnvelopeRecipient)[];
  /**
   * Fewest accepted uploads the aggregate must sum (a holder never answers for fewer than 2).
   */
  'minUploads'?: (number);
  /**
   * Milliseconds left to answer.
   */
  'deadlineMs'?: (number);
}

/**
 * he mode: answer with a decryption share of the round's aggregate (FetchKeys kind "decryption-input"
 * gives the c1 polynomials of the aggregate and of the accepted uploads the holder checks it against).
 */
export interface DecryptStep__Output {
  /**
   * The round try whose aggregate is decrypted.
   */
  'ref': (_fedtune_v1_RoundRef__Output | null);
  /**
   * The ceremony, threshold, reveal setting and holders.
   */
  'he': (_fedtune_v1_HeSettings__Output | null);
  /**
   * Holder indices of the answering set T (the Lagrange weights are computed over it).
   */
  'participants': (number)[];
  /**
   * reveal "sites": the sites each share is sealed to; empty for reveal "coordinator".
   */
  'recipients': (_fedtune_v1_EnvelopeRecipient__Output)[];
  /**
   * Fewest accepted uploads the aggregate must sum (a holder never answers for fewer than 2).
   */
  'minUploads': (number);
  /**
   * Milliseconds left to answer.
   */
  'deadlineMs': (number);
}

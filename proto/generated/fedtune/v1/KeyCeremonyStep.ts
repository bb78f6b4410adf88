// Original file: proto/fedtune.proto

import type { EnvelopeRecipient as _fedtune_v1_EnvelopeRecipient, EnvelopeRecipient__Output as _fedtune_v1_EnvelopeRecipient__Output } from '../../fedtune/v1/EnvelopeRecipient.ts';

/**
 * he mode key ceremony (crypto/ckks/key-ceremony.ts): one dealer site seals the consortium secret key
 * to every keyed site; the coordinator only relays opaque envelopes. A site that joins after the ceremony
 * is keyed by a handoff: a key holder seals the key it holds to the newcomer.
 */
export interface KeyCeremonyStep {
  /**
   * True when this site must generate the consortium key and publish one envelope per recipient; false
   * for a handoff: open this site's own envelope (FetchKeys) and seal that key to each recipient.
   */
  'dealer'?: (boolean);
  /**
   * Identifies the ceremony; bound into every envelope.
   */
  'keyId'?: (string);
  /**
   * The dealer's site id.
   */
  'dealerSiteId'?: (string);
  /**
   * The dealer's X25519 envelope public key (32 bytes), as bound at its Join.
   */
  'dealerEnvelopePublicKey'?: (Buffer | Uint8Array | string);
  /**
   * Sites to seal the key to: every keyed site, the dealer included (ceremony), or the sites keyed late (handoff).
   */
  'recipients'?: (_fedtune_v1_EnvelopeRecipient)[];
  /**
   * Milliseconds left for this stage.
   */
  'deadlineMs'?: (number);
}

/**
 * he mode key ceremony (crypto/ckks/key-ceremony.ts): one dealer site seals the consortium secret key
 * to every keyed site; the coordinator only relays opaque envelopes. A site that joins after the ceremony
 * is keyed by a handoff: a key holder seals the key it holds to the newcomer.
 */
export interface KeyCeremonyStep__Output {
  /**
   * True when this site must generate the consortium key and publish one envelope per recipient; false
   * for a handoff: open this site's own envelope (FetchKeys) and seal that key to each recipient.
   */
  'dealer': (boolean);
  /**
   * Identifies the ceremony; bound into every envelope.
   */
  'keyId': (string);
  /**
   * The dealer's site id.
   */
  'dealerSiteId': (string);
  /**
   * The dealer's X25519 envelope public key (32 bytes), as bound at its Join.
   */
  'dealerEnvelopePublicKey': (Buffer);
  /**
   * Sites to seal the key to: every keyed site, the dealer included (ceremony), or the sites keyed late (handoff).
   */
  'recipients': (_fedtune_v1_EnvelopeRecipient__Output)[];
  /**
   * Milliseconds left for this stage.
   */
  'deadlineMs': (number);
}

// Original file: proto/fedtune.proto


/**
 * he mode settings: how a site rebuilds the global adapter from encrypted aggregates it decrypts itself.
 */
export interface HeSettings {
  /**
   * The key ceremony whose consortium key encrypts this round.
   */
  'keyId'?: (string);
  /**
   * Every completed training round up to the task's global version, oldest first: a site replays the
   * encrypted aggregates of those it has not applied yet.
   */
  'versions'?: (number)[];
  /**
   * FedAvg server learning rate η: global += η · Σw·Δ / Σw.
   */
  'serverLearningRate'?: (number | string);
  /**
   * Largest example count n_k a site may report; it encrypts n_k / max_examples as the weight.
   */
  'maxExamples'?: (number);
  /**
   * The key ceremony's dealer, whose envelope key every site checks its envelope against.
   */
  'dealerSiteId'?: (string);
  /**
   * The dealer's X25519 envelope public key (32 bytes), as bound at its Join.
   */
  'dealerEnvelopePublicKey'?: (Buffer | Uint8Array | string);
}

/**
 * he mode settings: how a site rebuilds the global adapter from encrypted aggregates it decrypts itself.
 */
export interface HeSettings__Output {
  /**
   * The key ceremony whose consortium key encrypts this round.
   */
  'keyId': (string);
  /**
   * Every completed training round up to the task's global version, oldest first: a site replays the
   * encrypted aggregates of those it has not applied yet.
   */
  'versions': (number)[];
  /**
   * FedAvg server learning rate η: global += η · Σw·Δ / Σw.
   */
  'serverLearningRate': (number);
  /**
   * Largest example count n_k a site may report; it encrypts n_k / max_examples as the weight.
   */
  'maxExamples': (number);
  /**
   * The key ceremony's dealer, whose envelope key every site checks its envelope against.
   */
  'dealerSiteId': (string);
  /**
   * The dealer's X25519 envelope public key (32 bytes), as bound at its Join.
   */
  'dealerEnvelopePublicKey': (Buffer);
}

// Original file: proto/fedtune.proto

import type { LoraSettings as _fedtune_v1_LoraSettings, LoraSettings__Output as _fedtune_v1_LoraSettings__Output } from '../../fedtune/v1/LoraSettings.ts';
import type { KeyHolder as _fedtune_v1_KeyHolder, KeyHolder__Output as _fedtune_v1_KeyHolder__Output } from '../../fedtune/v1/KeyHolder.ts';

/**
 * How a site turns encrypted aggregates into the global adapter of a round.
 */
export interface ExportManifest {
  /**
   * The calling site's id, read from its certificate (its key envelope is bound to this name).
   */
  'siteId'?: (string);
  /**
   * The training round exported (the global adapter's version).
   */
  'round'?: (number);
  /**
   * The key ceremony whose collective key encrypts the aggregates.
   */
  'keyId'?: (string);
  /**
   * FedAvg server learning rate η: global += η · Σw·Δ / Σw per aggregate.
   */
  'serverLearningRate'?: (number | string);
  /**
   * Number of trainable adapter parameters (each aggregate decrypts to this many values plus Σw).
   */
  'vectorLength'?: (number);
  /**
   * LoRA settings of the federation (shapes and names of the PEFT adapter written).
   */
  'lora'?: (_fedtune_v1_LoraSettings | null);
  /**
   * Every completed training round up to `round`, oldest first; one aggregate follows per entry, then
   * `threshold` decryption shares of it sealed to the calling site.
   */
  'versions'?: (number)[];
  /**
   * Decryption threshold t.
   */
  'threshold'?: (number);
  /**
   * The key holders with their certificates, as at the ceremony: the site opens each decryption share
   * with its sealer's certified envelope key, never with the key a share's header names.
   */
  'holders'?: (_fedtune_v1_KeyHolder)[];
}

/**
 * How a site turns encrypted aggregates into the global adapter of a round.
 */
export interface ExportManifest__Output {
  /**
   * The calling site's id, read from its certificate (its key envelope is bound to this name).
   */
  'siteId': (string);
  /**
   * The training round exported (the global adapter's version).
   */
  'round': (number);
  /**
   * The key ceremony whose collective key encrypts the aggregates.
   */
  'keyId': (string);
  /**
   * FedAvg server learning rate η: global += η · Σw·Δ / Σw per aggregate.
   */
  'serverLearningRate': (number);
  /**
   * Number of trainable adapter parameters (each aggregate decrypts to this many values plus Σw).
   */
  'vectorLength': (number);
  /**
   * LoRA settings of the federation (shapes and names of the PEFT adapter written).
   */
  'lora': (_fedtune_v1_LoraSettings__Output | null);
  /**
   * Every completed training round up to `round`, oldest first; one aggregate follows per entry, then
   * `threshold` decryption shares of it sealed to the calling site.
   */
  'versions': (number)[];
  /**
   * Decryption threshold t.
   */
  'threshold': (number);
  /**
   * The key holders with their certificates, as at the ceremony: the site opens each decryption share
   * with its sealer's certified envelope key, never with the key a share's header names.
   */
  'holders': (_fedtune_v1_KeyHolder__Output)[];
}

// Original file: proto/fedtune.proto


/**
 * Privacy settings for one round.
 */
export interface PrivacySettings {
  /**
   * "none", "secagg" or "he".
   */
  'mode'?: (string);
  /**
   * L2 norm every site clips its update Δ to (0 = no clipping).
   */
  'clipNorm'?: (number | string);
  /**
   * Client-level DP noise multiplier z; each site adds N(0, (z·clip_norm)²/participants) (0 = no DP).
   */
  'noiseMultiplier'?: (number | string);
  /**
   * Probability that a site is picked in a round (for the site's privacy accountant).
   */
  'samplingRate'?: (number | string);
  /**
   * DP δ the site accounts ε at.
   */
  'delta'?: (number | string);
  /**
   * "none", "record" (DP-SGD at each site) or "site" (client-level DP on the update).
   */
  'dpLevel'?: (string);
  /**
   * Fewest surviving sites whose noise shares reach the sum (each adds N(0, z²C²/min_survivors)).
   */
  'minSurvivors'?: (number);
  /**
   * The federation's ε budget per site (a site may hold a smaller one of its own).
   */
  'epsilonBudget'?: (number | string);
  /**
   * dp_level "record": the L2 norm DP-SGD clips each example's gradient to (0 otherwise).
   */
  'exampleClipNorm'?: (number | string);
}

/**
 * Privacy settings for one round.
 */
export interface PrivacySettings__Output {
  /**
   * "none", "secagg" or "he".
   */
  'mode': (string);
  /**
   * L2 norm every site clips its update Δ to (0 = no clipping).
   */
  'clipNorm': (number);
  /**
   * Client-level DP noise multiplier z; each site adds N(0, (z·clip_norm)²/participants) (0 = no DP).
   */
  'noiseMultiplier': (number);
  /**
   * Probability that a site is picked in a round (for the site's privacy accountant).
   */
  'samplingRate': (number);
  /**
   * DP δ the site accounts ε at.
   */
  'delta': (number);
  /**
   * "none", "record" (DP-SGD at each site) or "site" (client-level DP on the update).
   */
  'dpLevel': (string);
  /**
   * Fewest surviving sites whose noise shares reach the sum (each adds N(0, z²C²/min_survivors)).
   */
  'minSurvivors': (number);
  /**
   * The federation's ε budget per site (a site may hold a smaller one of its own).
   */
  'epsilonBudget': (number);
  /**
   * dp_level "record": the L2 norm DP-SGD clips each example's gradient to (0 otherwise).
   */
  'exampleClipNorm': (number);
}

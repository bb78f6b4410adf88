// Original file: proto/fedtune.proto


/**
 * A site's privacy ledger as the site reports it (client/node/site-state.ts LedgerFile).
 */
export interface LedgerReport {
  /**
   * ε charged so far at the ledger's δ, against the coordinator (client-level DP: each participated
   * round at q = 1; DP-SGD: the steps run at the site's own q).
   */
  'epsilonSpent'?: (number | string);
  /**
   * The ledger's ε cap (the tighter of the site's and the federation's).
   */
  'epsilonBudget'?: (number | string);
  /**
   * The ledger's δ.
   */
  'delta'?: (number | string);
}

/**
 * A site's privacy ledger as the site reports it (client/node/site-state.ts LedgerFile).
 */
export interface LedgerReport__Output {
  /**
   * ε charged so far at the ledger's δ, against the coordinator (client-level DP: each participated
   * round at q = 1; DP-SGD: the steps run at the site's own q).
   */
  'epsilonSpent': (number);
  /**
   * The ledger's ε cap (the tighter of the site's and the federation's).
   */
  'epsilonBudget': (number);
  /**
   * The ledger's δ.
   */
  'delta': (number);
}

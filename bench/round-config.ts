// The federation config of the aggregation-only round benchmarks: one round, SecAgg+ degree O(log n), 60% must survive.
import { join } from "node:path";
import { parseFederationConfig } from "../coordinator/config.ts";
import type { FederationConfig } from "../coordinator/config.ts";
import type { LoraConfig } from "../model/peft.ts";
import type { PrivacyMode } from "../proto/messages.ts";

export function benchRoundConfig(options: {
  readonly mode: PrivacyMode;
  readonly sites: number;
  readonly lora: LoraConfig;
  readonly baseModelHash: string;
  readonly listen: string;
  readonly dir: string;
  /**
   * How long the masked-input stage waits for sites that vanished after sharing their keys (the
   * `shareKeysMs` deadline); every other deadline is generous, so that a slow machine never turns work
   * into dropouts.
   */
  readonly maskedInputDeadlineMs?: number;
}): FederationConfig {
  const { sites } = options;
  return parseFederationConfig(
    {
      baseModel: { source: "builtin", sha256: options.baseModelHash },
      lora: { ...options.lora },
      rounds: 1,
      privacy: {
        mode: options.mode,
        // SecAgg+ (Bell et al. 2020): a logarithmic neighbourhood keeps each site's work O(log n).
        secagg: { neighbourDegree: Math.min(sites - 1, 2 * Math.ceil(Math.log2(sites)) + 1) },
      },
      sitesPerRound: { fraction: 1, minimum: Math.max(2, Math.ceil(sites * 0.6)) },
      tls: { caCert: "unused", cert: "unused", key: "unused" },
      listen: options.listen,
      storageDir: join(options.dir, "coordinator"),
      deadlines: {
        joinMs: 600_000,
        trainMs: 1_800_000,
        advertiseKeysMs: 600_000,
        shareKeysMs: options.maskedInputDeadlineMs ?? 600_000,
        unmaskMs: 600_000,
        evalMs: 1_800_000,
        keyCeremonyMs: 600_000,
      },
    },
    "bench",
    options.dir,
  );
}

// `fedtune export --round N --out <dir>`: a round's global adapter as an HF PEFT folder.
import type { Command } from "../command.ts";
import { UsageError } from "../command.ts";
import { ConfigError, loadFederationConfig } from "../../coordinator/config.ts";
import { describeConfiguredAdapter } from "../../coordinator/server.ts";
import { DurableState } from "../../coordinator/service/durable-state.ts";
import { loraTensorsFromFlat, writePeftAdapter } from "../../model/peft.ts";

export const exportCommand: Command = {
  path: ["export"],
  summary: "Write a round's global adapter as a PEFT folder",
  details:
    "Reads the coordinator's state (storageDir of --config), checks the round's checkpoint against the " +
    "SHA-256 recorded with it, and writes adapter_model.safetensors + adapter_config.json. In he mode " +
    "the coordinator only ever holds the encrypted aggregate: the plaintext adapter exists only at the " +
    "sites, so there the export must run at a site, which holds the consortium key.",
  options: {
    config: {
      type: "string",
      description: "Federation config (YAML or JSON)",
      defaultText: "coordinator.yaml",
    },
    round: {
      type: "string",
      description: "Training round whose global adapter to export (default: the last)",
    },
    out: { type: "string", description: "Folder to write the PEFT adapter into" },
  },
  async run(args, ctx) {
    const out = args.requireString("out");
    let config;
    try {
      config = loadFederationConfig(args.string("config") ?? "coordinator.yaml");
    } catch (error) {
      if (error instanceof ConfigError) {
        ctx.logger.error({ problems: error.problems }, error.message);
        return 2;
      }
      throw error;
    }
    if (config.privacy.mode === "he") {
      ctx.logger.error(
        "privacy mode he: the coordinator holds only the encrypted aggregate; the plaintext adapter exists only at the sites, so export it at a site",
      );
      return 1;
    }
    const adapter = await describeConfiguredAdapter(config, ctx.logger);
    const state = DurableState.open(config.storageDir, adapter.spec);
    try {
      const trained = state
        .rounds()
        .filter((r) => r.kind === "train" && r.outcome === "completed")
        .map((r) => r.round);
      const round = args.integer("round") ?? trained.at(-1);
      if (round === undefined) {
        ctx.logger.error("no training round has completed yet");
        return 1;
      }
      if (!trained.includes(round))
        throw new UsageError(
          `round ${round} is not a completed training round (completed: ${trained.join(", ") || "none"})`,
        );
      const checkpoint = await state.checkpoint(round);
      if (checkpoint?.model.kind !== "plain")
        throw new UsageError(`round ${round} has no plaintext checkpoint`);
      const { spec } = adapter;
      await writePeftAdapter(
        out,
        loraTensorsFromFlat(spec.model, spec.lora, checkpoint.model.vector),
        spec.lora,
        {
          baseModelNameOrPath: spec.baseModelNameOrPath,
        },
      );
      ctx.print(JSON.stringify({ round, out, checkpointSha256: checkpoint.sha256 }));
      return 0;
    } finally {
      state.close();
    }
  },
};

// `fedtune coordinator start|check`: runs the coordinator server from a federation config, or checks it can start.
import type { CliContext, Command, ParsedArgs } from "../command.ts";
import { ConfigError, loadFederationConfig, type FederationConfig } from "../../coordinator/config.ts";
import { startCoordinator, type CoordinatorHandle } from "../../coordinator/server.ts";
import { coordinatorPreflight } from "../../coordinator/startup-checks.ts";
import { printCheckTable } from "../check-table.ts";

/** The config, or undefined after logging every problem (exit 2). */
function readConfig(args: ParsedArgs, ctx: CliContext): FederationConfig | undefined {
  try {
    return loadFederationConfig(args.string("config") ?? "coordinator.yaml");
  } catch (error) {
    if (error instanceof ConfigError) {
      ctx.logger.error({ problems: error.problems }, error.message);
      return undefined;
    }
    throw error;
  }
}

const configOption = {
  type: "string",
  description: "Federation config (YAML or JSON)",
  defaultText: "coordinator.yaml",
} as const;

export const coordinatorCheckCommand: Command = {
  path: ["coordinator", "check"],
  summary: "Check that the coordinator can start, without starting it",
  details:
    "Runs every start-up check (config, every path, the certificate's role, CA, dates and key, the " +
    "base model's hash, free ports) and prints a table. Exit 0 only when all pass.",
  options: { config: configOption, json: { type: "boolean", description: "JSON lines instead of a table" } },
  async run(args, ctx) {
    const config = readConfig(args, ctx);
    if (config === undefined) return 2;
    return printCheckTable(ctx, await coordinatorPreflight(config), args.flag("json"));
  },
};

export const coordinatorStartCommand: Command = {
  path: ["coordinator", "start"],
  summary: "Run the coordinator server",
  details:
    "Listens with mutual TLS under the consortium CA, runs the configured rounds and stops when they are " +
    "done. State (SQLite, checkpoints) lives in storageDir: a restarted coordinator resumes at the last " +
    "completed round. Ctrl-C stops it cleanly.",
  options: { config: configOption },
  async run(args, ctx) {
    const config = readConfig(args, ctx);
    if (config === undefined) return 2;
    let handle: CoordinatorHandle;
    try {
      handle = await startCoordinator(config, {
        logger: ctx.logger,
        onEvent: (event) => {
          if (event.type === "round_completed" || event.type === "round_abandoned")
            ctx.print(JSON.stringify(event));
        },
      });
    } catch (error) {
      if (error instanceof ConfigError) {
        ctx.logger.error({ problems: error.problems }, error.message);
        return 2;
      }
      throw error;
    }
    const interrupt = (): void => {
      ctx.logger.info("stopping the coordinator");
      void handle.stop();
    };
    process.once("SIGINT", interrupt);
    process.once("SIGTERM", interrupt);
    try {
      const summary = await handle.done;
      ctx.print(
        JSON.stringify({
          outcome: summary.outcome,
          completedRounds: summary.completedRounds,
          finalVersion: summary.finalVersion,
          reason: summary.reason,
        }),
      );
      // Let the sites learn that the federation finished before the server goes away.
      if (summary.outcome !== "stopped") await handle.drain(30_000);
      return summary.outcome === "failed" ? 1 : 0;
    } finally {
      process.off("SIGINT", interrupt);
      process.off("SIGTERM", interrupt);
      await handle.stop();
    }
  },
};

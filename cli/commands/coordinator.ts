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
    "Listens with mutual TLS under the consortium CA and serves until stopped (Ctrl-C stops it cleanly). The " +
    "config's federation settings are the first run of a new storageDir; more runs are queued with " +
    "`fedtune admin run submit` and run one at a time, in order. State (SQLite, checkpoints) lives in " +
    "storageDir: a restarted coordinator resumes its running run at the last completed round. With --once " +
    "it exits after its first run, as it did before runs existed.",
  options: {
    config: configOption,
    once: { type: "boolean", description: "Exit after the first run (the config's, or the one resumed)" },
  },
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
    let interrupted = (): void => undefined;
    const stopRequested = new Promise<void>((resolve) => (interrupted = resolve));
    const interrupt = (): void => {
      ctx.logger.info("stopping the coordinator");
      interrupted();
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
      if (summary.outcome === "stopped") return 0;
      if (args.flag("once")) {
        // Let the sites learn that the federation finished before the server goes away.
        await handle.drain(30_000);
        return summary.outcome === "failed" ? 1 : 0;
      }
      ctx.logger.info("serving until stopped; queue the next run with fedtune admin run submit <run.yaml>");
      await stopRequested;
      return 0;
    } finally {
      process.off("SIGINT", interrupt);
      process.off("SIGTERM", interrupt);
      await handle.stop();
    }
  },
};

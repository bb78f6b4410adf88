// `fedtune coordinator start`: runs the coordinator server from a federation config until the run ends.
import type { Command } from "../command.ts";
import { ConfigError, loadFederationConfig } from "../../coordinator/config.ts";
import { startCoordinator } from "../../coordinator/server.ts";

export const coordinatorStartCommand: Command = {
  path: ["coordinator", "start"],
  summary: "Run the coordinator server",
  details:
    "Listens with mutual TLS under the consortium CA, runs the configured rounds and stops when they are " +
    "done. State (SQLite, checkpoints) lives in storageDir: a restarted coordinator resumes at the last " +
    "completed round. Ctrl-C stops it cleanly.",
  options: {
    config: {
      type: "string",
      description: "Federation config (YAML or JSON)",
      defaultText: "coordinator.yaml",
    },
  },
  async run(args, ctx) {
    const path = args.string("config") ?? "coordinator.yaml";
    let config;
    try {
      config = loadFederationConfig(path);
    } catch (error) {
      if (error instanceof ConfigError) {
        ctx.logger.error({ problems: error.problems }, error.message);
        return 2;
      }
      throw error;
    }
    const handle = await startCoordinator(config, {
      logger: ctx.logger,
      onEvent: (event) => {
        if (event.type === "round_completed" || event.type === "round_abandoned")
          ctx.print(JSON.stringify(event));
      },
    });
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

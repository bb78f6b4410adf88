// `fedtune admin run submit|list|show|abort`: the queue of runs on a long-lived coordinator (admin certificate).
import { readFileSync } from "node:fs";
import { UsageError, type Command } from "../command.ts";
import type { RunInfo } from "../../proto/admin-messages.ts";
import { CALL_DEADLINE, connectionOptions, parseRunId, printRows, withAdmin } from "./admin.ts";

/** A run as one row: the settings stay out of the table (show --json has them). */
function runRow(run: RunInfo): Record<string, unknown> {
  return Object.fromEntries(Object.entries(run).filter(([key]) => key !== "settingsJson"));
}

export const adminRunSubmitCommand: Command = {
  path: ["admin", "run", "submit"],
  summary: "Queue a run from a run file (admin certificate)",
  details:
    "The run file holds a run's federation settings, the same keys as the coordinator config: rounds, privacy, dp, " +
    "training, evaluation, strategy (baseModel may be given only as the coordinator's). The coordinator checks it " +
    "as it checks its config and lists every problem; runs start one at a time, in submission order.",
  positionals: "<run.yaml>",
  options: connectionOptions,
  run: (args, ctx) =>
    withAdmin(args, ctx, async (connection) => {
      const path = args.positionals[0];
      if (path === undefined) throw new UsageError("give the run file: fedtune admin run submit <run.yaml>");
      const run = await connection.admin.submitRun(
        { settingsText: readFileSync(path, "utf8"), source: path },
        CALL_DEADLINE,
      );
      printRows(ctx, args.flag("json"), [runRow(run)]);
      return 0;
    }),
};

export const adminRunListCommand: Command = {
  path: ["admin", "run", "list"],
  summary: "Every run, oldest first (admin certificate)",
  options: connectionOptions,
  run: (args, ctx) =>
    withAdmin(args, ctx, async (connection) => {
      const { runs } = await connection.admin.listRuns({}, CALL_DEADLINE);
      printRows(ctx, args.flag("json"), runs.map(runRow));
      return 0;
    }),
};

export const adminRunShowCommand: Command = {
  path: ["admin", "run", "show"],
  summary: "One run with its settings (admin certificate)",
  positionals: "<run-id>",
  options: connectionOptions,
  run: (args, ctx) =>
    withAdmin(args, ctx, async (connection) => {
      const run = await connection.admin.showRun(
        { runId: parseRunId(args.positionals[0], "the run id") },
        CALL_DEADLINE,
      );
      if (args.flag("json"))
        ctx.print(JSON.stringify({ ...run, settings: JSON.parse(run.settingsJson) as unknown }));
      else {
        printRows(ctx, false, [runRow(run)]);
        ctx.print(`settings: ${run.settingsJson}`);
      }
      return 0;
    }),
};

export const adminRunAbortCommand: Command = {
  path: ["admin", "run", "abort"],
  summary: "Abort a queued or running run; a running run's round ends now (admin certificate)",
  positionals: "<run-id>",
  options: connectionOptions,
  run: (args, ctx) =>
    withAdmin(args, ctx, async (connection) => {
      const run = await connection.admin.abortRun(
        { runId: parseRunId(args.positionals[0], "the run id") },
        CALL_DEADLINE,
      );
      printRows(ctx, args.flag("json"), [runRow(run)]);
      return 0;
    }),
};

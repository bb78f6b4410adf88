// Runs an external trainer's command with a time limit and abort, streaming its output lines into the site's log.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { Logger } from "pino";
import { TrainerFailure } from "../node/trainer.ts";

export interface TrainerCommand {
  /** argv: the program and its arguments (no shell). */
  readonly command: readonly string[];
  readonly cwd: string;
  readonly timeoutSeconds: number;
  /** Added to fedtune's own environment. */
  readonly env: Readonly<Record<string, string>>;
}

/** Lines of stderr kept to explain a failure. */
const STDERR_TAIL_LINES = 8;
/** After SIGTERM, how long the trainer has to exit before SIGKILL. */
const KILL_GRACE_MS = 5_000;

/**
 * Runs `trainer.command` with `extraArgs` appended. Each stdout line reaches the log (a JSON object
 * line as structured fields, anything else as text); stderr lines at warn level. Resolves when the
 * process exits with 0; a non-zero exit, a signal, the time limit or `signal` throw TrainerFailure.
 */
export async function runTrainerCommand(
  trainer: TrainerCommand,
  extraArgs: readonly string[],
  logger: Logger,
  signal: AbortSignal,
): Promise<void> {
  const [program, ...args] = trainer.command;
  if (program === undefined) throw new TrainerFailure("external trainer: empty command");
  if (signal.aborted) throw new TrainerFailure("external trainer: stopped before it started");
  const child = spawn(program, [...args, ...extraArgs], {
    cwd: trainer.cwd,
    env: { ...process.env, ...trainer.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stderrTail: string[] = [];
  createInterface({ input: child.stdout }).on("line", (line) => logTrainerLine(logger, line));
  createInterface({ input: child.stderr }).on("line", (line) => {
    logger.warn({ trainer: line }, "external trainer (stderr)");
    stderrTail.push(line);
    if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
  });
  let stoppedBecause: string | undefined;
  const stop = (why: string): void => {
    if (stoppedBecause !== undefined) return;
    stoppedBecause = why;
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), KILL_GRACE_MS).unref();
  };
  const timer = setTimeout(
    () => stop(`timed out after ${trainer.timeoutSeconds} s`),
    trainer.timeoutSeconds * 1000,
  );
  const onAbort = (): void => stop("stopped");
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (resolve, reject) => {
        child.once("error", reject);
        child.once("close", (code, exitSignal) => resolve({ code, signal: exitSignal }));
      },
    ).catch((error: unknown) => {
      throw new TrainerFailure(`external trainer could not start: ${(error as Error).message}`);
    });
    if (stoppedBecause !== undefined) throw new TrainerFailure(`external trainer ${stoppedBecause}`);
    if (exit.code !== 0) {
      const how =
        exit.code === null ? `was killed by ${exit.signal ?? "a signal"}` : `exited with ${exit.code}`;
      throw new TrainerFailure(
        `external trainer ${how}`,
        stderrTail.length > 0 ? stderrTail.join(" | ") : undefined,
      );
    }
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
}

function logTrainerLine(logger: Logger, line: string): void {
  if (line.startsWith("{")) {
    try {
      const fields: unknown = JSON.parse(line);
      if (typeof fields === "object" && fields !== null && !Array.isArray(fields)) {
        logger.info({ trainer: fields }, "external trainer");
        return;
      }
    } catch {
      // Not JSON after all: logged as text below.
    }
  }
  logger.info({ trainer: line }, "external trainer");
}

// The command that runs the repository's reference Python trainer (client/python-trainer/).
import { fileURLToPath } from "node:url";
import type { TrainerCommand } from "./run-command.ts";

/** The folder holding the `fedtune_trainer` package (run with `python3 -m fedtune_trainer`). */
export const REFERENCE_TRAINER_DIR = fileURLToPath(new URL("../python-trainer/", import.meta.url));

/**
 * `python -m fedtune_trainer [--backend …] <task folder>` (python: FEDTUNE_PYTHON, else python3 on
 * the PATH); `backend` "auto" uses transformers + peft
 * when installed, "pytorch" always the compact built-in PyTorch model (deterministic on the CPU).
 */
export function referenceTrainerCommand(
  options: { python?: string; backend?: "auto" | "hf" | "pytorch"; timeoutSeconds?: number } = {},
): TrainerCommand {
  return {
    command: [
      options.python ?? process.env["FEDTUNE_PYTHON"] ?? "python3",
      "-m",
      "fedtune_trainer",
      "--backend",
      options.backend ?? "auto",
    ],
    cwd: REFERENCE_TRAINER_DIR,
    timeoutSeconds: options.timeoutSeconds ?? 3600,
    // The package is found from any working folder.
    env: { PYTHONPATH: REFERENCE_TRAINER_DIR },
  };
}

// Where the reference Python trainer runs in tests: Debian's python3-torch (installed by .ci/run).
import { spawnSync } from "node:child_process";
import { REFERENCE_TRAINER_DIR, referenceTrainerCommand } from "../../client/external/reference-trainer.ts";
import type { TrainerCommand } from "../../client/external/run-command.ts";

export const PYTHON = process.env["FEDTUNE_PYTHON"] ?? "/usr/bin/python3";

/** True when torch imports; under CI=true a missing torch is a failure, not a skip. */
export const HAS_TORCH = spawnSync(PYTHON, ["-c", "import torch"], { stdio: "ignore" }).status === 0;
export const SKIP_WITHOUT_TORCH = !HAS_TORCH && process.env["CI"] === undefined;

/** The reference trainer on its pure-PyTorch back-end (deterministic, no transformers), one thread. */
export function pythonTrainer(): TrainerCommand {
  return {
    ...referenceTrainerCommand({ python: PYTHON, backend: "pytorch", timeoutSeconds: 120 }),
    env: { OMP_NUM_THREADS: "1", PYTHONPATH: REFERENCE_TRAINER_DIR },
  };
}

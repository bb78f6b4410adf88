// Picks the TensorFlow.js backend once per process: tfjs-node if installed, else WebAssembly, else plain CPU.
import * as tf from "@tensorflow/tfjs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Logger } from "pino";

export type BackendName = "tensorflow" | "wasm" | "cpu";

export const BACKEND_NAMES: readonly BackendName[] = ["tensorflow", "wasm", "cpu"];

/** The requested backend is unknown or failed to start, and the caller asked for exactly that one. */
export class BackendError extends Error {
  override readonly name = "BackendError";
}

// tfjs-node is an optional dependency: a variable specifier keeps TypeScript from requiring its types.
const TFJS_NODE_PACKAGE = "@tensorflow/tfjs-node";

async function startTensorflow(): Promise<void> {
  await import(TFJS_NODE_PACKAGE);
  if (!(await tf.setBackend("tensorflow"))) throw new Error("tfjs-node loaded but its backend did not start");
}

async function startWasm(): Promise<void> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  // In Node the .wasm binaries are read from disk; point the loader at the package's own dist/ folder.
  const require = createRequire(import.meta.url);
  const distDir = dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
  wasm.setWasmPaths(join(distDir, "/"));
  if (!(await tf.setBackend("wasm"))) throw new Error("the wasm backend did not initialise");
}

async function startCpu(): Promise<void> {
  if (!(await tf.setBackend("cpu"))) throw new Error("the cpu backend did not initialise");
}

const STARTERS: Record<BackendName, () => Promise<void>> = {
  tensorflow: startTensorflow,
  wasm: startWasm,
  cpu: startCpu,
};

function parseBackendName(raw: string, source: string): BackendName {
  const name = raw.trim().toLowerCase();
  if ((BACKEND_NAMES as readonly string[]).includes(name)) return name as BackendName;
  throw new BackendError(`${source} must be one of ${BACKEND_NAMES.join(", ")}, got "${raw}"`);
}

function activeBackend(): BackendName | undefined {
  // tf.getBackend() would lazily start a default backend; read the engine's current name instead.
  const name = tf.engine().backendName as string | null | undefined;
  return name !== null && name !== undefined && (BACKEND_NAMES as readonly string[]).includes(name)
    ? (name as BackendName)
    : undefined;
}

/**
 * Starts the fastest available backend and logs one line naming it. `FEDTUNE_BACKEND` overrides
 * `preferred`; an explicitly requested backend that fails to start is an error. Calling again
 * returns the running backend unchanged (TensorFlow.js keeps its backend per process).
 */
export async function initBackend(logger: Logger, preferred?: BackendName): Promise<BackendName> {
  const fromEnv = process.env["FEDTUNE_BACKEND"];
  const requested =
    fromEnv !== undefined && fromEnv.trim() !== "" ? parseBackendName(fromEnv, "FEDTUNE_BACKEND") : preferred;
  const running = activeBackend();
  if (running !== undefined && (requested === undefined || requested === running)) return running;

  const candidates: readonly BackendName[] = requested === undefined ? BACKEND_NAMES : [requested];
  const failures: string[] = [];
  for (const name of candidates) {
    try {
      await STARTERS[name]();
      await tf.ready();
      logger.info(
        { backend: name, tfjs: tf.version.tfjs, skipped: failures },
        `tensorflow.js backend: ${name}`,
      );
      return name;
    } catch (error) {
      failures.push(`${name}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    }
  }
  throw new BackendError(`no tensorflow.js backend could start (${failures.join("; ")})`);
}

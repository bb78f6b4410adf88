// Builds a site's trainer factory from its config: the built-in engine, or an external command.
import { join } from "node:path";
import type { Logger } from "pino";
import type { Example } from "../data/rows.ts";
import { engineTrainerFactory } from "../node/engine-trainer.ts";
import type { SiteConfig } from "../node/config.ts";
import type { TrainerFactory } from "../node/trainer.ts";
import { initBackend } from "../../model/backend.ts";
import { loadBaseModel } from "../../model/load.ts";
import { hashBaseModel, readBaseModelConfig, resolveModelDir } from "../../model/model-dir.ts";
import { loadTokenizer } from "../../model/tokenizer.ts";
import { externalTrainerFactory } from "./external-trainer.ts";

export interface SiteTrainer {
  readonly createTrainer: TrainerFactory;
  /** The base weights' hash, checked against the federation's at Join. */
  readonly baseModelHash: string;
  dispose(): void;
}

/**
 * With an external trainer the base model is never loaded into this process (only its config,
 * tokenizer and hash are read): its size is then bounded by the site's own stack, not by TensorFlow.js.
 */
export async function buildSiteTrainer(
  config: SiteConfig,
  rows: { readonly train: readonly Example[]; readonly validation: readonly Example[] },
  logger: Logger,
): Promise<SiteTrainer> {
  if (config.trainer === "builtin") {
    await initBackend(logger);
    const { model, tokenizer, hash } = await loadBaseModel(config.baseModel, logger);
    return {
      createTrainer: engineTrainerFactory({ model, tokenizer, ...rows, logger, workers: config.workers }),
      baseModelHash: hash,
      dispose: () => model.dispose(),
    };
  }
  const baseModelDir = resolveModelDir(config.baseModel);
  const [modelConfig, tokenizer, hash] = await Promise.all([
    readBaseModelConfig(config.baseModel),
    loadTokenizer(baseModelDir),
    hashBaseModel(config.baseModel),
  ]);
  logger.info({ command: config.trainer.command, baseModelDir }, "training with an external trainer");
  return {
    createTrainer: externalTrainerFactory({
      // loadSiteConfig resolves cwd against the config file's folder.
      trainer: { ...config.trainer, cwd: config.trainer.cwd ?? process.cwd() },
      baseModelDir,
      modelConfig,
      tokenizer,
      // The loaded rows (scrubbed when deid is on), never the data files: those may hold identifiers.
      ...rows,
      workDir: join(config.stateDir, "trainer-tasks"),
      logger,
    }),
    baseModelHash: hash,
    dispose: () => undefined,
  };
}

// `fedtune client start`: the site client next to a hospital's records.
import { readFileSync } from "node:fs";
import type { Command } from "../command.ts";
import { SiteConfigError, loadSiteConfig } from "../../client/node/config.ts";
import { engineTrainerFactory } from "../../client/node/engine-trainer.ts";
import { startSiteClient } from "../../client/node/site-client.ts";
import { loadJsonlDataset } from "../../client/data/load-jsonl.ts";
import { dialGrpc } from "../../client/transport/grpc.ts";
import { createCkksContext, loadSeal, type CkksContext } from "../../crypto/ckks/context.ts";
import { cryptoRng } from "../../crypto/rng.ts";
import { initBackend } from "../../model/backend.ts";
import { loadBaseModel } from "../../model/load.ts";
import { readinessFlag, startProbeServer } from "../../proto/http-probes.ts";

export const clientStartCommand: Command = {
  path: ["client", "start"],
  summary: "Run a site client next to the hospital's records",
  details:
    "Checks the local base model's hash against the federation's, joins with the site certificate, " +
    "then trains, protects and submits as each round asks until the federation finishes. Records never " +
    "leave the site; in secagg and he modes the update never leaves it in the clear. The privacy " +
    "ledger in stateDir refuses rounds past the budget.",
  options: {
    config: { type: "string", description: "Site config (YAML)", defaultText: "site.yaml" },
  },
  async run(args, ctx) {
    const path = args.string("config") ?? "site.yaml";
    let config;
    try {
      config = loadSiteConfig(path);
    } catch (error) {
      if (error instanceof SiteConfigError) {
        ctx.logger.error({ problems: error.problems }, error.message);
        return 2;
      }
      throw error;
    }
    await initBackend(ctx.logger);
    const train = await loadJsonlDataset(config.data.train);
    const validation =
      config.data.validation === undefined ? train : await loadJsonlDataset(config.data.validation);
    for (const dataset of [train, validation]) {
      if (dataset.invalid.length > 0)
        ctx.logger.warn({ file: dataset.file, invalid: dataset.invalid.length }, "invalid rows skipped");
    }
    const { model, tokenizer, hash } = await loadBaseModel(config.baseModel, ctx.logger);
    const readiness = readinessFlag("not joined yet");
    const probes =
      config.health === undefined ? undefined : await startProbeServer({ ...config.health, readiness });
    let ckks: Promise<CkksContext> | undefined;
    const client = startSiteClient({
      coordinator: config.coordinator,
      stateDir: config.stateDir,
      tls: {
        caPem: readFileSync(config.tls.caCert, "utf8"),
        certPem: readFileSync(config.tls.cert, "utf8"),
        keyPem: readFileSync(config.tls.key, "utf8"),
      },
      dial: dialGrpc,
      logger: ctx.logger,
      rng: cryptoRng(),
      baseModelHash: hash,
      createTrainer: engineTrainerFactory({
        model,
        tokenizer,
        train: train.examples,
        validation: validation.examples,
        logger: ctx.logger,
        workers: config.workers,
      }),
      ckks: () => (ckks ??= loadSeal().then((seal) => createCkksContext(seal))),
      ...(config.epsilonBudget === undefined ? {} : { epsilonBudget: config.epsilonBudget }),
      onEvent: (event) => {
        if (event.type === "joined") readiness.set(true);
        if (event.type === "finished") readiness.set(false, "the federation finished");
        if (event.type !== "stage") ctx.print(JSON.stringify(event));
      },
    });
    const interrupt = (): void => void client.stop();
    process.once("SIGINT", interrupt);
    process.once("SIGTERM", interrupt);
    try {
      const summary = await client.done;
      ctx.print(JSON.stringify(summary));
      return 0;
    } finally {
      process.off("SIGINT", interrupt);
      process.off("SIGTERM", interrupt);
      model.dispose();
      (await ckks)?.dispose();
      await probes?.stop();
    }
  },
};

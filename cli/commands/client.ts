// `fedtune client start`: the site client next to a hospital's records.
import { readFileSync } from "node:fs";
import type { Command } from "../command.ts";
import { SiteConfigError, loadSiteConfig } from "../../client/node/config.ts";
import { buildSiteTrainer } from "../../client/external/site-trainer.ts";
import { startSiteClient } from "../../client/node/site-client.ts";
import { loadJsonlDataset } from "../../client/data/load-jsonl.ts";
import { dialGrpc } from "../../client/transport/grpc.ts";
import { createCkksContext, loadSeal, type CkksContext } from "../../crypto/ckks/context.ts";
import { cryptoRng } from "../../crypto/rng.ts";

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
    const train = await loadJsonlDataset(config.data.train);
    const validation =
      config.data.validation === undefined ? train : await loadJsonlDataset(config.data.validation);
    for (const dataset of [train, validation]) {
      if (dataset.invalid.length > 0)
        ctx.logger.warn({ file: dataset.file, invalid: dataset.invalid.length }, "invalid rows skipped");
    }
    const trainer = await buildSiteTrainer(
      config,
      { train: train.examples, validation: validation.examples },
      ctx.logger,
    );
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
      baseModelHash: trainer.baseModelHash,
      createTrainer: trainer.createTrainer,
      ckks: () => (ckks ??= loadSeal().then((seal) => createCkksContext(seal))),
      ...(config.epsilonBudget === undefined ? {} : { epsilonBudget: config.epsilonBudget }),
      onEvent: (event) => {
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
      trainer.dispose();
      (await ckks)?.dispose();
    }
  },
};

// `fedtune client start|check`: the site client next to a hospital's records, and its preflight.
import type { CliContext, Command, ParsedArgs } from "../command.ts";
import { SiteConfigError, loadSiteConfig, type SiteConfig } from "../../client/node/config.ts";
import { DatasetError } from "../../client/data/load-jsonl.ts";
import { printCheckTable } from "../check-table.ts";
import {
  loadSiteData,
  probeCoordinator,
  readSiteTls,
  siteIdentityCheck,
  sitePathProblems,
  sitePreflight,
  type SiteData,
} from "../site-checks.ts";
import { reportInvalidRows } from "./train.ts";
import { expiryWarning } from "../../coordinator/pki/index.ts";
import { buildSiteTrainer } from "../../client/external/site-trainer.ts";
import { startSiteClient } from "../../client/node/site-client.ts";
import { dialGrpc } from "../../client/transport/grpc.ts";
import { createCkksContext, loadSeal, type CkksContext } from "../../crypto/ckks/context.ts";
import { cryptoRng } from "../../crypto/rng.ts";
import { readinessFlag, startProbeServer } from "../../proto/http-probes.ts";

/** The config, or undefined after logging every problem (exit 2). */
function readConfig(args: ParsedArgs, ctx: CliContext): SiteConfig | undefined {
  try {
    return loadSiteConfig(args.string("config") ?? "site.yaml");
  } catch (error) {
    if (error instanceof SiteConfigError) {
      ctx.logger.error({ problems: error.problems }, error.message);
      return undefined;
    }
    throw error;
  }
}

/** Paths, certificate and data, before anything is created or any coordinator dialled; undefined after logging why not. */
async function checkBeforeJoining(
  config: SiteConfig,
  ctx: CliContext,
): Promise<{ tls: ReturnType<typeof readSiteTls>; data: SiteData } | undefined> {
  const problems = sitePathProblems(config);
  if (problems.length > 0) {
    ctx.logger.error({ problems }, `cannot start:\n  ${problems.join("\n  ")}`);
    return undefined;
  }
  const tls = readSiteTls(config);
  const identity = siteIdentityCheck(config, tls);
  if (!identity.ok) {
    ctx.logger.error(`cannot start: ${identity.detail}`);
    return undefined;
  }
  const expiry = expiryWarning("this site", tls.certPem);
  if (expiry !== undefined) ctx.logger.warn(expiry);
  try {
    const data = await loadSiteData(config);
    for (const dataset of new Set([data.train, data.validation])) reportInvalidRows(dataset, ctx);
    return { tls, data };
  } catch (error) {
    if (!(error instanceof DatasetError)) throw error;
    ctx.logger.error(`cannot start: ${error.message}`);
    return undefined;
  }
}

export const clientCheckCommand: Command = {
  path: ["client", "check"],
  summary: "Check that the site client can start, without joining",
  details:
    "Runs every start-up check (config, every path, the site certificate's role, CA, dates and key, the " +
    "data rows, the base model's hash, and a TLS handshake with the coordinator) and prints a table. " +
    "Exit 0 only when all pass.",
  options: {
    config: { type: "string", description: "Site config (YAML)", defaultText: "site.yaml" },
    json: { type: "boolean", description: "JSON lines instead of a table" },
  },
  async run(args, ctx) {
    const config = readConfig(args, ctx);
    if (config === undefined) return 2;
    return printCheckTable(ctx, await sitePreflight(config), args.flag("json"));
  },
};

export const clientStartCommand: Command = {
  path: ["client", "start"],
  summary: "Run a site client next to the hospital's records",
  details:
    "Checks the local base model's hash against the federation's, joins with the site certificate, " +
    "then trains, protects and submits as each round asks. When a run finishes it stays connected and " +
    "joins the coordinator's next run (--once: exits instead). Records never " +
    "leave the site; in secagg and he modes the update never leaves it in the clear. The privacy " +
    "ledger in stateDir refuses rounds past the budget.",
  options: {
    config: { type: "string", description: "Site config (YAML)", defaultText: "site.yaml" },
    once: { type: "boolean", description: "Exit when the run it took part in finishes" },
  },
  async run(args, ctx) {
    const config = readConfig(args, ctx);
    if (config === undefined) return 2;
    const checked = await checkBeforeJoining(config, ctx);
    if (checked === undefined) return 2;
    const { tls, data } = checked;
    // Retrying cannot fix a server this site will never trust: stop now, with the reason.
    const probe = await probeCoordinator(config.coordinator, tls);
    if (probe.kind === "unusable-certificate") {
      ctx.logger.error(`cannot start: ${probe.reason}`);
      return 1;
    }
    if (probe.kind === "unreachable")
      ctx.logger.warn(`coordinator not reachable yet (${probe.reason}); retrying`);
    // Counts by kind go to this site's log only; nothing about them is sent to the coordinator.
    if (data.deidCounts !== undefined)
      ctx.logger.info({ mode: config.deid, replaced: data.deidCounts }, "de-identified rows");
    const trainer = await buildSiteTrainer(
      config,
      { train: data.train.examples, validation: data.validation.examples },
      ctx.logger,
    );
    const readiness = readinessFlag("not joined yet");
    const probes =
      config.health === undefined ? undefined : await startProbeServer({ ...config.health, readiness });
    let ckks: Promise<CkksContext> | undefined;
    const client = startSiteClient({
      coordinator: config.coordinator,
      stateDir: config.stateDir,
      tls,
      dial: dialGrpc,
      logger: ctx.logger,
      rng: cryptoRng(),
      baseModelHash: trainer.baseModelHash,
      createTrainer: trainer.createTrainer,
      ckks: () => (ckks ??= loadSeal().then((seal) => createCkksContext(seal))),
      ...(config.epsilonBudget === undefined ? {} : { epsilonBudget: config.epsilonBudget }),
      ...(config.policy === undefined ? {} : { policy: config.policy }),
      stayConnected: !args.flag("once"),
      onEvent: (event) => {
        if (event.type === "joined") readiness.set(true);
        if (event.type === "finished") readiness.set(false, "the run finished; waiting for the next");
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
      await probes?.stop();
    }
  },
};

// `fedtune export (--config coordinator.yaml | --site-config site.yaml) [--round N] --out <dir>`: a round's global adapter as an HF PEFT folder.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { CliContext, Command, ParsedArgs } from "../command.ts";
import { UsageError } from "../command.ts";
import { SiteConfigError, loadSiteConfig } from "../../client/node/config.ts";
import { SiteExportError, rebuildGlobalAtSite } from "../../client/node/he-export.ts";
import { acceptRevocationList, loadOrCreateSiteKeys } from "../../client/node/site-state.ts";
import { dialGrpc } from "../../client/transport/grpc.ts";
import { ConfigError, loadFederationConfig } from "../../coordinator/config.ts";
import { checkpointSpec, describeConfiguredAdapter } from "../../coordinator/server.ts";
import { DurableState } from "../../coordinator/service/durable-state.ts";
import { readRunSettings, runConfig } from "../../coordinator/run-settings.ts";
import { CoordinatorStore, STORE_FILE } from "../../coordinator/storage/store.ts";
import { parseRunId } from "./admin.ts";
import { createCkksContext, loadSeal } from "../../crypto/ckks/context.ts";
import { cryptoRng } from "../../crypto/rng.ts";
import { hashBaseModel, readBaseModelConfig } from "../../model/model-dir.ts";
import { initialGlobalVector, writeGlobalAdapter, type AdapterSpec } from "../../model/peft-export.ts";
import { FederationError } from "../../proto/errors.ts";

/** How long the site waits for the coordinator's aggregates. */
const SITE_EXPORT_DEADLINE_MS = 10 * 60_000;

export const exportCommand: Command = {
  path: ["export"],
  summary: "Write a round's global adapter as a PEFT folder",
  details:
    "Writes adapter_model.safetensors + adapter_config.json for a completed training round, in one of two places:\n" +
    "  --config coordinator.yaml   at the coordinator (privacy modes none, secagg, and he with reveal: coordinator): reads its state " +
    "(storageDir, alongside a running coordinator) and checks the round's checkpoint against the SHA-256 recorded with it; " +
    "--run picks the run (default: the latest) and --round counts its training rounds.\n" +
    "  --site-config site.yaml     at a site (privacy mode he with reveal: sites, where the coordinator holds only the " +
    "encrypted aggregate): fetches the round's encrypted aggregates from the coordinator over the site's " +
    "mutual-TLS channel, checks each against the SHA-256 the coordinator recorded, decrypts them with the " +
    "t decryption shares sealed to the site (opened with the envelope key in its stateDir) and replays them on the " +
    "adapter's initialisation. The coordinator must be running; the site's client need not be.",
  options: {
    config: {
      type: "string",
      description: "Federation config (YAML or JSON): export at the coordinator",
      defaultText: "coordinator.yaml",
    },
    "site-config": {
      type: "string",
      description: "Site config (YAML): export at the site (privacy mode he, reveal: sites)",
    },
    round: {
      type: "string",
      description:
        "At the coordinator: training round whose global adapter to export (rounds: 2 gives 1 and 2; default: the last). At a site: the protocol's round number",
    },
    run: {
      type: "string",
      description: "The run whose adapter to export (fedtune admin run list)",
      defaultText: "the latest run",
    },
    out: { type: "string", description: "Folder to write the PEFT adapter into" },
  },
  async run(args, ctx) {
    const out = args.requireString("out");
    if (args.has("site-config")) {
      if (args.has("config"))
        throw new UsageError(
          "give --config (export at the coordinator) or --site-config (at a site), not both",
        );
      return exportAtSite(args, out, ctx);
    }
    return exportAtCoordinator(args, out, ctx);
  },
};

/** The round to export: --round, or undefined for the last completed one. */
function requestedRound(args: ParsedArgs): number | undefined {
  const round = args.integer("round");
  if (round !== undefined && round < 1) throw new UsageError(`--round must be at least 1, got ${round}`);
  return round;
}

async function exportAtCoordinator(args: ParsedArgs, out: string, ctx: CliContext): Promise<number> {
  let config;
  try {
    config = loadFederationConfig(args.string("config") ?? "coordinator.yaml");
  } catch (error) {
    if (error instanceof ConfigError) {
      ctx.logger.error({ problems: error.problems }, error.message);
      return 2;
    }
    throw error;
  }
  if (config.privacy.mode === "he" && config.privacy.he.reveal === "sites") {
    ctx.logger.error(
      "privacy mode he with reveal: sites: the coordinator holds only the encrypted aggregate; the plaintext adapter exists only at the sites, so export it at a site: fedtune export --site-config site.yaml --out <dir>",
    );
    return 1;
  }
  const adapter = await describeConfiguredAdapter(config, ctx.logger);
  // Read alongside a running coordinator: SQLite in WAL mode lets this process read while it writes.
  const store = CoordinatorStore.open(join(config.storageDir, STORE_FILE));
  try {
    const runs = store.listRuns();
    const runId = args.has("run") ? parseRunId(args.string("run"), "--run") : runs.at(-1)?.id;
    const run = runs.find((candidate) => candidate.id === runId);
    if (run === undefined) {
      if (runId !== undefined)
        throw new UsageError(`no run ${runId} (runs: ${runs.map((r) => r.id).join(", ")})`);
      ctx.logger.error("no run has started yet");
      return 1;
    }
    const runCfg = run.settings === null ? config : runConfig(config, readRunSettings(run.settings, run.id));
    if (runCfg.privacy.mode === "he" && runCfg.privacy.he.reveal === "sites") {
      ctx.logger.error(
        `run ${run.id} is privacy mode he with reveal: sites: the coordinator holds only the encrypted aggregate; the plaintext adapter exists only at the sites, so export it at a site: fedtune export --site-config site.yaml --out <dir>`,
      );
      return 1;
    }
    const spec = checkpointSpec(runCfg, adapter);
    const state = DurableState.forRun(store, config.storageDir, spec, run.id);
    // Training rounds count from 1 (an evaluation round between two does not take a number of its own).
    const versions = state.trainedRounds();
    const requested = requestedRound(args);
    const trainingRound = requested ?? versions.length;
    const version = versions[trainingRound - 1];
    if (version === undefined) {
      const problem = `run ${run.id} has ${versions.length} completed training rounds; round ${trainingRound} is not one of them`;
      // Nothing to export yet is the federation's state; a round that does not exist is the user's input.
      if (requested !== undefined) throw new UsageError(problem);
      ctx.logger.error(problem);
      return 1;
    }
    const checkpoint = await state.checkpoint(version);
    if (checkpoint?.model.kind !== "plain")
      throw new UsageError(`training round ${trainingRound} has no plaintext checkpoint`);
    await writeGlobalAdapter(out, spec, checkpoint.model.vector, trainingRound);
    ctx.print(
      JSON.stringify({ run: run.id, round: trainingRound, out, checkpointSha256: checkpoint.sha256 }),
    );
    return 0;
  } finally {
    store.close();
  }
}

async function exportAtSite(args: ParsedArgs, out: string, ctx: CliContext): Promise<number> {
  let config;
  try {
    config = loadSiteConfig(args.requireString("site-config"));
  } catch (error) {
    if (error instanceof SiteConfigError) {
      ctx.logger.error({ problems: error.problems }, error.message);
      return 2;
    }
    throw error;
  }
  const round = requestedRound(args) ?? 0;
  // The decryption shares reach a site sealed to the envelope key in its state folder; without that file
  // this site never joined, and a fresh key would open nothing.
  if (!existsSync(join(config.stateDir, "site-keys.json"))) {
    ctx.logger.error(
      `no key: ${config.stateDir} holds no site keys (site-keys.json); run fedtune client start with this site config first`,
    );
    return 1;
  }
  const keys = loadOrCreateSiteKeys(config.stateDir, cryptoRng());
  const model = await readBaseModelConfig(config.baseModel);
  const baseModelHash = await hashBaseModel(config.baseModel);
  const ckks = createCkksContext(await loadSeal());
  const caPem = readFileSync(config.tls.caCert, "utf8");
  // The newest CRL this site has kept from its Joins: revoked holders' keys open nothing.
  const trust = {
    caCert: caPem,
    revocations: await acceptRevocationList(config.stateDir, caPem, new Uint8Array()),
  };
  const connection = dialGrpc({
    address: config.coordinator,
    tls: {
      caPem,
      certPem: readFileSync(config.tls.cert, "utf8"),
      keyPem: readFileSync(config.tls.key, "utf8"),
    },
  });
  let spec: AdapterSpec | undefined;
  try {
    const result = await rebuildGlobalAtSite({
      federation: connection.federation,
      options: { deadlineMs: SITE_EXPORT_DEADLINE_MS },
      ctx: ckks,
      envelopeSecretKey: keys.envelopeSecretKey,
      trust,
      round,
      runId: args.has("run") ? parseRunId(args.string("run"), "--run") : 0,
      initialGlobal: (lora) => {
        spec = {
          model,
          lora: { ...lora },
          baseModelNameOrPath: config.baseModel,
          provenance: { baseModelSha256: baseModelHash, privacyMode: "he", dp: undefined },
        };
        return initialGlobalVector(spec);
      },
    });
    if (spec === undefined) throw new Error("no adapter spec");
    await writeGlobalAdapter(out, spec, result.vector, result.manifest.round);
    ctx.print(
      JSON.stringify({
        round: result.manifest.round,
        out,
        site: result.manifest.siteId,
        aggregates: result.aggregates,
      }),
    );
    return 0;
  } catch (error) {
    if (error instanceof SiteExportError) {
      ctx.logger.error({ code: error.code }, error.message);
      return 1;
    }
    if (error instanceof FederationError) {
      ctx.logger.error({ code: error.code }, `the coordinator refused the export: ${error.publicMessage}`);
      return 1;
    }
    throw error;
  } finally {
    connection.close();
    keys.envelopeSecretKey.fill(0);
    keys.identitySeed.fill(0);
    ckks.dispose();
  }
}

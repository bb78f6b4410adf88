// What `client check` reports and `client start` refuses on before joining: paths, the site's certificate, data, model, coordinator.
import { join } from "node:path";
import { rowScrubber } from "../client/deid/rows.ts";
import { DEID_SECRET_FILE, loadOrCreateDeidSecret } from "../client/deid/secret.ts";
import { connect } from "node:tls";
import type { SiteConfig } from "../client/node/config.ts";
import { DatasetError, formatInvalidRow, loadJsonlDataset, type Dataset } from "../client/data/load-jsonl.ts";
import {
  checkOwnIdentity,
  expiryWarning,
  NO_REVOCATIONS,
  PkiError,
  verifyPeer,
} from "../coordinator/pki/index.ts";
import { fileProblem, writableFolderProblem, type CheckResult } from "../coordinator/startup-checks.ts";
import { BUILTIN_MODEL, hashBaseModel } from "../model/model-dir.ts";
import type { TlsIdentity } from "../proto/transport.ts";
import { readFileSync } from "node:fs";

/** How long `client check` and `client start` wait for the coordinator's TLS handshake. */
const PROBE_TIMEOUT_MS = 5_000;

/** Every path the site config names, checked before anything is created. */
export function sitePathProblems(config: SiteConfig): string[] {
  return [
    fileProblem("tls.caCert", config.tls.caCert),
    fileProblem("tls.cert", config.tls.cert),
    fileProblem("tls.key", config.tls.key),
    fileProblem("data.train", config.data.train),
    config.data.validation === undefined ? undefined : fileProblem("data.validation", config.data.validation),
    config.baseModel === BUILTIN_MODEL ? undefined : fileProblem("baseModel", config.baseModel, "folder"),
    writableFolderProblem("stateDir", config.stateDir),
  ].filter((problem): problem is string => problem !== undefined);
}

export function readSiteTls(config: SiteConfig): TlsIdentity {
  return {
    caPem: readFileSync(config.tls.caCert, "utf8"),
    certPem: readFileSync(config.tls.cert, "utf8"),
    keyPem: readFileSync(config.tls.key, "utf8"),
  };
}

/** `tls.cert: …` when the certificate is not this site's usable identity; else the expiry warning, if any. */
export function siteIdentityCheck(config: SiteConfig, tls: TlsIdentity): CheckResult {
  try {
    const identity = checkOwnIdentity(tls, "site");
    if (config.name !== undefined && identity.name !== config.name) {
      return {
        check: "certificate",
        ok: false,
        detail: `tls.cert: issued to ${identity.name}, but name is ${config.name}`,
      };
    }
    const warning = expiryWarning(`site ${identity.name}`, tls.certPem);
    return {
      check: "certificate",
      ok: true,
      detail: warning ?? `site ${identity.name}, issued by the CA, in date, key matches`,
    };
  } catch (error) {
    if (error instanceof PkiError)
      return { check: "certificate", ok: false, detail: `tls.cert: ${error.message}` };
    throw error;
  }
}

export interface SiteData {
  readonly train: Dataset;
  readonly validation: Dataset;
  /** Identifiers replaced by kind when `deid` is on (for this site's log only). */
  readonly deidCounts: Readonly<Record<string, number>> | undefined;
}

/**
 * Loads the site's rows; invalid rows are named file:line (fatal with data.strict), and a file
 * without one valid row is refused, so a site never joins a round it would crash in.
 */
export async function loadSiteData(config: SiteConfig): Promise<SiteData> {
  // De-identification happens here, at load: the trainer and the site client only ever see scrubbed rows.
  const deid =
    config.deid === "off"
      ? undefined
      : rowScrubber(loadOrCreateDeidSecret(join(config.stateDir, DEID_SECRET_FILE)), config.deid);
  const load = async (key: string, file: string): Promise<Dataset> => {
    let dataset: Dataset;
    try {
      dataset = await loadJsonlDataset(file, {
        strict: config.data.strict,
        ...(deid === undefined ? {} : { transform: deid.scrubRow }),
      });
    } catch (error) {
      if (error instanceof DatasetError) throw new DatasetError(`${key}: ${error.message}`);
      throw error;
    }
    if (dataset.examples.length === 0) {
      const first = dataset.invalid[0];
      throw new DatasetError(
        `${key}: ${file} has no valid rows${first === undefined ? "" : ` (first: ${formatInvalidRow(first)})`}`,
      );
    }
    return dataset;
  };
  const train = await load("data.train", config.data.train);
  const validation =
    config.data.validation === undefined ? train : await load("data.validation", config.data.validation);
  return { train, validation, deidCounts: deid?.counts };
}

function dataCheck(data: SiteData): CheckResult {
  const datasets = data.validation === data.train ? [data.train] : [data.train, data.validation];
  const invalid = datasets.flatMap((dataset) => dataset.invalid);
  const counts = datasets.map((dataset) => `${dataset.examples.length} rows in ${dataset.file}`).join(", ");
  const skipped =
    invalid.length === 0
      ? ""
      : `; ${invalid.length} invalid skipped, first ${formatInvalidRow(invalid[0] ?? { file: "", line: 0, reason: "" })}`;
  return { check: "data", ok: true, detail: `${counts}${skipped}` };
}

export type CoordinatorProbe =
  | { readonly kind: "ok"; readonly name: string }
  | { readonly kind: "unreachable"; readonly reason: string }
  | { readonly kind: "unusable-certificate"; readonly reason: string };

/**
 * One mTLS handshake with the coordinator: tells "nobody answers" (the site may retry) from "the
 * server answers with a certificate this site cannot use" (retrying cannot help: stop and say so).
 */
export async function probeCoordinator(address: string, tls: TlsIdentity): Promise<CoordinatorProbe> {
  const separator = address.lastIndexOf(":");
  const host = address.slice(0, separator).replace(/^\[|\]$/g, "");
  const socket = connect({
    host,
    port: Number(address.slice(separator + 1)),
    ca: tls.caPem,
    cert: tls.certPem,
    key: tls.keyPem,
    // The role and CA are judged below, by name rather than by a hostname match.
    rejectUnauthorized: false,
    ALPNProtocols: ["h2"],
    ...(/^[\d.]+$|:/.test(host) ? {} : { servername: host }),
  });
  socket.setTimeout(PROBE_TIMEOUT_MS);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("secureConnect", resolve).once("error", reject);
      socket.once("timeout", () => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)));
    });
    const peer = socket.getPeerX509Certificate();
    if (peer === undefined) return { kind: "unusable-certificate", reason: "the server sent no certificate" };
    try {
      const identity = verifyPeer(peer.toString(), tls.caPem, NO_REVOCATIONS, { roles: ["coordinator"] });
      return { kind: "ok", name: identity.name };
    } catch (error) {
      if (error instanceof PkiError)
        return {
          kind: "unusable-certificate",
          reason: `the server at ${address} is not a coordinator of this consortium: ${error.message}`,
        };
      throw error;
    }
  } catch (error) {
    return { kind: "unreachable", reason: `${address}: ${(error as Error).message}` };
  } finally {
    socket.destroy();
  }
}

/** `fedtune client check`: every start-up check as a table row, reachability of the coordinator included. */
export async function sitePreflight(config: SiteConfig): Promise<CheckResult[]> {
  const pathProblems = sitePathProblems(config);
  if (pathProblems.length > 0) return [{ check: "paths", ok: false, detail: pathProblems.join("; ") }];
  const rows: CheckResult[] = [{ check: "paths", ok: true, detail: "every configured path resolves" }];
  const tls = readSiteTls(config);
  rows.push(siteIdentityCheck(config, tls));
  try {
    rows.push(dataCheck(await loadSiteData(config)));
  } catch (error) {
    if (!(error instanceof DatasetError)) throw error;
    rows.push({ check: "data", ok: false, detail: error.message });
  }
  try {
    rows.push({ check: "base model", ok: true, detail: `sha256 ${await hashBaseModel(config.baseModel)}` });
  } catch (error) {
    rows.push({ check: "base model", ok: false, detail: `baseModel: ${(error as Error).message}` });
  }
  const identityOk = rows.every((row) => row.ok || row.check !== "certificate");
  const probe: CoordinatorProbe = identityOk
    ? await probeCoordinator(config.coordinator, tls)
    : { kind: "unreachable", reason: "not tried without a usable site certificate" };
  rows.push(
    probe.kind === "ok"
      ? { check: "coordinator", ok: true, detail: `${config.coordinator} answers as ${probe.name}` }
      : { check: "coordinator", ok: false, detail: `coordinator: ${probe.reason}` },
  );
  return rows;
}

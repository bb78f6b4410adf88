// What `coordinator check` reports and `coordinator start` refuses on: paths, own certificate, ports, base model.
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { dirname } from "node:path";
import type { FederationConfig } from "./config.ts";
import { checkOwnIdentity, expiryWarning, PkiError } from "./pki/index.ts";
import type { TlsIdentity } from "../proto/transport.ts";
import { BUILTIN_MODEL, hashBaseModel } from "../model/model-dir.ts";
import { statusAccessProblem } from "./status/access.ts";

/** One row of a preflight table; `detail` says what was found or what to fix. */
export interface CheckResult {
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** `key: problem` when the file at `path` is missing or unreadable, for a config key such as `tls.cert`. */
export function fileProblem(key: string, path: string, kind: "file" | "folder" = "file"): string | undefined {
  if (!existsSync(path)) return `${key}: ${kind} not found: ${path}`;
  const isFolder = statSync(path).isDirectory();
  if (isFolder !== (kind === "folder")) return `${key}: not a ${kind}: ${path}`;
  try {
    accessSync(path, constants.R_OK);
  } catch {
    return `${key}: not readable: ${path}`;
  }
  return undefined;
}

/** `key: problem` when `dir` cannot be created or written: an existing folder or one whose parent exists. */
export function writableFolderProblem(key: string, dir: string): string | undefined {
  const existing = existsSync(dir) ? dir : dirname(dir);
  if (!existsSync(existing)) return `${key}: parent folder not found: ${existing}`;
  if (!statSync(existing).isDirectory()) return `${key}: not a folder: ${existing}`;
  try {
    accessSync(existing, constants.W_OK);
  } catch {
    return `${key}: not writable: ${existing}`;
  }
  return undefined;
}

/** Every path the coordinator config names, checked before anything is created. */
export function coordinatorPathProblems(
  config: FederationConfig,
  options: { readonly tls: boolean },
): string[] {
  const problems = [
    ...(options.tls
      ? [
          fileProblem("tls.caCert", config.tls.caCert),
          fileProblem("tls.cert", config.tls.cert),
          fileProblem("tls.key", config.tls.key),
        ]
      : []),
    config.tls.pkiDir === undefined ? undefined : fileProblem("tls.pkiDir", config.tls.pkiDir, "folder"),
    config.baseModel.source === BUILTIN_MODEL
      ? undefined
      : fileProblem("baseModel.source", config.baseModel.source, "folder"),
    writableFolderProblem("storageDir", config.storageDir),
  ];
  return problems.filter((problem): problem is string => problem !== undefined);
}

export function readConfiguredTls(config: FederationConfig): TlsIdentity {
  return {
    caPem: readFileSync(config.tls.caCert, "utf8"),
    certPem: readFileSync(config.tls.cert, "utf8"),
    keyPem: readFileSync(config.tls.key, "utf8"),
  };
}

/** `tls.cert: …` when the coordinator's certificate is not a usable coordinator identity. */
export function coordinatorIdentityProblem(tls: TlsIdentity, now: Date = new Date()): string | undefined {
  try {
    checkOwnIdentity(tls, "coordinator", now);
    return undefined;
  } catch (error) {
    if (error instanceof PkiError) return `tls.cert: ${error.message}`;
    throw error;
  }
}

/** Binds and releases `host:port` to learn whether it is free (port 0 is always free). */
export async function portProblem(key: string, address: string): Promise<string | undefined> {
  const separator = address.lastIndexOf(":");
  const host = address.slice(0, separator).replace(/^\[|\]$/g, "");
  const port = Number(address.slice(separator + 1));
  if (port === 0) return undefined;
  const probe = createServer();
  return new Promise((resolve) => {
    probe.once("error", (error: NodeJS.ErrnoException) =>
      resolve(`${key}: cannot listen on ${address}: ${error.code ?? error.message}`),
    );
    probe.listen(port, host, () => probe.close(() => resolve(undefined)));
  });
}

/** The metrics server's host:port as configured, or undefined without a metrics server. */
export function metricsAddress(config: FederationConfig): string | undefined {
  return config.metricsPort === undefined ? undefined : `${config.metricsHost}:${config.metricsPort}`;
}

/** Problems `coordinator start` refuses on before it creates or opens anything. */
export async function coordinatorStartProblems(
  config: FederationConfig,
  options: { readonly tls: TlsIdentity | undefined; readonly probePorts: boolean },
): Promise<string[]> {
  const problems = coordinatorPathProblems(config, { tls: options.tls === undefined });
  if (problems.length > 0) return problems;
  const identity = coordinatorIdentityProblem(options.tls ?? readConfiguredTls(config));
  if (identity !== undefined) problems.push(identity);
  const access = statusAccessProblem(config);
  if (access !== undefined) problems.push(access);
  if (options.probePorts) {
    const metrics = metricsAddress(config);
    for (const problem of [
      await portProblem("listen", config.listen),
      metrics === undefined ? undefined : await portProblem("metricsPort", metrics),
    ]) {
      if (problem !== undefined) problems.push(problem);
    }
  }
  return problems;
}

/** `fedtune coordinator check`: every start-up check as a table row, the base model's hash included. */
export async function coordinatorPreflight(config: FederationConfig): Promise<CheckResult[]> {
  const row = (check: string, problem: string | undefined, okDetail: string): CheckResult =>
    problem === undefined ? { check, ok: true, detail: okDetail } : { check, ok: false, detail: problem };
  const pathProblems = coordinatorPathProblems(config, { tls: true });
  const rows: CheckResult[] = [
    row(
      "paths",
      pathProblems.length === 0 ? undefined : pathProblems.join("; "),
      "every configured path resolves",
    ),
  ];
  if (pathProblems.length === 0) {
    const tls = readConfiguredTls(config);
    rows.push(
      row(
        "certificate",
        coordinatorIdentityProblem(tls),
        expiryWarning("the coordinator", tls.certPem) ??
          "coordinator role, issued by the CA, in date, key matches",
      ),
    );
    rows.push(await baseModelRow(config));
  }
  rows.push(row("listen port", await portProblem("listen", config.listen), `${config.listen} is free`));
  const metrics = metricsAddress(config);
  if (metrics !== undefined) {
    rows.push(row("metrics port", await portProblem("metricsPort", metrics), `${metrics} is free`));
    rows.push(row("status access", statusAccessProblem(config), "loopback bind or operator token"));
  }
  return rows;
}

async function baseModelRow(config: FederationConfig): Promise<CheckResult> {
  try {
    const hash = await hashBaseModel(config.baseModel.source);
    const expected = config.baseModel.sha256;
    if (expected !== undefined && expected !== hash) {
      return {
        check: "base model",
        ok: false,
        detail: `baseModel.sha256: configured ${expected}, weights hash to ${hash}`,
      };
    }
    return { check: "base model", ok: true, detail: `sha256 ${hash}` };
  } catch (error) {
    return { check: "base model", ok: false, detail: `baseModel.source: ${(error as Error).message}` };
  }
}

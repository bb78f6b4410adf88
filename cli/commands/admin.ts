// `fedtune admin status|rounds|sites|audit|site drop`: the operator's view and control of a running coordinator, over gRPC with an admin certificate.
import { readFileSync } from "node:fs";
import { UsageError, type Command, type CliContext, type ParsedArgs } from "../command.ts";
import { dialGrpc } from "../../client/transport/grpc.ts";
import { FederationError } from "../../proto/errors.ts";
import type { LedgerReport } from "../../proto/messages.ts";
import type { Connection } from "../../proto/transport.ts";
import { ADMIN_ENV, resolveAdminConnection } from "../admin-connection.ts";
import {
  EXPIRY_WARNING_DAYS,
  PkiError,
  expiryWarning,
  listIssued,
  listRevoked,
} from "../../coordinator/pki/index.ts";
import { parseSiteId, type SiteId } from "../../crypto/site-id.ts";

export const CALL_DEADLINE = { deadlineMs: 15_000 };

export const connectionOptions = {
  coordinator: {
    type: "string",
    description: `Coordinator host:port (or ${ADMIN_ENV.coordinator})`,
    defaultText: "127.0.0.1:50051",
  },
  ca: {
    type: "string",
    description: `Consortium CA certificate (PEM; or ${ADMIN_ENV.ca})`,
    defaultText: "pki/ca.cert.pem",
  },
  cert: { type: "string", description: `Admin certificate (PEM, role admin; or ${ADMIN_ENV.cert})` },
  key: { type: "string", description: `Admin private key (PEM; or ${ADMIN_ENV.key})` },
  kit: { type: "string", description: `Admin kit folder from \`fedtune pki sign\` (or ${ADMIN_ENV.kit})` },
  json: { type: "boolean", description: "Print JSON instead of a table" },
} as const;

export async function withAdmin(
  args: ParsedArgs,
  ctx: CliContext,
  action: (connection: Connection) => Promise<number>,
): Promise<number> {
  const settings = resolveAdminConnection(args);
  const tls = {
    caPem: readFileSync(settings.caPath, "utf8"),
    certPem: readFileSync(settings.certPath, "utf8"),
    keyPem: readFileSync(settings.keyPath, "utf8"),
  };
  const ownWarning = expiryWarning("this admin", tls.certPem);
  if (ownWarning !== undefined) ctx.logger.warn(ownWarning);
  const connection = dialGrpc({ address: settings.coordinator, tls });
  try {
    return await action(connection);
  } catch (error) {
    if (error instanceof FederationError) {
      ctx.logger.error({ code: error.code }, `coordinator refused: ${error.publicMessage}`);
      return 1;
    }
    throw error;
  } finally {
    connection.close();
  }
}

/** Rows as aligned columns (or JSON lines with --json). */
export function printRows(ctx: CliContext, json: boolean, rows: readonly Record<string, unknown>[]): void {
  if (json) {
    for (const row of rows) ctx.print(JSON.stringify(row));
    return;
  }
  const first = rows[0];
  if (first === undefined) {
    ctx.print("(none)");
    return;
  }
  const columns = Object.keys(first);
  const cell = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value));
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => cell(row[column]).length)),
  );
  const line = (values: string[]): string =>
    values
      .map((value, i) => value.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  ctx.print(line(columns));
  for (const row of rows) ctx.print(line(columns.map((column) => cell(row[column]))));
}

/** A run id as typed by the operator: a positive integer. */
export function parseRunId(text: string | undefined, what: string): number {
  const runId = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || runId < 1)
    throw new UsageError(`${what} must be a run id (a positive integer), got ${text ?? "nothing"}`);
  return runId;
}

/** Unrevoked certificates in the operator's PKI folder that expire within EXPIRY_WARNING_DAYS. */
function expiringCertificates(pkiDir: string, now: Date): string[] {
  const revoked = new Set(listRevoked(pkiDir).map((entry) => entry.serialNumber));
  const soon = now.getTime() + EXPIRY_WARNING_DAYS * 86_400_000;
  const newest = new Map(
    listIssued(pkiDir)
      .filter((entry) => !revoked.has(entry.serialNumber))
      .map((entry) => [entry.name, entry] as const),
  );
  return [...newest.values()]
    .filter((entry) => new Date(entry.notAfter).getTime() < soon)
    .map(
      (entry) =>
        `${entry.name} (${entry.role}) certificate expires ${entry.notAfter}: run fedtune pki renew --name ${entry.name}`,
    );
}

export const adminStatusCommand: Command = {
  path: ["admin", "status"],
  summary: "Federation status (admin certificate)",
  details: `Warns about certificates expiring within ${EXPIRY_WARNING_DAYS} days: the admin's own, and with --pki-dir every unrevoked one the operator issued.`,
  options: {
    ...connectionOptions,
    "pki-dir": {
      type: "string",
      description: "The operator's PKI folder, to check every issued certificate's expiry",
    },
  },
  run: (args, ctx) =>
    withAdmin(args, ctx, async (connection) => {
      const pkiDir = args.string("pki-dir");
      for (const warning of pkiDir === undefined ? [] : expiringCertificates(pkiDir, new Date()))
        ctx.logger.warn(warning);
      printRows(ctx, args.flag("json"), [await connection.admin.status({}, CALL_DEADLINE)]);
      return 0;
    }),
};

export const adminRoundsCommand: Command = {
  path: ["admin", "rounds"],
  summary: "Rounds of a run and their outcomes (admin certificate)",
  details:
    "training_round counts training rounds (rounds: 2 gives 1 and 2); an eval round shows the training round it follows. " +
    "round is the protocol's number, shared by train and eval rounds.",
  options: {
    ...connectionOptions,
    run: { type: "string", description: "Run id", defaultText: "the run in progress, or the latest" },
  },
  run: (args, ctx) =>
    withAdmin(args, ctx, async (connection) => {
      const run = args.string("run");
      const runId = run === undefined ? 0 : parseRunId(run, "--run");
      const { rounds } = await connection.admin.rounds({ runId }, CALL_DEADLINE);
      printRows(
        ctx,
        args.flag("json"),
        rounds.map(({ runId: run, trainingRound, kind, round, attempt, ...rest }) => ({
          run,
          training_round: trainingRound,
          kind,
          round,
          attempt,
          ...rest,
        })),
      );
      return 0;
    }),
};

/** A site's reported privacy ledger as one table cell: the ε it has spent of its cap, at its δ. */
function ledgerCell(ledger: LedgerReport | null): string {
  if (ledger === null) return "-";
  return `ε ${ledger.epsilonSpent.toFixed(2)} of ${ledger.epsilonBudget} (δ ${ledger.delta})`;
}

export const adminSitesCommand: Command = {
  path: ["admin", "sites"],
  summary: "Enrolled sites, their participation and the ε their ledgers hold (admin certificate)",
  options: connectionOptions,
  run: (args, ctx) =>
    withAdmin(args, ctx, async (connection) => {
      const { sites } = await connection.admin.sites({}, CALL_DEADLINE);
      const json = args.flag("json");
      printRows(
        ctx,
        json,
        json ? sites : sites.map((site) => ({ ...site, ledger: ledgerCell(site.ledger) })),
      );
      return 0;
    }),
};

export const adminSiteDropCommand: Command = {
  path: ["admin", "site", "drop"],
  summary: "Take a site out of the round in progress now (admin certificate; audited)",
  positionals: "<site>",
  details:
    "The round goes on without the site when the privacy mode allows (SecAgg+ recovers its masks from the other sites' shares; in he mode it uploads or decrypts nothing more), otherwise its try is retried without it. Later rounds may pick it again.",
  options: connectionOptions,
  async run(args, ctx) {
    const [name, ...rest] = args.positionals;
    if (name === undefined || rest.length > 0) throw new UsageError("name exactly one site to drop");
    let site: SiteId;
    try {
      site = parseSiteId(name);
    } catch (error) {
      if (error instanceof PkiError) throw new UsageError(`"${name}" is not a site name: ${error.message}`);
      throw error;
    }
    return await withAdmin(args, ctx, async (connection) => {
      const dropped = await connection.admin.dropSite({ siteId: site }, CALL_DEADLINE);
      printRows(ctx, args.flag("json"), [{ site, ...dropped }]);
      return 0;
    });
  },
};

export const adminAuditCommand: Command = {
  path: ["admin", "audit"],
  summary: "Show or --verify the hash-chained audit log (admin certificate)",
  options: {
    ...connectionOptions,
    verify: { type: "boolean", description: "Recompute the hash chain instead of listing entries" },
    from: { type: "string", description: "First sequence number to list", defaultText: "1" },
  },
  run: (args, ctx) =>
    withAdmin(args, ctx, async (connection) => {
      if (args.flag("verify")) {
        const result = await connection.admin.verifyAudit({}, CALL_DEADLINE);
        printRows(ctx, args.flag("json"), [result]);
        return result.ok ? 0 : 1;
      }
      const entries = [];
      for await (const entry of connection.admin.audit(
        { fromSeq: args.integer("from", 1) },
        { deadlineMs: 60_000 },
      )) {
        entries.push(entry);
      }
      printRows(ctx, args.flag("json"), entries);
      return 0;
    }),
};

// The ε each site's ledger holds reaches the operator (issue 18 §3): sites report their ledger with each poll, the
// coordinator stores it, and `fedtune admin sites` shows it per site.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { adminSitesCommand } from "../../cli/commands/admin.ts";
import { runCommand } from "../helpers/run-command.ts";
import { createFederation } from "./helpers/federation.ts";

const SITES = ["alpha", "beta", "gamma"];

describe("fedtune admin sites after a run with client-level DP", () => {
  it("shows, per site, the ε its ledger holds as the site's last charge left it", async () => {
    const federation = await createFederation({
      sites: SITES,
      transport: "grpc",
      config: {
        rounds: 2,
        privacy: { mode: "secagg" },
        dp: { level: "site", clipNorm: 1, noiseMultiplier: 0.8, delta: 1e-5, epsilonBudget: 1000 },
        sitesPerRound: { fraction: 1, minimum: 3 },
      },
    });
    const running = SITES.map((name) => federation.startSite(name));
    try {
      const summary = await federation.coordinator.done;
      await Promise.all(running.map((site) => site.done));
      expect(summary.outcome).toBe("completed");

      const dir = mkdtempSync(join(tmpdir(), "fedtune-admin-"));
      const files = {
        ca: federation.pki.ca.certPem,
        cert: federation.pki.admin.certPem,
        key: federation.pki.admin.keyPem,
      };
      for (const [name, pem] of Object.entries(files)) writeFileSync(join(dir, `${name}.pem`), pem);
      const connection = {
        coordinator: federation.coordinator.address,
        ca: join(dir, "ca.pem"),
        cert: join(dir, "cert.pem"),
        key: join(dir, "key.pem"),
      };

      const json = await runCommand(adminSitesCommand, { ...connection, json: true });
      expect(json.code).toBe(0);
      const rows = json.lines.map(
        (line) =>
          JSON.parse(line) as {
            siteId: string;
            ledger: { epsilonSpent: number; epsilonBudget: number; delta: number } | null;
          },
      );
      expect(rows.map((row) => row.siteId)).toEqual(SITES);
      for (const row of rows) {
        const charges = (federation.siteEvents.get(row.siteId) ?? []).filter((e) => e.type === "privacy");
        const last = charges.at(-1);
        if (last?.type !== "privacy") throw new Error(`${row.siteId} was never charged`);
        expect(charges).toHaveLength(2);
        expect(row.ledger).toEqual({ epsilonSpent: last.epsilon, epsilonBudget: 1000, delta: 1e-5 });
      }

      const table = await runCommand(adminSitesCommand, connection);
      expect(table.code).toBe(0);
      const alpha = rows[0]?.ledger?.epsilonSpent ?? Number.NaN;
      expect(table.lines.find((line) => line.startsWith("alpha"))).toContain(
        `ε ${alpha.toFixed(2)} of 1000 (δ 0.00001)`,
      );
    } finally {
      await Promise.all(running.map((site) => site.stop()));
      await federation.coordinator.stop();
    }
  }, 120_000);
});

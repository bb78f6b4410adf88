// `fedtune pki init|issue|revoke` through their Command objects: exit 1 for refusals the folder's state causes, UsageError (exit 2) for bad flags.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../../cli/command.ts";
import { pkiCrlCommand, pkiInitCommand, pkiIssueCommand, pkiRevokeCommand } from "../../cli/commands/pki.ts";
import { pkiPaths } from "../../coordinator/pki/index.ts";
import { readCrlNumber, verifyCrl } from "../../crypto/pki/crl.ts";
import { runCommand } from "../helpers/run-command.ts";

const run = runCommand;

describe("fedtune pki", () => {
  let root: string;
  let dir: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "fedtune-pki-cli-"));
    dir = join(root, "pki");
    expect((await run(pkiInitCommand, { out: dir })).code).toBe(0);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("issues, refuses a second live certificate for the same name, revokes, then re-issues", async () => {
    const issued = await run(pkiIssueCommand, { dir, role: "site", name: "hospital-a" });
    expect(issued.code).toBe(0);
    const { cert, role } = JSON.parse(issued.lines[0] ?? "") as { cert: string; role: string };
    expect(role).toBe("site");
    expect(existsSync(cert)).toBe(true);

    expect((await run(pkiIssueCommand, { dir, role: "site", name: "hospital-a" })).code).toBe(1);
    const revoked = await run(pkiRevokeCommand, { dir, name: "hospital-a" });
    expect(revoked.code).toBe(0);
    expect(revoked.lines).toHaveLength(1);
    expect((await run(pkiRevokeCommand, { dir, name: "hospital-a" })).code).toBe(1);
    expect((await run(pkiIssueCommand, { dir, role: "site", name: "hospital-a" })).code).toBe(0);
  });

  it("crl reissues the CA-signed list one number up, revocations included, current for --validity-days", async () => {
    await run(pkiIssueCommand, { dir, role: "site", name: "hospital-c" });
    expect((await run(pkiRevokeCommand, { dir, name: "hospital-c" })).code).toBe(0);
    const crlPem = () => readFileSync(pkiPaths(dir).crl, "utf8");
    const afterRevoke = readCrlNumber(crlPem());
    const reissued = await run(pkiCrlCommand, { dir, "validity-days": "7" });
    expect(reissued.code).toBe(0);
    const printed = JSON.parse(reissued.lines[0] ?? "") as { crlNumber: number; nextUpdate: string };
    expect(printed.crlNumber).toBe(afterRevoke + 1);
    const crl = await verifyCrl(crlPem(), readFileSync(pkiPaths(dir).caCert, "utf8"));
    expect(crl.crlNumber).toBe(afterRevoke + 1);
    expect(crl.nextUpdate.toISOString()).toBe(printed.nextUpdate);
    expect(crl.thisUpdate.getTime()).toBeLessThan(Date.now());
    expect(Math.abs(crl.nextUpdate.getTime() - Date.now() - 7 * 86_400_000)).toBeLessThan(60_000);
    expect(crl.revocations.serialNumbers.size).toBeGreaterThanOrEqual(1);
    await expect(run(pkiCrlCommand, { dir, "validity-days": "0" })).rejects.toThrow(UsageError);
    expect((await run(pkiCrlCommand, { dir: join(root, "missing") })).code).toBe(1);
  });

  it("refuses to overwrite a CA and to work without one, with exit 1", async () => {
    expect((await run(pkiInitCommand, { out: dir })).code).toBe(1);
    const missing = join(root, "missing");
    expect((await run(pkiIssueCommand, { dir: missing, role: "site", name: "b" })).code).toBe(1);
    expect(existsSync(missing)).toBe(false);
  });

  it("rejects bad flags as usage errors and writes nothing", async () => {
    const before = readdirSync(dir).sort();
    await expect(run(pkiIssueCommand, { dir, role: "nurse", name: "b" })).rejects.toThrow(UsageError);
    await expect(run(pkiIssueCommand, { dir, role: "site" })).rejects.toThrow(/--name is required/);
    await expect(run(pkiIssueCommand, { dir, role: "site", name: "../b" })).rejects.toThrow(UsageError);
    // The name is judged before the folder is read: a bad name is a usage error even without a CA.
    await expect(
      run(pkiIssueCommand, { dir: join(root, "missing"), role: "site", name: "../b" }),
    ).rejects.toThrow(UsageError);
    await expect(run(pkiIssueCommand, { dir, role: "site", name: "b", hosts: "x" })).rejects.toThrow(
      /coordinator certificates only/,
    );
    await expect(
      run(pkiIssueCommand, { dir, role: "site", name: "b", "validity-days": "0" }),
    ).rejects.toThrow(UsageError);
    await expect(run(pkiRevokeCommand, { dir })).rejects.toThrow(UsageError);
    await expect(run(pkiInitCommand, { out: join(root, "q"), "validity-days": "x" })).rejects.toThrow(
      UsageError,
    );
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(existsSync(join(root, "q"))).toBe(false);
  });
});

// Start-up checks: a coordinator that cannot start says which config key is wrong, releases everything and creates nothing.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ParsedArgs, type CliContext } from "../../cli/command.ts";
import { coordinatorCheckCommand } from "../../cli/commands/coordinator.ts";
import { parseFederationConfig, type FederationConfig } from "../../coordinator/config.ts";
import { describeAdapter, startCoordinator } from "../../coordinator/server.ts";
import { BASE_MODEL_HASH, TINY_MODEL } from "../federation/helpers/federation.ts";
import { createTestPki, type TestPki } from "../federation/helpers/pki.ts";

const silent = pino({ level: "silent" });

async function freePort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function canBind(port: number): Promise<boolean> {
  const probe = createTcpServer();
  return new Promise((resolve) => {
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

describe("coordinator start-up", () => {
  let root: string;
  let pki: TestPki;
  let n = 0;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "fedtune-startup-"));
    pki = await createTestPki(["hospital-a"]);
    mkdirSync(join(root, "pki"));
    const site = pki.sites.get("hospital-a");
    writeFileSync(join(root, "pki", "ca.pem"), pki.ca.certPem);
    writeFileSync(join(root, "pki", "coordinator.pem"), pki.coordinator.certPem);
    writeFileSync(join(root, "pki", "coordinator.key"), pki.coordinator.keyPem);
    writeFileSync(join(root, "pki", "site.pem"), site?.certPem ?? "");
    writeFileSync(join(root, "pki", "site.key"), site?.keyPem ?? "");
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function config(overrides: Record<string, unknown> = {}): FederationConfig {
    n += 1;
    return parseFederationConfig(
      {
        baseModel: { source: "builtin", sha256: BASE_MODEL_HASH },
        rounds: 1,
        tls: { caCert: "pki/ca.pem", cert: "pki/coordinator.pem", key: "pki/coordinator.key" },
        listen: "127.0.0.1:0",
        storageDir: `state-${n}`,
        ...overrides,
      },
      "test",
      root,
    );
  }
  const adapter = (c: FederationConfig) => describeAdapter(TINY_MODEL, { ...c.lora }, BASE_MODEL_HASH, null);

  it("releases the metrics port and leaves no state folder when the server cannot bind (defect 2)", async () => {
    const metricsPort = await freePort();
    const c = config({ metricsPort });
    await expect(
      startCoordinator(c, {
        logger: silent,
        adapter: adapter(c),
        serve: () => Promise.reject(new Error("listen EADDRINUSE")),
      }),
    ).rejects.toThrow(/EADDRINUSE/);
    expect(await canBind(metricsPort)).toBe(true);
    expect(existsSync(c.storageDir)).toBe(false);
  });

  it("refuses a gRPC port in use before opening anything, naming the key (defect 2)", async () => {
    const blocker = createTcpServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const { port } = blocker.address() as { port: number };
    const metricsPort = await freePort();
    const c = config({ listen: `127.0.0.1:${port}`, metricsPort });
    try {
      await expect(startCoordinator(c, { logger: silent, adapter: adapter(c) })).rejects.toThrow(
        /listen: cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/,
      );
      expect(await canBind(metricsPort)).toBe(true);
      expect(existsSync(c.storageDir)).toBe(false);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it("refuses a site certificate, or a key of another certificate, as its own (defect 3)", async () => {
    const siteCert = config({ tls: { caCert: "pki/ca.pem", cert: "pki/site.pem", key: "pki/site.key" } });
    await expect(startCoordinator(siteCert, { logger: silent, adapter: adapter(siteCert) })).rejects.toThrow(
      /tls\.cert: hospital-a has role site; this call needs coordinator/,
    );
    const wrongKey = config({
      tls: { caCert: "pki/ca.pem", cert: "pki/coordinator.pem", key: "pki/site.key" },
    });
    await expect(startCoordinator(wrongKey, { logger: silent, adapter: adapter(wrongKey) })).rejects.toThrow(
      /tls\.cert: the private key does not belong/,
    );
    expect(existsSync(siteCert.storageDir)).toBe(false);
  });

  it("names the config key of a missing file and creates nothing (defect 5)", async () => {
    const c = config({
      tls: { caCert: "pki/ca.pem", cert: "pki/missing.pem", key: "pki/coordinator.key" },
      storageDir: "nested/state",
    });
    const failure = startCoordinator(c, { logger: silent, adapter: adapter(c) });
    await expect(failure).rejects.toThrow(/tls\.cert: file not found: .*missing\.pem/);
    await expect(failure).rejects.toThrow(/storageDir: parent folder not found/);
    expect(existsSync(join(root, "nested"))).toBe(false);
  });

  it("coordinator check prints a table and exits 0 only when all pass", async () => {
    const run = async (file: string): Promise<{ code: number; lines: string[] }> => {
      const lines: string[] = [];
      const ctx: CliContext = { logger: silent, print: (line) => lines.push(line) };
      const code = await coordinatorCheckCommand.run(new ParsedArgs({ config: file }, []), ctx);
      return { code, lines };
    };
    const good = join(root, "good.yaml");
    writeFileSync(
      good,
      "baseModel: { source: builtin }\nrounds: 1\nlisten: 127.0.0.1:0\nstorageDir: state-good\n" +
        "tls: { caCert: pki/ca.pem, cert: pki/coordinator.pem, key: pki/coordinator.key }\n",
    );
    const ok = await run(good);
    expect(ok.code).toBe(0);
    expect(ok.lines.join("\n")).toMatch(/certificate\s+ok/);
    expect(ok.lines.join("\n")).toMatch(/base model\s+ok\s+sha256 [0-9a-f]{64}/);
    const bad = join(root, "bad.yaml");
    writeFileSync(
      bad,
      `baseModel: { source: builtin, sha256: "${"0".repeat(64)}" }\nrounds: 1\nlisten: 127.0.0.1:0\n` +
        "tls: { caCert: pki/ca.pem, cert: pki/site.pem, key: pki/site.key }\n",
    );
    const failed = await run(bad);
    expect(failed.code).toBe(1);
    expect(failed.lines.join("\n")).toMatch(/certificate\s+FAILED\s+tls\.cert: hospital-a has role site/);
    expect(failed.lines.join("\n")).toMatch(/base model\s+FAILED\s+baseModel\.sha256/);
    expect(existsSync(join(root, "state-good"))).toBe(false);
  });
});

// `fedtune client start|check` refuse before joining: named config keys, bad rows as file:line, a server certificate no site can use.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ParsedArgs, type CliContext, type Command } from "../../cli/command.ts";
import { clientCheckCommand, clientStartCommand } from "../../cli/commands/client.ts";
import { createTestPki, type TestPki } from "../federation/helpers/pki.ts";
import type { TlsIdentity } from "../../proto/transport.ts";

async function run(
  command: Command,
  config: string,
): Promise<{ code: number; lines: string[]; logs: string }> {
  const lines: string[] = [];
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const ctx: CliContext = { logger: pino({ level: "info" }, sink), print: (line) => lines.push(line) };
  const code = await command.run(new ParsedArgs({ config }, []), ctx);
  return { code, lines, logs: logs.join("") };
}

/** A TLS server that completes handshakes with `identity` and does nothing else. */
async function tlsServer(identity: TlsIdentity): Promise<{ server: Server; address: string }> {
  const server = createServer({
    ca: identity.caPem,
    cert: identity.certPem,
    key: identity.keyPem,
    requestCert: true,
    ALPNProtocols: ["h2"],
  });
  server.on("secureConnection", (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, address: `127.0.0.1:${(server.address() as { port: number }).port}` };
}

describe("site start-up checks", () => {
  let root: string;
  let pki: TestPki;
  let coordinator: { server: Server; address: string };
  let impostor: { server: Server; address: string };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "fedtune-site-start-"));
    pki = await createTestPki(["hospital-a", "hospital-b"]);
    const a = pki.sites.get("hospital-a");
    const b = pki.sites.get("hospital-b");
    if (a === undefined || b === undefined) throw new Error("test PKI lacks sites");
    writeFileSync(join(root, "ca.pem"), pki.ca.certPem);
    writeFileSync(join(root, "a.pem"), a.certPem);
    writeFileSync(join(root, "a.key"), a.keyPem);
    writeFileSync(join(root, "b.key"), b.keyPem);
    writeFileSync(join(root, "good.jsonl"), `${JSON.stringify({ text: "Patient presents with fever." })}\n`);
    writeFileSync(join(root, "empty.jsonl"), "");
    writeFileSync(join(root, "invalid.jsonl"), '{"oops": 1}\nnot json\n');
    writeFileSync(
      join(root, "mixed.jsonl"),
      `${JSON.stringify({ text: "fine" })}\n{"oops": 1}\n${JSON.stringify({ text: "also fine" })}\n`,
    );
    coordinator = await tlsServer(pki.coordinator);
    // A server with a certificate of the right CA but the site role: sites must not trust it.
    impostor = await tlsServer({ caPem: pki.ca.certPem, certPem: b.certPem, keyPem: b.keyPem });
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => coordinator.server.close(() => resolve()));
    await new Promise<void>((resolve) => impostor.server.close(() => resolve()));
    rmSync(root, { recursive: true, force: true });
  });

  function siteYaml(
    file: string,
    options: { data?: string; coordinator?: string; key?: string; strict?: boolean } = {},
  ): string {
    const path = join(root, file);
    writeFileSync(
      path,
      [
        "name: hospital-a",
        `coordinator: ${options.coordinator ?? coordinator.address}`,
        `tls: { caCert: ca.pem, cert: a.pem, key: ${options.key ?? "a.key"} }`,
        `data: { train: ${options.data ?? "good.jsonl"}, strict: ${String(options.strict ?? false)} }`,
        `stateDir: state-${file}`,
      ].join("\n"),
    );
    return path;
  }

  it("refuses an empty or all-invalid data file before joining, rows named file:line (defect 4)", async () => {
    const empty = await run(clientStartCommand, siteYaml("empty.yaml", { data: "empty.jsonl" }));
    expect(empty.code).toBe(2);
    expect(empty.logs).toMatch(/data\.train: .*empty\.jsonl has no valid rows/);
    const invalid = await run(clientStartCommand, siteYaml("invalid.yaml", { data: "invalid.jsonl" }));
    expect(invalid.code).toBe(2);
    expect(invalid.logs).toMatch(/invalid\.jsonl:1: /);
    const strict = await run(
      clientStartCommand,
      siteYaml("strict.yaml", { data: "mixed.jsonl", strict: true }),
    );
    expect(strict.code).toBe(2);
    expect(strict.logs).toMatch(/data\.train: .*mixed\.jsonl:2: /);
    for (const file of ["empty.yaml", "invalid.yaml", "strict.yaml"])
      expect(existsSync(join(root, `state-${file}`))).toBe(false);
  });

  it("names the config key of a missing file and a key that is not the certificate's (defect 5)", async () => {
    const missing = await run(clientStartCommand, siteYaml("missing.yaml", { data: "nowhere.jsonl" }));
    expect(missing.code).toBe(2);
    expect(missing.logs).toMatch(/data\.train: file not found: .*nowhere\.jsonl/);
    const wrongKey = await run(clientStartCommand, siteYaml("wrong-key.yaml", { key: "b.key" }));
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.logs).toMatch(
      /tls\.cert: the private key does not belong to the certificate of hospital-a/,
    );
  });

  it("stops with the reason when the server's certificate is not a coordinator's (defect 3)", async () => {
    const started = await run(
      clientStartCommand,
      siteYaml("impostor.yaml", { coordinator: impostor.address }),
    );
    expect(started.code).toBe(1);
    expect(started.logs).toMatch(/is not a coordinator of this consortium: hospital-b has role site/);
    expect(existsSync(join(root, "state-impostor.yaml"))).toBe(false);
  });

  it("client check passes on a good kit and fails, row by row, on a bad one", async () => {
    const good = await run(clientCheckCommand, siteYaml("check-good.yaml"));
    expect(good.lines.join("\n")).toMatch(/coordinator\s+ok\s+127\.0\.0\.1:\d+ answers as coordinator/);
    expect(good.code).toBe(0);
    const bad = await run(
      clientCheckCommand,
      siteYaml("check-bad.yaml", { key: "b.key", data: "invalid.jsonl", coordinator: impostor.address }),
    );
    expect(bad.code).toBe(1);
    const table = bad.lines.join("\n");
    expect(table).toMatch(/certificate\s+FAILED\s+tls\.cert/);
    expect(table).toMatch(/data\s+FAILED\s+data\.train/);
    expect(table).toMatch(/coordinator\s+FAILED/);
  });
});

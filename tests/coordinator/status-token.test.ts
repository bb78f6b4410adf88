// The status page's protection: open on loopback; off loopback the coordinator refuses to start without an
// operator token, and then every route but the probes needs it (Bearer header, or the cookie that /?token= sets).
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isLoopbackHost, TOKEN_COOKIE, tokenMatches } from "../../coordinator/status/access.ts";
import { createFederation } from "../federation/helpers/federation.ts";

const TOKEN = "f3a9c1d27be04e6a8d5f0c3b9e71a4d6";

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

function federationDir(token: string | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), "fedtune-status-token-"));
  if (token !== undefined) writeFileSync(join(dir, "status-token"), `${token}\n`);
  return dir;
}

describe("the status page's operator token", () => {
  it("tells loopback binds from the rest", () => {
    for (const host of ["127.0.0.1", "127.3.2.1", "localhost", "::1", "[::1]"])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ["0.0.0.0", "::", "10.1.2.3", "192.168.0.7", "status.example.org", "127.example.org"])
      expect(isLoopbackHost(host), host).toBe(false);
  });

  it("compares whole tokens only", () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    for (const offered of ["", TOKEN.slice(0, -1), `${TOKEN}0`, TOKEN.toUpperCase(), ` ${TOKEN}`])
      expect(tokenMatches(offered, TOKEN), offered).toBe(false);
  });

  it("refuses to start bound off loopback without a token file, or with a short one, and creates nothing", async () => {
    const config = {
      rounds: 1,
      storageDir: "state",
      metricsPort: 0,
      metricsHost: "0.0.0.0",
    };
    const bare = federationDir(undefined);
    await expect(
      createFederation({ sites: ["alpha"], transport: "grpc", dir: bare, config }),
    ).rejects.toThrow(/metricsHost: 0\.0\.0\.0 is not a loopback address; set statusTokenFile/);
    expect(existsSync(join(bare, "state"))).toBe(false);
    const short = federationDir("too-short");
    await expect(
      createFederation({
        sites: ["alpha"],
        transport: "grpc",
        dir: short,
        config: { ...config, statusTokenFile: "status-token" },
      }),
    ).rejects.toThrow(/statusTokenFile: .*status-token must hold one token of at least 32 characters/);
    expect(existsSync(join(short, "state"))).toBe(false);
  });

  it("bound off loopback: probes open, page, /api/status and /metrics only with the token", async () => {
    const federation = await createFederation({
      sites: ["alpha"],
      transport: "grpc",
      dir: federationDir(TOKEN),
      config: { rounds: 1, metricsPort: 0, metricsHost: "0.0.0.0", statusTokenFile: "status-token" },
    });
    const port = federation.coordinator.metricsPort;
    if (port === undefined) throw new Error("no HTTP port");
    try {
      expect((await get(port, "/healthz")).status).toBe(200);
      expect((await get(port, "/readyz")).status).toBe(200);
      for (const path of ["/", "/api/status", "/metrics", "/nothing-here"]) {
        const anonymous = await get(port, path);
        expect(anonymous.status, path).toBe(401);
        expect(anonymous.body).not.toContain(federation.config.name);
        expect(anonymous.headers["www-authenticate"]).toBe("Bearer");
        expect((await get(port, path, { authorization: `Bearer ${TOKEN}x` })).status, path).toBe(401);
      }
      const bearer = { authorization: `Bearer ${TOKEN}` };
      expect((await get(port, "/", bearer)).body).toContain('<main id="status">');
      expect(JSON.parse((await get(port, "/api/status", bearer)).body)).toMatchObject({
        federation: federation.config.name,
      });
      expect((await get(port, "/metrics", bearer)).body).toContain("fedtune_sites_online");

      // The browser's way in: /?token= once, then the cookie, which no script can read or other site send.
      expect((await get(port, `/?token=${TOKEN.slice(1)}`)).status).toBe(401);
      expect((await get(port, `/api/status?token=${TOKEN}`)).status).toBe(401);
      const entry = await get(port, `/?token=${TOKEN}`);
      expect(entry.status).toBe(303);
      expect(entry.headers.location).toBe("/");
      const [cookie] = entry.headers["set-cookie"] ?? [];
      expect(cookie).toMatch(new RegExp(`^${TOKEN_COOKIE}=${TOKEN}; `));
      expect(cookie).toContain("HttpOnly");
      expect(cookie).toContain("SameSite=Strict");
      const session = { cookie: `other=1; ${(cookie ?? "").split(";")[0] ?? ""}` };
      expect((await get(port, "/api/status", session)).status).toBe(200);
      expect((await get(port, "/", session)).status).toBe(200);
      expect((await get(port, "/api/status", { cookie: `${TOKEN_COOKIE}=${TOKEN.slice(2)}` })).status).toBe(
        401,
      );
    } finally {
      await federation.coordinator.stop();
    }
  });
});

// The probe endpoints: /healthz while the process serves, /readyz following the readiness check, nothing else.
import { describe, expect, it } from "vitest";
import { readinessFlag, startProbeServer } from "../../proto/http-probes.ts";
import { httpGet } from "./http-get.ts";

describe("probe server", () => {
  it("answers /healthz always and /readyz only once ready, with the reason until then", async () => {
    const readiness = readinessFlag("not joined yet");
    const server = await startProbeServer({ port: 0, host: "127.0.0.1", readiness });
    try {
      expect(await httpGet(server.port, "/healthz")).toEqual({ status: 200, body: "ok\n" });
      expect(await httpGet(server.port, "/readyz")).toEqual({
        status: 503,
        body: "not ready: not joined yet\n",
      });
      readiness.set(true);
      expect(await httpGet(server.port, "/readyz?verbose")).toEqual({ status: 200, body: "ready\n" });
      readiness.set(false, "stopping");
      expect((await httpGet(server.port, "/readyz")).body).toBe("not ready: stopping\n");
      expect((await httpGet(server.port, "/metrics")).status).toBe(404);
      expect((await httpGet(server.port, "/healthz", "POST")).status).toBe(404);
      expect((await httpGet(server.port, "/constructor")).status).toBe(404);
    } finally {
      await server.stop();
    }
  });

  it("serves extra routes beside the probes", async () => {
    const server = await startProbeServer({
      port: 0,
      host: "127.0.0.1",
      readiness: () => ({ ready: true, reason: "" }),
      routes: { "/version": (response) => response.writeHead(200).end("1") },
    });
    try {
      expect(await httpGet(server.port, "/version")).toEqual({ status: 200, body: "1" });
      expect((await httpGet(server.port, "/readyz")).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});

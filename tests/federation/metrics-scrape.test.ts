// A live coordinator's /metrics after a round: process and Node.js metrics, sites online, per-round bytes and
// durations, refusals by reason; `promtool check metrics` accepts the scrape where Debian's prometheus is installed.
import { spawnSync } from "node:child_process";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { FederationError } from "../../proto/errors.ts";
import { httpGet } from "../proto/http-get.ts";
import { createFederation } from "./helpers/federation.ts";

const promtool = spawnSync("promtool", ["--version"]).status === 0;

describe("a live coordinator's metrics and logs", () => {
  it("cover the process, sites online, rounds' bytes and durations, refusals, joins and bound ports", async () => {
    const sites = ["alpha", "beta"];
    const logs: Record<string, unknown>[] = [];
    const logger = pino(
      { level: "info" },
      { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
    );
    const federation = await createFederation({
      logger,
      sites: [...sites, "gamma"],
      transport: "grpc",
      config: {
        rounds: 1,
        privacy: { mode: "none" },
        sitesPerRound: { fraction: 1, minimum: 2 },
        deadlines: { joinMs: 3_000, trainMs: 20_000, evalMs: 20_000 },
        metricsPort: 0,
      },
    });
    const gamma = federation.pki.sites.get("gamma");
    if (gamma === undefined) throw new Error("no gamma");
    // gamma never joined: its poll is refused (FAILED_PRECONDITION), counted by reason.
    const stranger = federation.dial({ address: federation.coordinator.address, tls: gamma });
    const refused = await stranger.federation
      .poll({ waitMs: 0, ledger: null }, { deadlineMs: 5_000 })
      .catch((e: unknown) => e);
    stranger.close();
    expect(refused).toBeInstanceOf(FederationError);
    const running = sites.map((name) => federation.startSite(name));
    const summary = await federation.coordinator.done;
    const port = federation.coordinator.metricsPort;
    if (port === undefined) throw new Error("no metrics port");
    const { status, body } = await httpGet(port, "/metrics");
    await Promise.all(running.map((site) => site.done));
    await federation.coordinator.stop();
    expect(summary.outcome).toBe("completed");
    expect(status).toBe(200);
    for (const name of [
      "process_cpu_user_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_eventloop_lag_seconds",
      "nodejs_heap_size_used_bytes",
      "fedtune_sites_online",
      "fedtune_round_bytes_bucket",
      "fedtune_round_duration_seconds_bucket",
      "fedtune_stage_duration_seconds_bucket",
    ])
      expect(body).toContain(name);
    expect(body).toMatch(/fedtune_refused_calls_total\{reason="failed_precondition"[^}]*\} [1-9]/);
    expect(body).toMatch(/fedtune_round_bytes_count\{[^}]*direction="in"[^}]*\} [1-9]/);
    const messages = logs.map((entry) => entry["msg"]);
    expect(messages).toContain("site joined");
    expect(messages).toContain("site online");
    const refusal = logs.find((entry) => entry["msg"] === "call refused");
    expect(refusal).toMatchObject({ method: "Poll", peer: "gamma", code: "failed_precondition" });
    const grpcBound = logs.find((entry) => entry["msg"] === "coordinator listening (gRPC)")?.["bound"];
    const httpBound = logs.find((entry) => entry["msg"] === "metrics and probes listening (HTTP)")?.["bound"];
    // Port 0 was asked for both; the log names the ports the system chose.
    expect(grpcBound).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
    expect(httpBound).toBe(`127.0.0.1:${port}`);
    if (promtool) {
      const check = spawnSync("promtool", ["check", "metrics"], { input: body, encoding: "utf8" });
      expect(`${check.stdout}${check.stderr}`).toBe("");
      expect(check.status).toBe(0);
    }
  });
});

// Prometheus metrics: a private registry per coordinator, served on /metrics over HTTP.
import { describe, expect, it } from "vitest";
import { createCoordinatorMetrics, startMetricsServer } from "../../coordinator/metrics.ts";
import { httpGet as get } from "../proto/http-get.ts";

describe("coordinator metrics", () => {
  it("serves the counters, gauges and stage histogram of its own registry", async () => {
    const metrics = createCoordinatorMetrics({ federation: "test", privacyMode: "secagg" }, () => 2);
    const other = createCoordinatorMetrics({ federation: "other", privacyMode: "none" }, () => 0);
    metrics.rounds.inc({ kind: "train", outcome: "completed" });
    metrics.participants.inc({ kind: "train" }, 3);
    metrics.dropouts.inc({ stage: "unmask" });
    metrics.bytes.inc({ direction: "in", rpc: "SubmitUpdate" }, 4096);
    metrics.stageSeconds.observe({ stage: "train" }, 1.5);
    metrics.currentRound.set(1);
    const server = await startMetricsServer(metrics.registry, 0);
    try {
      const { status, body } = await get(server.port, "/metrics");
      expect(status).toBe(200);
      expect(body).toContain(
        'fedtune_rounds_total{kind="train",outcome="completed",federation="test",privacy_mode="secagg"} 1',
      );
      expect(body).toContain(
        'fedtune_participants_total{kind="train",federation="test",privacy_mode="secagg"} 3',
      );
      expect(body).toContain('fedtune_dropouts_total{stage="unmask"');
      expect(body).toContain(
        'fedtune_bytes_total{direction="in",rpc="SubmitUpdate",federation="test",privacy_mode="secagg"} 4096',
      );
      expect(body).toContain(
        'fedtune_stage_duration_seconds_bucket{le="2.5",federation="test",privacy_mode="secagg",stage="train"} 1',
      );
      expect(body).toContain("fedtune_round{");
      expect(body).not.toContain('federation="other"');
      expect((await get(server.port, "/other")).status).toBe(404);
      expect((await get(server.port, "/healthz")).status).toBe(200);
    } finally {
      await server.stop();
    }
    expect(await other.registry.getSingleMetricAsString("fedtune_rounds_total")).not.toContain("} 1");
  });
});

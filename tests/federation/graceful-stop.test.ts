// SIGTERM to a real `fedtune coordinator start` process mid-round: it stops cleanly (exit 0), sites come back
// to the restarted coordinator, and a site that had trained submits that same update to the retried round.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { startSiteClient, type SiteEvent } from "../../client/node/site-client.ts";
import { syntheticTrainer, type LocalUpdate } from "../../client/node/trainer.ts";
import { dialGrpc } from "../../client/transport/grpc.ts";
import { hashBaseModel } from "../../model/model-dir.ts";
import { seededRng } from "../../crypto/rng.ts";
import { quietLogger } from "./helpers/federation.ts";
import { createTestPki } from "./helpers/pki.ts";

const BIN = fileURLToPath(new URL("../../bin/fedtune.mjs", import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

interface Coordinator {
  readonly child: ChildProcess;
  readonly stderr: string[];
  readonly stdout: string[];
  readonly listening: Promise<void>;
  readonly exited: Promise<number | null>;
}

function startCoordinatorProcess(config: string): Coordinator {
  const child = spawn(
    process.execPath,
    [BIN, "coordinator", "start", "--once", "--config", config, "--log-format", "json"],
    {
      env: { ...process.env, FEDTUNE_LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const stderr: string[] = [];
  const stdout: string[] = [];
  const listening = new Promise<void>((resolve, reject) => {
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr.push(chunk.toString());
      if (stderr.join("").includes("coordinator listening")) resolve();
    });
    child.once("exit", () => reject(new Error(`coordinator exited before listening:\n${stderr.join("")}`)));
  });
  listening.catch(() => undefined);
  child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, stderr, stdout, listening, exited };
}

describe("a coordinator stopped with SIGTERM mid-round and started again", () => {
  it("exits cleanly, and a site that had trained submits the same update to the retried round", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fedtune-sigterm-"));
    const sites = ["alpha", "beta"];
    const pki = await createTestPki(sites);
    mkdirSync(join(dir, "pki"));
    writeFileSync(join(dir, "pki", "ca.pem"), pki.ca.certPem);
    writeFileSync(join(dir, "pki", "coordinator.pem"), pki.coordinator.certPem);
    writeFileSync(join(dir, "pki", "coordinator.key"), pki.coordinator.keyPem);
    const port = await freePort();
    const baseModelHash = await hashBaseModel("builtin");
    const config = join(dir, "coordinator.yaml");
    writeFileSync(
      config,
      [
        "baseModel: { source: builtin, sha256: " + baseModelHash + " }",
        "rounds: 2",
        "privacy: { mode: none }",
        "sitesPerRound: { fraction: 1, minimum: 2 }",
        "deadlines: { joinMs: 60000, trainMs: 30000, evalMs: 30000 }",
        `listen: 127.0.0.1:${port}`,
        "tls: { caCert: pki/ca.pem, cert: pki/coordinator.pem, key: pki/coordinator.key }",
        "storageDir: state",
      ].join("\n"),
    );
    let coordinator = startCoordinatorProcess(config);
    await coordinator.listening;
    const first = coordinator;
    let stopped: number | null | undefined;
    const events = new Map<string, SiteEvent[]>(sites.map((name) => [name, []]));
    const trained = new Map<string, LocalUpdate[]>(sites.map((name) => [name, []]));
    const running = sites.map((name) =>
      startSiteClient({
        coordinator: `localhost:${port}`,
        stateDir: join(dir, "sites", name),
        tls: pki.sites.get(name) ?? pki.stranger,
        dial: dialGrpc,
        logger: quietLogger(),
        rng: seededRng(`site-${name}`),
        baseModelHash,
        createTrainer: (_lora, vectorLength) =>
          Promise.resolve(
            syntheticTrainer({
              vectorLength,
              numExamples: 10,
              rng: seededRng(`train-${name}`),
              onUpdate: (update) => trained.get(name)?.push(update),
            }),
          ),
        pollWaitMs: 2_000,
        onEvent: (event) => events.get(name)?.push(event),
        faults: {
          // alpha has trained round 1 and is about to upload: the coordinator is stopped, then started again.
          beforeStage: async (stage, ref): Promise<"continue" | "drop"> => {
            if (name !== "alpha" || stage !== "submit" || ref.round !== 1 || ref.attempt !== 1)
              return "continue";
            first.child.kill("SIGTERM");
            stopped = await first.exited;
            coordinator = startCoordinatorProcess(config);
            await coordinator.listening;
            return "continue";
          },
        },
      }),
    );
    const summaries = await Promise.all(running.map((site) => site.done));
    const exitCode = await coordinator.exited;

    expect(stopped).toBe(0);
    expect(first.stderr.join("")).toContain("stopping the coordinator");
    expect(first.stdout.join("")).toContain('"outcome":"stopped"');
    expect(exitCode).toBe(0);
    expect(coordinator.stdout.join("")).toContain('"outcome":"completed"');
    expect(summaries.map((summary) => summary.outcome)).toEqual(["finished", "finished"]);
    // alpha trained once per round: round 1's retried try got the update trained for its first try.
    expect(trained.get("alpha")).toHaveLength(2);
    const alphaTrained = (events.get("alpha") ?? []).filter((event) => event.type === "trained");
    expect(alphaTrained.filter((event) => event.reused).map((event) => event.ref.round)).toEqual([1]);
  }, 120_000);
});

// The image's entry point runs the coordinator and the site clients from the files the manifests mount, without Docker:
// each volume is materialised under a folder standing for that pod's root, and the Service name is loopback.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Secret } from "kubernetes-models/v1/Secret";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { ENTRYPOINT, MOUNTS, PORTS, STATUS_TOKEN_FILE } from "../../deploy/layout.ts";
import { objectName } from "../../deploy/manifests.ts";
import type { ManifestObject } from "../../deploy/manifests.ts";
import { SIM_CONSORTIUM, emitK8s } from "../../sim/emit-k8s.ts";
import { parseSimOptions } from "../../sim/options.ts";
import { httpGet } from "../proto/http-get.ts";

const REPO = resolve(import.meta.dirname, "../..");
/** The image's WORKDIR (deploy/Dockerfile): the repository's files. */
const APP_DIR = "/app";

let work: string | undefined;
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** Rewrites every absolute path under one of the pod's mounts to the folder standing for it. */
function remapPaths(value: unknown, root: string): unknown {
  if (typeof value === "string") {
    const mount = Object.values(MOUNTS).find((m) => value === m || value.startsWith(`${m}/`));
    return mount === undefined ? value : join(root, value);
  }
  if (Array.isArray(value)) return value.map((v) => remapPaths(v, root));
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, remapPaths(v, root)]));
  return value;
}

interface Pod {
  readonly root: string;
  readonly command: string;
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
  readonly configFile: string;
}

/** Writes a Deployment's ConfigMap and Secret volumes where it mounts them, under `root`. */
async function materialise(
  deployment: Deployment,
  objects: readonly ManifestObject[],
  root: string,
): Promise<Pod> {
  const pod = deployment.spec?.template.spec;
  const container = pod?.containers[0];
  if (pod === undefined || container === undefined) throw new Error("no container");
  for (const volume of pod.volumes ?? []) {
    const mount = container.volumeMounts?.find((m) => m.name === volume.name);
    if (mount === undefined) throw new Error(`volume ${volume.name} is not mounted`);
    const at = join(root, mount.mountPath);
    await mkdir(at, { recursive: true });
    const source =
      volume.configMap !== undefined
        ? objects.find((o) => o instanceof ConfigMap && o.metadata?.name === volume.configMap?.name)
        : objects.find((o) => o instanceof Secret && o.metadata?.name === volume.secret?.secretName);
    const files =
      source instanceof ConfigMap ? source.data : source instanceof Secret ? source.stringData : {};
    for (const [file, text] of Object.entries(files ?? {})) await writeFile(join(at, file), text);
  }
  const [role, config] = container.args ?? [];
  if (role === undefined || config === undefined) throw new Error("no role and config in the args");
  expect(container.command).toEqual([ENTRYPOINT]);
  return {
    root,
    command: join(REPO, ENTRYPOINT.slice(APP_DIR.length)),
    args: [role, join(root, config)],
    env: Object.fromEntries(
      (container.env ?? []).map((e) => [e.name, String(remapPaths(e.value ?? "", root))]),
    ),
    configFile: join(root, config),
  };
}

/** Edits a mounted config file as the cluster would see it from here: mounts under the pod's root, ports free. */
async function localise(pod: Pod, edit: (config: Record<string, unknown>) => void): Promise<void> {
  const config = remapPaths(parse(await readFile(pod.configFile, "utf8")), pod.root) as Record<
    string,
    unknown
  >;
  edit(config);
  await writeFile(pod.configFile, stringify(config));
}

function start(pod: Pod, output: string[]): ChildProcess {
  const child = spawn(pod.command, pod.args, {
    cwd: pod.root,
    env: {
      PATH: process.env["PATH"],
      TMPDIR: join(pod.root, MOUNTS.tmp),
      FEDTUNE_LOG_LEVEL: "warn",
      ...pod.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  children.push(child);
  return child;
}

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((done) => child.once("exit", done));

/** Polls /readyz until it answers 200 (true) or the process exits first (false). */
async function becomesReady(port: number, child: ChildProcess): Promise<boolean> {
  while (child.exitCode === null) {
    const answer = await httpGet(port, "/readyz").catch(() => undefined);
    if (answer?.status === 200) return true;
    await delay(100);
  }
  return false;
}

describe("deploy/entrypoint.sh", () => {
  it("refuses a missing config with a clear message", async () => {
    const output: string[] = [];
    const child = start(
      {
        root: tmpdir(),
        command: join(REPO, "deploy/entrypoint.sh"),
        args: ["site", "/nonexistent/site.yaml"],
        env: {},
        configFile: "",
      },
      output,
    );
    expect(await exited(child)).toBe(2);
    expect(output.join("")).toContain("no readable config at /nonexistent/site.yaml");
  });

  it("starts the coordinator and two sites from the mounted files; they join, report ready, finish a run and stop on SIGTERM", async () => {
    work = await mkdtemp(join(tmpdir(), "fedtune-entry-"));
    const options = parseSimOptions({
      out: work,
      sites: 2,
      rounds: 1,
      localSteps: 1,
      batchSize: 2,
      examplesPerSite: 8,
      evaluateEvery: 1,
    });
    const { objects } = await emitK8s(
      options,
      { image: "fedtune:test", storageSize: "1Gi" },
      join(work, "manifests"),
    );
    const deployments = objects.filter((o): o is Deployment => o instanceof Deployment);
    const coordinatorName = objectName(SIM_CONSORTIUM, "coordinator");
    const grpcPort = await freePort();
    const pods = await Promise.all(
      deployments.map(async (d) => {
        const name = d.metadata?.name ?? "";
        const pod = await materialise(d, objects, join(work ?? "", name));
        const httpPort = await freePort();
        await localise(pod, (config) => {
          if (name === coordinatorName) {
            expect(config["listen"]).toBe(`0.0.0.0:${PORTS.grpc}`);
            Object.assign(config, {
              listen: `127.0.0.1:${grpcPort}`,
              metricsPort: httpPort,
              metricsHost: "127.0.0.1",
            });
          } else {
            // The Service's DNS name, as resolved inside the cluster.
            expect(config["coordinator"]).toBe(`${coordinatorName}:${PORTS.grpc}`);
            Object.assign(config, {
              coordinator: `localhost:${grpcPort}`,
              health: { port: httpPort, host: "127.0.0.1" },
            });
          }
        });
        return { name, pod, httpPort };
      }),
    );
    const output: string[] = [];
    const [coordinator, ...sites] = pods.sort((a, b) =>
      a.name === coordinatorName ? -1 : b.name === coordinatorName ? 1 : 0,
    );
    if (coordinator === undefined || sites.length !== 2)
      throw new Error("expected a coordinator and two sites");
    const coordinatorProcess = start(coordinator.pod, output);
    expect(await becomesReady(coordinator.httpPort, coordinatorProcess)).toBe(true);
    // /metrics needs the operator token from the mounted Secret; the probes above did not.
    expect((await httpGet(coordinator.httpPort, "/metrics")).status).toBe(401);
    const token = (
      await readFile(join(coordinator.pod.root, MOUNTS.statusToken, STATUS_TOKEN_FILE), "utf8")
    ).trim();
    const scrape = await fetch(`http://127.0.0.1:${coordinator.httpPort}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await scrape.text()).toContain("fedtune_sites_joined");
    const siteProcesses = sites.map((site) => start(site.pod, output));
    const siteReady = await Promise.all(
      sites.map((site, i) => becomesReady(site.httpPort, siteProcesses[i] as ChildProcess)),
    );
    expect(siteReady).toEqual([true, true]);
    // Long-lived, as Deployments are: the coordinator serves on after its first run and the sites wait for
    // the next one. Once the run completed and both sites heard so, SIGTERM stops each cleanly.
    const finishedSites = (): number => output.join("").split('"type":"finished"').length - 1;
    for (
      let waited = 0;
      !output.join("").includes('"outcome":"completed"') || finishedSites() < 2;
      waited += 250
    ) {
      const quit = [coordinatorProcess, ...siteProcesses].find((child) => child.exitCode !== null);
      if (quit !== undefined || waited > 200_000)
        throw new Error(`the run did not complete:\n${output.join("")}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    for (const child of [...siteProcesses, coordinatorProcess]) child.kill("SIGTERM");
    expect(await Promise.all(siteProcesses.map(exited)), output.join("")).toEqual([0, 0]);
    expect(await exited(coordinatorProcess)).toBe(0);
  }, 240_000);
});

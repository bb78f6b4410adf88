// The Kubernetes manifests of a simulated federation: schema-valid, and every reference (Secret, ConfigMap, claim, port, path) resolves.
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../cli/main.ts";
import { parseAllDocuments, parse } from "yaml";
import { parseFederationConfig } from "../../coordinator/config.ts";
import { siteConfigSchema } from "../../client/node/config.ts";
import { ENTRYPOINT, MOUNTS, PORTS, RUN_AS_USER, STATUS_TOKEN_FILE } from "../../deploy/layout.ts";
import type { ManifestObject } from "../../deploy/manifests.ts";
import { emitK8s } from "../../sim/emit-k8s.ts";
import { parseSimOptions } from "../../sim/options.ts";

let dir: string;
let objects: ManifestObject[];
let files: string[];

const SITES = 3;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fedtune-k8s-"));
  const emitted = await emitK8s(
    parseSimOptions({ out: dir, sites: SITES, examplesPerSite: 8, rounds: 2 }),
    { image: "registry.example/fedtune:1", storageSize: "2Gi" },
    join(dir, "manifests"),
  );
  objects = emitted.objects;
  files = emitted.files;
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function ofKind<T extends ManifestObject>(kind: new (...args: never[]) => T): T[] {
  return objects.filter((object): object is T => object instanceof kind);
}

function named<T extends ManifestObject>(kind: new (...args: never[]) => T, name: string): T {
  const found = ofKind(kind).find((object) => object.metadata?.name === name);
  if (found === undefined) throw new Error(`no ${kind.name} named ${name}`);
  return found;
}

describe("fedtune sim --emit k8s", () => {
  it("writes one file per component that reads back to the same, schema-valid objects", async () => {
    const listed = (await readdir(join(dir, "manifests"))).sort();
    expect(listed).toHaveLength(SITES + 1);
    expect(listed[0]).toBe("fedtune-sim-coordinator.yaml");
    expect(listed.slice(1).every((f) => /^fedtune-sim-site-site-0\d-[a-z-]+\.yaml$/.test(f))).toBe(true);
    const documents = (await Promise.all(files.map((f) => readFile(f, "utf8")))).flatMap((text) =>
      parseAllDocuments(text).map((d) => d.toJS() as { kind: string }),
    );
    expect(documents).toEqual(objects.map((o) => o.toJSON()));
    expect(ofKind(Deployment)).toHaveLength(SITES + 1);
    expect(ofKind(Service)).toHaveLength(1);
    for (const object of objects) expect(() => object.validate()).not.toThrow();
  });

  it("validation is real: a wrongly typed field or a missing required one is refused", () => {
    const coordinator = named(Deployment, "fedtune-sim-coordinator");
    const copy = (): Deployment =>
      new Deployment(structuredClone(coordinator.toJSON()) as ConstructorParameters<typeof Deployment>[0]);
    const broken = copy();
    const container = broken.spec?.template.spec?.containers[0];
    if (container?.ports?.[0] === undefined) throw new Error("no port");
    (container.ports[0] as { containerPort: unknown }).containerPort = "fifty";
    expect(() => broken.validate()).toThrow(/containerPort/);
    const noSelector = copy();
    delete (noSelector.spec as { selector?: unknown }).selector;
    expect(() => noSelector.validate()).toThrow(/selector/);
  });

  it("references only Secrets, ConfigMaps and claims it defines, mounted where the configs point", () => {
    for (const deployment of ofKind(Deployment)) {
      const pod = deployment.spec?.template.spec;
      const container = pod?.containers[0];
      if (pod === undefined || container === undefined) throw new Error("no pod");
      const mountOf = (volume: string): string | undefined =>
        container.volumeMounts?.find((m) => m.name === volume)?.mountPath;
      for (const volume of pod.volumes ?? []) {
        if (volume.secret !== undefined) named(Secret, volume.secret.secretName ?? "");
        if (volume.configMap !== undefined) named(ConfigMap, volume.configMap.name ?? "");
        if (volume.persistentVolumeClaim !== undefined) {
          const claim = named(PersistentVolumeClaim, volume.persistentVolumeClaim.claimName);
          expect(claim.spec?.resources?.requests?.["storage"]).toBe("2Gi");
        }
        expect(mountOf(volume.name)).toBeDefined();
      }
      expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true });
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
      expect(mountOf("tmp")).toBe(MOUNTS.tmp);
      expect(mountOf("state")).toBe(MOUNTS.state);
      // Probes reach the container's HTTP port by name.
      const http = container.ports?.find((p) => p.name === "http");
      expect(container.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "http" });
      expect(container.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "http" });
      const role = deployment.metadata?.labels?.["app.kubernetes.io/component"];
      expect(http?.containerPort).toBe(role === "coordinator" ? PORTS.coordinatorHttp : PORTS.siteHttp);
    }
  });

  it("gives the coordinator its state volume, its Secret, a Service and a scraped metrics port", () => {
    const deployment = named(Deployment, "fedtune-sim-coordinator");
    const annotations = deployment.spec?.template.metadata?.annotations ?? {};
    expect(annotations).toMatchObject({ "prometheus.io/scrape": "true", "prometheus.io/path": "/metrics" });
    const config = parseFederationConfig(
      parse(named(ConfigMap, "fedtune-sim-coordinator").data?.["coordinator.yaml"] ?? ""),
      "coordinator.yaml",
      MOUNTS.config,
    );
    expect(Number(annotations["prometheus.io/port"])).toBe(config.metricsPort);
    expect(config.storageDir.startsWith(`${MOUNTS.state}/`)).toBe(true);
    expect(config.tls.cert.startsWith(`${MOUNTS.tls}/`)).toBe(true);
    expect(config.listen).toBe(`0.0.0.0:${PORTS.grpc}`);
    const service = named(Service, "fedtune-sim-coordinator");
    expect(service.spec?.selector).toEqual(deployment.spec?.selector.matchLabels);
    const containerPorts = deployment.spec?.template.spec?.containers[0]?.ports ?? [];
    for (const port of service.spec?.ports ?? [])
      expect(containerPorts.find((p) => p.name === port.targetPort)?.containerPort).toBe(port.port);
    const tls = named(Secret, "fedtune-sim-coordinator-tls");
    expect(tls.type).toBe("kubernetes.io/tls");
    const cert = new X509Certificate(tls.stringData?.["tls.crt"] ?? "");
    expect(cert.subjectAltName).toContain("DNS:fedtune-sim-coordinator");
    // Bound on every interface, its status page and /metrics need the operator token, mounted from a Secret.
    expect(config.metricsHost).toBe("0.0.0.0");
    expect(config.statusTokenFile).toBe(`${MOUNTS.statusToken}/${STATUS_TOKEN_FILE}`);
    const volumes = deployment.spec?.template.spec?.volumes ?? [];
    const mounts = deployment.spec?.template.spec?.containers[0]?.volumeMounts ?? [];
    const tokenVolume = volumes.find((v) => v.secret?.secretName === "fedtune-sim-coordinator-status-token");
    expect(mounts.find((m) => m.name === tokenVolume?.name)?.mountPath).toBe(MOUNTS.statusToken);
    const token = named(Secret, "fedtune-sim-coordinator-status-token").stringData?.[STATUS_TOKEN_FILE] ?? "";
    expect(token).toMatch(/^[0-9a-f]{64}$/);
  });

  it("gives each site its own certificate, records and config dialling the coordinator's Service", () => {
    const sites = ofKind(Deployment).filter(
      (d) => d.metadata?.labels?.["app.kubernetes.io/component"] === "site",
    );
    expect(sites).toHaveLength(SITES);
    for (const site of sites) {
      const name = site.metadata?.name ?? "";
      const siteId = name.replace(/^fedtune-sim-site-/, "");
      const config = siteConfigSchema.parse(parse(named(ConfigMap, name).data?.["site.yaml"] ?? ""));
      expect(config.coordinator).toBe(`fedtune-sim-coordinator:${PORTS.grpc}`);
      expect(config.health).toEqual({ port: PORTS.siteHttp, host: "0.0.0.0" });
      expect(config.data.train.startsWith(`${MOUNTS.data}/`)).toBe(true);
      const data = named(ConfigMap, `${name}-data`).data ?? {};
      expect(Object.keys(data).sort()).toEqual(["train.jsonl", "validation.jsonl"]);
      expect((data["train.jsonl"] ?? "").split("\n").length).toBeGreaterThan(2);
      const secret = named(Secret, `${name}-tls`);
      const cert = new X509Certificate(secret.stringData?.["tls.crt"] ?? "");
      expect(cert.subject).toContain(`CN=${siteId}`);
      expect(cert.checkIssued(new X509Certificate(secret.stringData?.["ca.crt"] ?? ""))).toBe(true);
    }
  });
});

describe("deploy/Dockerfile", () => {
  it("runs as the user, exposes the ports and uses the entry point the manifests assume", async () => {
    const dockerfile = await readFile(new URL("../../deploy/Dockerfile", import.meta.url), "utf8");
    expect(dockerfile).toContain(`USER ${RUN_AS_USER}:${RUN_AS_USER}`);
    expect(dockerfile).toContain(`ENTRYPOINT ["${ENTRYPOINT}"]`);
    expect(dockerfile).toContain(`EXPOSE ${PORTS.grpc} ${PORTS.coordinatorHttp} ${PORTS.siteHttp}`);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toContain(`install -d -o ${RUN_AS_USER} -g ${RUN_AS_USER} ${MOUNTS.state}`);
  });
});

describe("fedtune sim --emit k8s (command line)", () => {
  it("writes the manifests into --out and refuses an unknown target or a non-empty folder", async () => {
    const out = join(dir, "cli");
    const printed: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => printed.push(String(chunk)) > 0);
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await main(["sim", "--emit", "k8s", "--sites", "2", "--out", out])).toBe(0);
      expect(printed.join("")).toContain(`kubectl apply -f ${out}`);
      expect(await readdir(out)).toHaveLength(3);
      expect(await main(["sim", "--emit", "k8s", "--sites", "2", "--out", out])).toBe(1);
      expect(await main(["sim", "--emit", "helm", "--out", join(dir, "other")])).toBe(2);
    } finally {
      vi.restoreAllMocks();
    }
  });
});

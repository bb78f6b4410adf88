// Kubernetes manifests for a consortium, built as typed objects (kubernetes-models) and checked against the API schemas.
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IContainerPort } from "kubernetes-models/v1/ContainerPort";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import type { IVolume } from "kubernetes-models/v1/Volume";
import type { IVolumeMount } from "kubernetes-models/v1/VolumeMount";
import { stringify } from "yaml";
import { parseFederationConfig } from "../coordinator/config.ts";
import type { FederationConfigInput } from "../coordinator/config.ts";
import { siteConfigSchema } from "../client/node/config.ts";
import type { SiteConfig } from "../client/node/config.ts";
import type { TlsIdentity } from "../proto/transport.ts";
import {
  CONFIG_FILES,
  DATA_FILES,
  ENTRYPOINT,
  MOUNTS,
  PORTS,
  RUN_AS_USER,
  STATUS_TOKEN_FILE,
  TLS_FILES,
  entrypointArgs,
} from "./layout.ts";
import type { Role } from "./layout.ts";

/** The federation config minus what the deployment decides (addresses, paths, ports). */
export type FederationSettings = Omit<
  FederationConfigInput,
  "listen" | "tls" | "storageDir" | "metricsPort" | "metricsHost" | "statusTokenFile"
>;

/** A site's own settings minus what the deployment decides. */
export type SiteSettings = Partial<Pick<SiteConfig, "epsilonBudget" | "workers" | "baseModel">>;

export interface SiteDeployment {
  /** The name on the site's certificate; also names its Kubernetes objects. */
  readonly siteId: string;
  readonly tls: TlsIdentity;
  readonly settings: SiteSettings;
  /** JSONL records shipped in a ConfigMap (a simulation); a hospital mounts its own data instead. */
  readonly data: { readonly train: string; readonly validation: string };
}

export interface ConsortiumDeployment {
  /** Prefix of every object's name and the app.kubernetes.io/part-of label. */
  readonly name: string;
  /** The fedtune image (deploy/Dockerfile). */
  readonly image: string;
  readonly federation: FederationSettings;
  readonly coordinatorTls: TlsIdentity;
  /**
   * The operator token (at least 32 characters) for the coordinator's status page and /metrics, which
   * listen on every interface of the pod so that the Service and Prometheus reach them.
   */
  readonly statusToken: string;
  readonly sites: readonly SiteDeployment[];
  /** Size of each PersistentVolumeClaim, e.g. "1Gi". */
  readonly storageSize: string;
}

/** Any of the objects emitted; each validates itself against its API schema. */
export type ManifestObject = ConfigMap | Secret | PersistentVolumeClaim | Deployment | Service;

/** Names of a role's objects: `<name>-coordinator`, `<name>-site-<siteId>` (DNS-1123 labels). */
export function objectName(consortium: string, role: Role, siteId?: string): string {
  const raw = role === "coordinator" ? `${consortium}-coordinator` : `${consortium}-site-${siteId ?? ""}`;
  return raw.toLowerCase().replace(/[^a-z0-9-]/g, "-");
}

const tlsPath = (file: string): string => `${MOUNTS.tls}/${file}`;

/** The coordinator's config file as mounted: the settings plus the deployment's addresses and paths. */
export function coordinatorConfigOf(federation: FederationSettings): FederationConfigInput {
  return {
    ...federation,
    listen: `0.0.0.0:${PORTS.grpc}`,
    tls: {
      caCert: tlsPath(TLS_FILES.caCert),
      cert: tlsPath(TLS_FILES.cert),
      key: tlsPath(TLS_FILES.key),
      // Revocations (revocations.json) are read beside the CA certificate unless pkiDir says otherwise.
      pkiDir: MOUNTS.tls,
    },
    storageDir: `${MOUNTS.state}/coordinator`,
    metricsPort: PORTS.coordinatorHttp,
    metricsHost: "0.0.0.0",
    statusTokenFile: `${MOUNTS.statusToken}/${STATUS_TOKEN_FILE}`,
  };
}

/** A site's config file as mounted: it dials the coordinator's Service by name. */
export function siteConfigOf(consortium: string, settings: SiteSettings): SiteConfig {
  return siteConfigSchema.parse({
    ...settings,
    coordinator: `${objectName(consortium, "coordinator")}:${PORTS.grpc}`,
    tls: { caCert: tlsPath(TLS_FILES.caCert), cert: tlsPath(TLS_FILES.cert), key: tlsPath(TLS_FILES.key) },
    data: {
      train: `${MOUNTS.data}/${DATA_FILES.train}`,
      validation: `${MOUNTS.data}/${DATA_FILES.validation}`,
    },
    stateDir: `${MOUNTS.state}/site`,
    health: { port: PORTS.siteHttp, host: "0.0.0.0" },
  });
}

/** The host names a coordinator certificate must carry for sites that dial its Service. */
export function coordinatorHostNames(consortium: string): string[] {
  return [objectName(consortium, "coordinator"), "localhost"];
}

function labelsOf(consortium: string, role: Role, siteId?: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": objectName(consortium, role, siteId),
    "app.kubernetes.io/component": role,
    "app.kubernetes.io/part-of": consortium,
  };
}

function tlsSecret(name: string, labels: Record<string, string>, tls: TlsIdentity): Secret {
  return new Secret({
    metadata: { name, labels },
    type: "kubernetes.io/tls",
    stringData: { [TLS_FILES.caCert]: tls.caPem, [TLS_FILES.cert]: tls.certPem, [TLS_FILES.key]: tls.keyPem },
  });
}

function claim(name: string, labels: Record<string, string>, size: string): PersistentVolumeClaim {
  return new PersistentVolumeClaim({
    metadata: { name, labels },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: size } } },
  });
}

interface PodParts {
  readonly role: Role;
  readonly image: string;
  readonly ports: IContainerPort[];
  /** Volume name → [source, mount path]. */
  readonly volumes: readonly (readonly [IVolume, string])[];
}

/**
 * One container under a restricted security context: non-root, no privilege escalation, no
 * capabilities, read-only root filesystem (state on its volume, scratch on an emptyDir).
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
 */
function podSpec(parts: PodParts): IPodSpec {
  const probe = (path: string, periodSeconds: number) => ({
    httpGet: { path, port: "http" },
    periodSeconds,
    failureThreshold: 3,
  });
  const mounts: IVolumeMount[] = parts.volumes.map(([volume, mountPath]) => ({
    name: volume.name,
    mountPath,
    readOnly: volume.configMap !== undefined || volume.secret !== undefined,
  }));
  return {
    securityContext: {
      runAsNonRoot: true,
      runAsUser: RUN_AS_USER,
      runAsGroup: RUN_AS_USER,
      fsGroup: RUN_AS_USER,
      seccompProfile: { type: "RuntimeDefault" },
    },
    containers: [
      {
        name: parts.role,
        image: parts.image,
        command: [ENTRYPOINT],
        args: entrypointArgs(parts.role),
        env: [
          { name: "HOME", value: MOUNTS.tmp },
          { name: "FEDTUNE_LOG_LEVEL", value: "info" },
        ],
        ports: parts.ports,
        // The built-in model loads in seconds; a real base model may take minutes to hash and load.
        startupProbe: { ...probe("/healthz", 5), failureThreshold: 60 },
        livenessProbe: probe("/healthz", 10),
        readinessProbe: probe("/readyz", 5),
        volumeMounts: mounts,
        securityContext: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ["ALL"] },
        },
      },
    ],
    volumes: parts.volumes.map(([volume]) => volume),
  };
}

function deployment(
  name: string,
  labels: Record<string, string>,
  spec: IPodSpec,
  annotations: Record<string, string>,
): Deployment {
  return new Deployment({
    metadata: { name, labels },
    spec: {
      replicas: 1,
      // One writer per state volume (ReadWriteOnce, SQLite): the old pod goes before the new one starts.
      strategy: { type: "Recreate" },
      selector: { matchLabels: { "app.kubernetes.io/name": name } },
      template: { metadata: { labels, annotations }, spec },
    },
  });
}

const configVolume = (configMap: string): IVolume => ({ name: "config", configMap: { name: configMap } });
// 0440 with fsGroup: readable by the unprivileged user's group only.
const tlsVolume = (secret: string): IVolume => ({
  name: "tls",
  secret: { secretName: secret, defaultMode: 0o440 },
});
const stateVolume = (claimName: string): IVolume => ({ name: "state", persistentVolumeClaim: { claimName } });
const tmpVolume: IVolume = { name: "tmp", emptyDir: {} };

function coordinatorObjects(consortium: ConsortiumDeployment): ManifestObject[] {
  const name = objectName(consortium.name, "coordinator");
  const labels = labelsOf(consortium.name, "coordinator");
  const config = coordinatorConfigOf(consortium.federation);
  // Refuse to emit a config the coordinator would refuse at start.
  parseFederationConfig(config, CONFIG_FILES.coordinator, MOUNTS.config);
  const spec = podSpec({
    role: "coordinator",
    image: consortium.image,
    ports: [
      { name: "grpc", containerPort: PORTS.grpc },
      { name: "http", containerPort: PORTS.coordinatorHttp },
    ],
    volumes: [
      [configVolume(name), MOUNTS.config],
      [tlsVolume(`${name}-tls`), MOUNTS.tls],
      [
        { name: "status-token", secret: { secretName: `${name}-status-token`, defaultMode: 0o440 } },
        MOUNTS.statusToken,
      ],
      [stateVolume(`${name}-state`), MOUNTS.state],
      [tmpVolume, MOUNTS.tmp],
    ],
  });
  return [
    new ConfigMap({ metadata: { name, labels }, data: { "coordinator.yaml": stringify(config) } }),
    tlsSecret(`${name}-tls`, labels, consortium.coordinatorTls),
    new Secret({
      metadata: { name: `${name}-status-token`, labels },
      type: "Opaque",
      stringData: { [STATUS_TOKEN_FILE]: consortium.statusToken },
    }),
    claim(`${name}-state`, labels, consortium.storageSize),
    deployment(name, labels, spec, {
      // The de-facto scrape convention of Prometheus' kubernetes_sd example configuration; the scrape job
      // sends the operator token (authorization.credentials_file, docs/kubernetes.md).
      "prometheus.io/scrape": "true",
      "prometheus.io/port": String(PORTS.coordinatorHttp),
      "prometheus.io/path": "/metrics",
    }),
    new Service({
      metadata: { name, labels },
      spec: {
        selector: { "app.kubernetes.io/name": name },
        ports: [
          { name: "grpc", port: PORTS.grpc, targetPort: "grpc", appProtocol: "grpc" },
          { name: "http", port: PORTS.coordinatorHttp, targetPort: "http" },
        ],
      },
    }),
  ];
}

function siteObjects(consortium: ConsortiumDeployment, site: SiteDeployment): ManifestObject[] {
  const name = objectName(consortium.name, "site", site.siteId);
  const labels = labelsOf(consortium.name, "site", site.siteId);
  const config = siteConfigOf(consortium.name, site.settings);
  const spec = podSpec({
    role: "site",
    image: consortium.image,
    ports: [{ name: "http", containerPort: PORTS.siteHttp }],
    volumes: [
      [configVolume(name), MOUNTS.config],
      [tlsVolume(`${name}-tls`), MOUNTS.tls],
      [{ name: "data", configMap: { name: `${name}-data` } }, MOUNTS.data],
      [stateVolume(`${name}-state`), MOUNTS.state],
      [tmpVolume, MOUNTS.tmp],
    ],
  });
  return [
    new ConfigMap({ metadata: { name, labels }, data: { "site.yaml": stringify(config) } }),
    new ConfigMap({
      metadata: { name: `${name}-data`, labels },
      data: { [DATA_FILES.train]: site.data.train, [DATA_FILES.validation]: site.data.validation },
    }),
    tlsSecret(`${name}-tls`, labels, site.tls),
    claim(`${name}-state`, labels, consortium.storageSize),
    deployment(name, labels, spec, {}),
  ];
}

/** Every object of the consortium, each validated against its Kubernetes API schema (throws on the first bad one). */
export function consortiumManifests(consortium: ConsortiumDeployment): ManifestObject[] {
  const objects = [
    ...coordinatorObjects(consortium),
    ...consortium.sites.flatMap((site) => siteObjects(consortium, site)),
  ];
  for (const object of objects) object.validate();
  return objects;
}

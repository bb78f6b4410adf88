// Every `fedtune` command, loaded lazily so that `fedtune privacy …` never pays for TensorFlow.js.
import type { Command } from "./command.ts";

export interface CommandEntry {
  readonly path: readonly string[];
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    path: ["train"],
    summary: "Fine-tune a LoRA adapter on a local JSONL file",
    load: async () => (await import("./commands/train.ts")).trainCommand,
  },
  {
    path: ["eval"],
    summary: "Evaluate a model (and adapter): perplexity or multiple-choice accuracy",
    load: async () => (await import("./commands/eval.ts")).evalCommand,
  },
  {
    path: ["generate"],
    summary: "Greedy generation from a prompt",
    load: async () => (await import("./commands/generate.ts")).generateCommand,
  },
  {
    path: ["privacy", "epsilon"],
    summary: "ε spent by DP-SGD for given sampling rate, noise and steps",
    load: async () => (await import("./commands/privacy.ts")).privacyEpsilonCommand,
  },
  {
    path: ["privacy", "noise"],
    summary: "Smallest noise multiplier that meets a target ε",
    load: async () => (await import("./commands/privacy.ts")).privacyNoiseCommand,
  },
  {
    path: ["pki", "init"],
    summary: "Create the consortium certificate authority",
    load: async () => (await import("./commands/pki.ts")).pkiInitCommand,
  },
  {
    path: ["pki", "issue"],
    summary: "Issue a key and certificate to a coordinator, site or admin",
    load: async () => (await import("./commands/pki.ts")).pkiIssueCommand,
  },
  {
    path: ["pki", "revoke"],
    summary: "Revoke an identity's certificate",
    load: async () => (await import("./commands/pki.ts")).pkiRevokeCommand,
  },
  {
    path: ["pki", "crl"],
    summary: "(Re)issue the CA-signed revocation list the coordinator relays to sites",
    load: async () => (await import("./commands/pki.ts")).pkiCrlCommand,
  },
  {
    path: ["pki", "request"],
    summary: "Make this site's (or admin's) private key and a certificate signing request",
    load: async () => (await import("./commands/pki-kits.ts")).pkiRequestCommand,
  },
  {
    path: ["pki", "sign"],
    summary: "Sign a site's or admin's CSR and write its kit",
    load: async () => (await import("./commands/pki-kits.ts")).pkiSignCommand,
  },
  {
    path: ["pki", "renew"],
    summary: "Certify an identity's key again for a new period and write a fresh kit",
    load: async () => (await import("./commands/pki-kits.ts")).pkiRenewCommand,
  },
  {
    path: ["coordinator", "start"],
    summary: "Run the coordinator server",
    load: async () => (await import("./commands/coordinator.ts")).coordinatorStartCommand,
  },
  {
    path: ["coordinator", "check"],
    summary: "Check that the coordinator can start, without starting it",
    load: async () => (await import("./commands/coordinator.ts")).coordinatorCheckCommand,
  },
  {
    path: ["client", "check"],
    summary: "Check that the site client can start, without joining",
    load: async () => (await import("./commands/client.ts")).clientCheckCommand,
  },
  {
    path: ["client", "start"],
    summary: "Run a site client next to the hospital's records",
    load: async () => (await import("./commands/client.ts")).clientStartCommand,
  },
  {
    path: ["admin", "status"],
    summary: "Federation status (admin certificate)",
    load: async () => (await import("./commands/admin.ts")).adminStatusCommand,
  },
  {
    path: ["admin", "rounds"],
    summary: "Rounds of a run and their outcomes (admin certificate)",
    load: async () => (await import("./commands/admin.ts")).adminRoundsCommand,
  },
  {
    path: ["admin", "run", "submit"],
    summary: "Queue a run from a run file (admin certificate)",
    load: async () => (await import("./commands/admin-runs.ts")).adminRunSubmitCommand,
  },
  {
    path: ["admin", "run", "list"],
    summary: "Every run, oldest first (admin certificate)",
    load: async () => (await import("./commands/admin-runs.ts")).adminRunListCommand,
  },
  {
    path: ["admin", "run", "show"],
    summary: "One run with its settings (admin certificate)",
    load: async () => (await import("./commands/admin-runs.ts")).adminRunShowCommand,
  },
  {
    path: ["admin", "run", "abort"],
    summary: "Abort a queued or running run; a running run's round ends now (admin certificate)",
    load: async () => (await import("./commands/admin-runs.ts")).adminRunAbortCommand,
  },
  {
    path: ["admin", "sites"],
    summary: "Enrolled sites, their participation and the ε their ledgers hold (admin certificate)",
    load: async () => (await import("./commands/admin.ts")).adminSitesCommand,
  },
  {
    path: ["admin", "site", "drop"],
    summary: "Take a site out of the round in progress now (admin certificate; audited)",
    load: async () => (await import("./commands/admin.ts")).adminSiteDropCommand,
  },
  {
    path: ["admin", "audit"],
    summary: "Show or --verify the hash-chained audit log (admin certificate)",
    load: async () => (await import("./commands/admin.ts")).adminAuditCommand,
  },
  {
    path: ["export"],
    summary: "Write a round's global adapter as a PEFT folder",
    load: async () => (await import("./commands/export.ts")).exportCommand,
  },
  {
    path: ["deid"],
    summary: "De-identify a JSONL file of clinical notes",
    load: async () => (await import("./commands/deid.ts")).deidCommand,
  },
  {
    path: ["sim"],
    summary: "Simulate a federation of synthetic hospitals (the default job)",
    load: async () => (await import("./commands/sim.ts")).simCommand,
  },
  {
    path: ["sim", "compare"],
    summary: "Local vs centralized vs federated (each privacy mode): the privacy–utility table",
    load: async () => (await import("./commands/sim.ts")).simCompareCommand,
  },
];

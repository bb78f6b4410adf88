// Room directions of docs/architecture.md, checked by `npm run check:deps` (part of `npm run check`).
// Each rule names a direction the layout forbids; docs/architecture.md lists the same rules in words.

/** The rooms that hold product code (tests, bench and scripts sit outside and may import any of them). */
const ROOMS = "^(proto|crypto|model|strategies|durable|coordinator|client|sim|cli|deploy)/";

/** Node built-ins that do I/O: a pure room (crypto, strategies, the round machine) imports none of them. */
const NODE_IO =
  "^(fs|fs/promises|net|tls|http|https|http2|dgram|child_process|worker_threads|cluster|os|readline)$";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "An import cycle ties modules into one unit that cannot be read, tested or moved alone.",
      from: {},
      to: { circular: true },
    },
    {
      name: "crypto-imports-no-room",
      severity: "error",
      comment:
        "crypto/ (crypto/pki included) is the innermost room: pure, I/O-free, importing no other room.",
      from: { path: "^crypto/" },
      to: { path: ROOMS, pathNot: "^crypto/" },
    },
    {
      name: "model-imports-no-room",
      severity: "error",
      comment: "model/ (the transformer, LoRA, tokenizer, adapter I/O) imports no other room.",
      from: { path: "^model/" },
      to: { path: ROOMS, pathNot: "^model/" },
    },
    {
      name: "strategies-import-no-room",
      severity: "error",
      comment:
        "strategies/ is pure FL arithmetic over plain arrays, shared by both sides; it imports no other room.",
      from: { path: "^strategies/" },
      to: { path: ROOMS, pathNot: "^strategies/" },
    },
    {
      name: "durable-imports-no-room",
      severity: "error",
      comment:
        "durable/ (crash-safe file writes) is a leaf helper that coordinator, sites and the CLI share.",
      from: { path: "^durable/" },
      to: { path: ROOMS, pathNot: "^durable/" },
    },
    {
      name: "proto-imports-only-crypto",
      severity: "error",
      comment:
        "proto/ is the wire contract; it may name crypto/'s message types (the SecAgg+ step table) and nothing else.",
      from: { path: "^proto/" },
      to: { path: ROOMS, pathNot: "^(proto|crypto)/" },
    },
    {
      name: "pure-rooms-do-no-io",
      severity: "error",
      comment:
        "crypto/, strategies/ and the round machine are pure: no file, network, process or thread I/O.",
      from: { path: "^(crypto|strategies|coordinator/round)/" },
      to: { dependencyTypes: ["core"], path: NODE_IO },
    },
    {
      name: "round-machine-is-pure",
      severity: "error",
      comment:
        "coordinator/round/ (the round state machine) sees only pure rooms, never the service, modes, storage or transport.",
      from: { path: "^coordinator/round/" },
      to: {
        path: ROOMS,
        pathNot: "^(coordinator/round|crypto|strategies)/|^proto/(errors|secagg-steps|messages)\\.ts$",
      },
    },
    {
      name: "coordinator-not-client",
      severity: "error",
      comment: "The coordinator never imports the site client (nor sim/, cli/, deploy/, which compose it).",
      from: { path: "^coordinator/" },
      to: { path: "^(client|sim|cli|deploy)/" },
    },
    {
      name: "coordinator-uses-only-adapter-io-of-model",
      severity: "error",
      comment:
        "The coordinator may read and write adapters (safetensors, PEFT, the model folder's description) but never loads the training code.",
      from: { path: "^coordinator/" },
      to: {
        path: "^model/",
        pathNot: "^model/(architecture|config|lora-layout|model-dir|peft|peft-export|safetensors)\\.ts$",
      },
    },
    {
      name: "coordinator-never-reaches-tfjs",
      severity: "error",
      comment: "Nothing the coordinator imports, directly or not, loads TensorFlow.js.",
      from: { path: "^coordinator/" },
      to: { path: "node_modules/@tensorflow/", reachable: true },
    },
    {
      name: "client-not-coordinator",
      severity: "error",
      comment: "The site client never imports the coordinator (nor sim/, cli/, deploy/, which compose it).",
      from: { path: "^client/" },
      to: { path: "^(coordinator|sim|cli|deploy)/" },
    },
    {
      name: "deid-is-a-leaf",
      severity: "error",
      comment:
        "client/deid/ (de-identification) sees only the data rows it scrubs, so the data check, CLI and sim share it.",
      from: { path: "^client/deid/" },
      to: { path: ROOMS, pathNot: "^client/(deid|data)/" },
    },
    {
      name: "external-trainer-not-protocol",
      severity: "error",
      comment:
        "client/external/ (an outside training process) sees the trainer interface, never the privacy modes or transport.",
      from: { path: "^client/external/" },
      to: { path: "^client/(modes|transport)/" },
    },
    {
      name: "sim-data-is-pure",
      severity: "error",
      comment: "sim/clinical/ (synthetic records) is data generation: it imports only crypto/'s seeded Rng.",
      from: { path: "^sim/clinical/" },
      to: { path: ROOMS, pathNot: "^(sim/clinical|crypto)/" },
    },
    {
      name: "probes-measure-sites-not-coordinator",
      severity: "error",
      comment:
        "sim/leakage/ and sim/phi/ measure what a site's model or data reveal; they never import the coordinator.",
      from: { path: "^sim/(leakage|phi)/" },
      to: { path: "^(coordinator|cli)/" },
    },
    {
      name: "deploy-reads-only-configs",
      severity: "error",
      comment:
        "deploy/ builds manifests from the two typed configs and the wire contract; nothing else of the rooms.",
      from: { path: "^deploy/" },
      to: { path: ROOMS, pathNot: "^(deploy|proto)/|^coordinator/config\\.ts$|^client/node/config\\.ts$" },
    },
    {
      name: "only-cli-composes-sim",
      severity: "error",
      comment: "sim/ composes both sides for the researcher; only cli/ imports it.",
      from: { path: ROOMS, pathNot: "^(sim|cli)/" },
      to: { path: "^sim/" },
    },
    {
      name: "nothing-imports-cli",
      severity: "error",
      comment: "cli/ is the composition root of the `fedtune` command; no room imports it.",
      from: { path: ROOMS, pathNot: "^cli/" },
      to: { path: "^cli/" },
    },
    {
      name: "rooms-import-no-tooling",
      severity: "error",
      comment: "Product code never imports tests, benchmarks or build scripts.",
      from: { path: ROOMS },
      to: { path: "^(tests|bench|scripts)/" },
    },
    {
      name: "grpc-only-in-transport",
      severity: "error",
      comment:
        "Only the transport files (the generated service types, and the benchmark of grpc-js's own per-byte cost) speak gRPC; the rest sees the transport interface.",
      from: { pathNot: "^(client|coordinator)/transport/|^proto/generated/|^bench/grpc-transport\\.ts$" },
      to: { path: "node_modules/@grpc/grpc-js/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    preserveSymlinks: true,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".mjs", ".js", ".json", ".d.ts"],
    },
  },
};

// Threshold CKKS benchmark (JSON lines): upload, decryption-share and key-holder download bytes per float32 byte, the coordinator's ciphertext sum against a plain float32 sum on one core, encrypt and decryption-share time per site, and the decrypted sum's error for n sites.
// Usage: nice -n 10 node bin/run-ts.mjs bench/ckks-multiparty.ts [--floats 65536] [--sites 10,50] [--threshold-fraction 0.5]
import { parseArgs } from "node:util";
import { CiphertextSumAccumulator } from "../crypto/ckks/aggregate-stream.ts";
import { createCkksContext, loadSeal } from "../crypto/ckks/context.ts";
import { decryptTogether, runCeremony } from "../crypto/ckks/threshold-in-process.ts";
import {
  combineDecryptionShares,
  createDecryptionShare,
  holderRequest,
} from "../crypto/ckks/threshold-decryption.ts";
import {
  createPolyTools,
  expectedThresholdErrorStddev,
  smudgingMarginBits,
  THRESHOLD_CKKS_PARAMS,
} from "../crypto/ckks/threshold-params.ts";
import { createThresholdEncryptor } from "../crypto/ckks/threshold-site.ts";
import { seededRng } from "../crypto/rng.ts";

const { values } = parseArgs({
  options: {
    floats: { type: "string", default: "65536" },
    sites: { type: "string", default: "10,50" },
    "threshold-fraction": { type: "string", default: "0.5" },
  },
});
const floats = Number(values.floats);
const siteCounts = values.sites.split(",").map(Number);
const thresholdFraction = Number(values["threshold-fraction"]);
if (
  !(Number.isSafeInteger(floats) && floats > 0) ||
  !siteCounts.every((n) => Number.isSafeInteger(n) && n >= 2) ||
  !(thresholdFraction > 0 && thresholdFraction <= 1)
) {
  process.stderr.write("--floats > 0, --sites a list of integers ≥ 2, --threshold-fraction in (0, 1]\n");
  process.exit(2);
}
const emit = (record: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify({ bench: "ckks-multiparty", ...record }) + "\n");
};
const progress = (message: string): void => {
  process.stderr.write(`[ckks-multiparty] ${message}\n`);
};
const round = (v: number, digits = 3): number => Number(v.toPrecision(digits));

/**
 * CPU milliseconds per call of `run` (process.cpuUsage: on a shared machine, time on this core rather
 * than wall time), after one warm-up call, over at least `minCalls` calls.
 */
function cpuMsPerCall(run: () => void, minCalls: number): number {
  run();
  const before = process.cpuUsage();
  for (let i = 0; i < minCalls; i++) run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e3 / minCalls;
}

const ctx = createCkksContext(await loadSeal(), THRESHOLD_CKKS_PARAMS);
const tools = createPolyTools(ctx, THRESHOLD_CKKS_PARAMS);
const rng = seededRng("bench-ckks-multiparty");

for (const sites of siteCounts) {
  // Every site is a key holder here; t = ⌈fraction·n⌉.
  const threshold = Math.max(1, Math.ceil(thresholdFraction * sites));
  progress(`n = ${sites}, t = ${threshold}: ceremony`);
  const ceremonyStart = process.cpuUsage();
  const ceremony = runCeremony(tools, sites, threshold, rng);
  const ceremonyUsage = process.cpuUsage(ceremonyStart);
  const ceremonyMs = (ceremonyUsage.user + ceremonyUsage.system) / 1e3;

  const updates = Array.from({ length: sites }, () =>
    Float32Array.from({ length: floats }, () => (rng.nextFloat64() * 2 - 1) * 1e-2),
  );
  const encryptor = createThresholdEncryptor(tools, ceremony.publicKey);
  progress(`n = ${sites}: encrypting ${sites} × ${floats} floats`);
  let cpu = process.cpuUsage();
  const uploads = updates.map((u, k) => ({ siteId: `site-${k + 1}`, upload: encryptor.encryptVector(u) }));
  const cpuMs = (since: NodeJS.CpuUsage) => {
    const used = process.cpuUsage(since);
    return (used.user + used.system) / 1e3;
  };
  const encryptMsPerSite = cpuMs(cpu) / sites;
  encryptor.dispose();

  // The coordinator's sum, and a plain float32 sum of the same updates, side by side on this core.
  let accumulator = new CiphertextSumAccumulator(tools, floats);
  const sumMs = cpuMsPerCall(() => {
    accumulator = new CiphertextSumAccumulator(tools, floats);
    for (const { upload } of uploads) accumulator.add(upload);
  }, 5);
  const plain = new Float32Array(floats);
  const plainMs = cpuMsPerCall(() => {
    plain.fill(0);
    for (const u of updates)
      for (let i = 0; i < floats; i++) plain[i] = (plain[i] as number) + (u[i] as number);
  }, 5);
  const aggregate = accumulator.serialize();
  const ciphertextBytes = uploads.reduce((s, u) => s + u.upload.length, 0);

  progress(`n = ${sites}: ${threshold} decryption shares`);
  const participants = ceremony.holders.slice(0, threshold).map((h) => h.x);
  const whole = { aggregate, uploads, participants };
  cpu = process.cpuUsage();
  // What the coordinator sends a holder: the c1s of the aggregate and of every accepted upload.
  const request = holderRequest(tools, whole);
  const cutMs = cpuMs(cpu);
  cpu = process.cpuUsage();
  const shares = ceremony.holders
    .slice(0, threshold)
    .map((h) =>
      createDecryptionShare(tools, { request, x: h.x, keyShare: h.keyShare, threshold, minUploads: 2, rng }),
    );
  const shareMsPerSite = cpuMs(cpu) / threshold;
  cpu = process.cpuUsage();
  const decrypted = combineDecryptionShares(tools, aggregate, shares, threshold);
  const combineMs = cpuMs(cpu);

  const expected = new Float64Array(floats);
  for (const u of updates) u.forEach((v, i) => (expected[i] = (expected[i] as number) + v));
  let maxError = 0;
  let squares = 0;
  decrypted.forEach((v, i) => {
    const e = v - (expected[i] as number);
    maxError = Math.max(maxError, Math.abs(e));
    squares += e * e;
  });
  // A second answering set decrypts the same aggregate (any t of n).
  const other = ceremony.holders.slice(sites - threshold).map((h) => h.x);
  const again = decryptTogether(tools, ceremony, { ...whole, participants: other }, 2, rng);
  const agreement = again.reduce((m, v, i) => Math.max(m, Math.abs(v - (decrypted[i] as number))), 0);

  const floatBytes = 4 * floats;
  emit({
    sites,
    threshold,
    floats,
    uploadBytesPerFloatByte: round(uploads[0]!.upload.length / floatBytes, 4),
    shareBytesPerFloatByte: round(shares[0]!.length / floatBytes, 4),
    // A key holder's download per decryption, per float32 byte of the aggregate: the c1s it is sent now,
    // and the whole ciphertexts (aggregate and uploads) it was sent before.
    holderDownloadBytesPerFloatByte: round(
      (request.aggregate.length + request.uploads.reduce((s, u) => s + u.upload.length, 0)) / floatBytes,
      4,
    ),
    holderDownloadBytesPerFloatByteWholeCiphertexts: round(
      (aggregate.length + ciphertextBytes) / floatBytes,
      4,
    ),
    coordinatorCutCpuMsPerMillionFloats: round((cutMs * 1e6) / floats),
    aggregationMBpsCpu: round(ciphertextBytes / 1e6 / (sumMs / 1e3)),
    plainFloat32SumMBpsCpu: round((sites * floatBytes) / 1e6 / (plainMs / 1e3)),
    aggregationTimeOverPlainSum: round(sumMs / plainMs),
    encryptCpuMsPerMillionFloatsPerSite: round((encryptMsPerSite * 1e6) / floats),
    decryptionShareCpuMsPerMillionFloatsPerSite: round((shareMsPerSite * 1e6) / floats),
    combineCpuMsPerMillionFloats: round((combineMs * 1e6) / floats),
    ceremonyCpuMsAllHolders: round(ceremonyMs),
    maxAbsError: round(maxError),
    rmsError: round(Math.sqrt(squares / floats)),
    expectedErrorStddev: round(expectedThresholdErrorStddev(THRESHOLD_CKKS_PARAMS, sites, sites, threshold)),
    otherSetMaxDifference: round(agreement),
    smudgingMarginBits: round(smudgingMarginBits(THRESHOLD_CKKS_PARAMS, sites, sites)),
  });
}
ctx.dispose();

// CKKS benchmark (JSON lines): encrypt, add and decrypt time per million floats, ciphertext bytes per float32 byte, and sum error, per compression mode.
// Usage: node bin/run-ts.mjs bench/ckks.ts [--floats 1000000] [--sites 4]
import { parseArgs } from "node:util";
import { CkksAccumulator } from "../crypto/ckks/aggregate.ts";
import { createCkksContext, loadSeal } from "../crypto/ckks/context.ts";
import { DEFAULT_CKKS_PARAMS, expectedSumErrorStddev, type CkksParams } from "../crypto/ckks/params.ts";
import { generateConsortiumSecretKey, openSiteSession } from "../crypto/ckks/site.ts";
import { seededRng } from "../crypto/rng.ts";

const { values } = parseArgs({
  options: { floats: { type: "string", default: "1000000" }, sites: { type: "string", default: "4" } },
});
const floats = Number(values.floats);
const sites = Number(values.sites);
if (!(Number.isSafeInteger(floats) && floats > 0 && Number.isSafeInteger(sites) && sites > 0)) {
  process.stderr.write(
    `--floats and --sites must be positive integers, got ${values.floats}, ${values.sites}\n`,
  );
  process.exit(2);
}
const perMillion = (ms: number): number => (ms * 1e6) / floats;
const emit = (record: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify({ bench: "ckks", ...record }) + "\n");
};

const seal = await loadSeal();
const rng = seededRng("bench-ckks");
const updates = Array.from({ length: sites }, () =>
  Float32Array.from({ length: floats }, () => (rng.nextFloat64() * 2 - 1) * 1e-2),
);
const expectedSum = new Float64Array(floats);
for (const u of updates) u.forEach((v, i) => (expectedSum[i] = (expectedSum[i] ?? 0) + v));

// The default, the same with each compression mode, and a smaller prime where zstd does pay off (fewer
// significant bits per 64-bit coefficient word) at the cost of 10 bits of headroom and 8 of precision.
const configurations: readonly { readonly label: string; readonly params: CkksParams }[] = [
  { label: "default", params: DEFAULT_CKKS_PARAMS },
  { label: "default+zlib", params: { ...DEFAULT_CKKS_PARAMS, compression: "zlib" } },
  { label: "default+zstd", params: { ...DEFAULT_CKKS_PARAMS, compression: "zstd" } },
  {
    label: "50-bit+zstd",
    params: { ...DEFAULT_CKKS_PARAMS, coeffModulusBits: [50], scaleBits: 28, compression: "zstd" },
  },
];

for (const { label, params } of configurations) {
  const ctx = createCkksContext(seal, params);
  const secretKey = generateConsortiumSecretKey(ctx);
  const site = openSiteSession(ctx, secretKey);
  secretKey.fill(0);

  let start = performance.now();
  const uploads = updates.map((u) => site.encryptVector(u));
  const encryptMs = (performance.now() - start) / sites;

  const accumulator = new CkksAccumulator(ctx, floats);
  start = performance.now();
  for (const upload of uploads) accumulator.add(upload);
  const addMs = (performance.now() - start) / sites;
  const aggregate = accumulator.serialize();
  accumulator.dispose();

  start = performance.now();
  const sum = site.decryptVector(aggregate, floats);
  const decryptMs = performance.now() - start;

  let maxError = 0;
  let sumSq = 0;
  for (let i = 0; i < floats; i++) {
    const e = (sum[i] ?? 0) - (expectedSum[i] ?? 0);
    maxError = Math.max(maxError, Math.abs(e));
    sumSq += e * e;
  }
  const upload = uploads[0]?.length ?? 0;
  emit({
    configuration: label,
    compression: params.compression,
    polyModulusDegree: params.polyModulusDegree,
    coeffModulusBits: params.coeffModulusBits,
    scaleBits: params.scaleBits,
    floats,
    sites,
    encryptMsPerMillionFloats: Math.round(perMillion(encryptMs)),
    addMsPerMillionFloats: Math.round(perMillion(addMs)),
    decryptMsPerMillionFloats: Math.round(perMillion(decryptMs)),
    uploadBytes: upload,
    uploadBytesPerFloat32Byte: Number((upload / (4 * floats)).toFixed(4)),
    aggregateBytesPerFloat32Byte: Number((aggregate.length / (4 * floats)).toFixed(4)),
    target: 4.5,
    sumErrorRms: Number(Math.sqrt(sumSq / floats).toPrecision(3)),
    sumErrorMax: Number(maxError.toPrecision(3)),
    statedErrorStddev: Number(expectedSumErrorStddev(params, sites).toPrecision(3)),
  });
  site.dispose();
  ctx.dispose();
}

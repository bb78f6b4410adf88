// A site with `deid` on and an external trainer: the trainer gets the scrubbed rows, never the site's data files.
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseJsonl } from "../../client/data/load-jsonl.ts";
import { buildSiteTrainer } from "../../client/external/site-trainer.ts";
import { siteConfigSchema } from "../../client/node/config.ts";
import { loadSiteData } from "../../cli/site-checks.ts";
import { loraFlatLength, parseLoraConfig } from "../../model/lora-layout.ts";
import { readBaseModelConfig } from "../../model/model-dir.ts";
import type { LoraSettings } from "../../proto/messages.ts";
import { silentLogger, tinyModelFolder } from "../client/fixtures.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const IDENTIFIERS = [
  "Margaret Okonkwo",
  "123-45-6789",
  "00482913",
  "555-867-5309",
  "m.okonkwo@example.org",
  "Ngozi Adeyemi",
  "03/14/2021",
];
const NOTES = [
  {
    instruction: "Give the most likely diagnosis.",
    input:
      "Patient: Margaret Okonkwo  MRN: 00482913\nFever and productive cough for 3 days. SSN 123-45-6789.",
    output: "community-acquired pneumonia",
  },
  {
    instruction: "Give the most likely diagnosis.",
    input: "Crushing chest pain. Contact: daughter on 555-867-5309. E-mail m.okonkwo@example.org.",
    output: "myocardial infarction",
  },
  {
    instruction: "Give the most likely diagnosis.",
    input: "Seen on 03/14/2021 by Dr. Ngozi Adeyemi. Polyuria and thirst.",
    output: "diabetes mellitus",
  },
];
const lora: LoraSettings = {
  r: 2,
  alpha: 4,
  dropout: 0,
  targetModules: ["q_proj", "v_proj"],
  mode: "ffa",
  seed: 3,
};

describe("an external trainer at a site with deid on", () => {
  it("is given the de-identified rows in its task folder and no path to the raw data", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fedtune-deid-trainer-"));
    const trainFile = join(dir, "notes.jsonl");
    const raw = NOTES.map((note) => JSON.stringify(note)).join("\n") + "\n";
    await writeFile(trainFile, raw);
    for (const id of IDENTIFIERS) expect(raw).toContain(id);
    const keptRows = join(dir, "rows-the-trainer-saw.jsonl");
    const baseModel = await tinyModelFolder();
    const config = siteConfigSchema.parse({
      coordinator: "localhost:1",
      tls: { caCert: "ca.pem", cert: "site.pem", key: "site.key" },
      baseModel,
      data: { train: trainFile },
      stateDir: join(dir, "state"),
      deid: "on",
      trainer: {
        command: [process.execPath, "bin/run-ts.mjs", "tests/external/misbehaving-trainer.ts", "ok"],
        cwd: REPO,
        env: { FEDTUNE_TEST_KEEP_ROWS: keptRows },
      },
    });
    const data = await loadSiteData(config);
    const site = await buildSiteTrainer(
      config,
      { train: data.train.examples, validation: data.validation.examples },
      silentLogger,
    );
    const modelConfig = await readBaseModelConfig(baseModel);
    const trainer = await site.createTrainer(lora, loraFlatLength(modelConfig, parseLoraConfig({ ...lora })));
    const update = await trainer.train({
      global: trainer.initialGlobal(),
      settings: { localSteps: 1, batchSize: 2, learningRate: 0.01, maxSeqLen: 512, fedproxMu: 0, seed: 1 },
      recordDp: undefined,
      signal: new AbortController().signal,
    });
    expect(update.delta.length).toBeGreaterThan(0);

    const seen = await readFile(keptRows, "utf8");
    expect(IDENTIFIERS.filter((id) => seen.includes(id))).toEqual([]);
    // Exactly the rows the site loaded (scrubbed), readable with fedtune's own row formats.
    const reread = parseJsonl(seen, "rows.jsonl", { strict: true }).examples;
    expect(reread.map(({ source: _, ...row }) => row)).toEqual(
      data.train.examples.map(({ source: _, ...row }) => row),
    );
    expect(reread[0]?.kind === "instruction" && reread[0].input).toMatch(/^Patient: \S+ \S+ {2}MRN: \d{8}\n/);
    expect(data.deidCounts?.["name"]).toBeGreaterThan(0);
    trainer.dispose();
    site.dispose();
  }, 60_000);
});

// A stand-in external trainer that misbehaves on purpose (argv: <how> <taskDir>), for the refusal tests.
// "ok" is the control: it speaks the protocol correctly, so a refusal seen elsewhere is the check's doing.
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseLoraConfig } from "../../model/lora-layout.ts";
import { readPeftAdapter, writePeftAdapter } from "../../model/peft.ts";
import type { TensorMap } from "../../model/safetensors.ts";
import type { TrainResultFile, TrainTaskFile } from "../../client/external/protocol.ts";

const [how = "ok", taskDir = "."] = process.argv.slice(2);
const task = JSON.parse(readFileSync(join(taskDir, "task.json"), "utf8")) as TrainTaskFile;
console.log(JSON.stringify({ event: "started", how }));
// A test's window into the task folder (removed after the task): the row files it was given.
const keepRows = process.env["FEDTUNE_TEST_KEEP_ROWS"];
if (keepRows !== undefined)
  for (const file of task.rows) appendFileSync(keepRows, readFileSync(join(taskDir, file), "utf8"));
if (how === "crash") {
  console.error("RuntimeError: CUDA out of memory");
  process.exit(1);
}
if (how === "hang") await new Promise(() => setInterval(() => undefined, 1_000));

const adapter = await readPeftAdapter(join(taskDir, task.adapter));
const lora = parseLoraConfig({ ...task.lora, seed: adapter.lora.seed });
const tensors: TensorMap = new Map();
for (const [key, tensor] of adapter.tensors) {
  const data = Float32Array.from(tensor.data);
  if (key.includes("lora_B")) data.fill(0.01);
  tensors.set(key, { shape: tensor.shape, data });
}
const [firstKey] = [...tensors.keys()];
const bKey = [...tensors.keys()].find((key) => key.includes("lora_B")) ?? "";
const b = tensors.get(bKey);
let outLora = lora;
switch (how) {
  case "rank": {
    // Every A [2r, in] and B [out, 2r]: a valid PEFT adapter, of another rank.
    for (const [key, tensor] of tensors) {
      const [rows = 0, cols = 0] = tensor.shape;
      const shape = key.includes("lora_A") ? [rows * 2, cols] : [rows, cols * 2];
      tensors.set(key, { shape, data: new Float32Array(shape[0]! * shape[1]!) });
    }
    outLora = { ...lora, r: lora.r * 2 };
    break;
  }
  case "shape":
    if (b)
      tensors.set(bKey, {
        shape: [b.shape[0]! + 1, b.shape[1]!],
        data: new Float32Array((b.shape[0]! + 1) * b.shape[1]!),
      });
    break;
  case "missing":
    tensors.delete(bKey);
    break;
  case "moved-a":
    if (firstKey !== undefined) tensors.get(firstKey)!.data[0]! += 0.5;
    break;
  case "nan":
    if (b) b.data[0] = Number.NaN;
    break;
}
await writePeftAdapter(join(taskDir, task.adapterOut), tensors, outLora, { baseModelNameOrPath: null });
const dpSgd =
  task.dpSgd === null
    ? how === "unasked-dp"
      ? { samplingRate: 0.5, noiseMultiplier: 1, steps: 1 }
      : null
    : {
        samplingRate: task.dpSgd.samplingRate,
        noiseMultiplier: how === "weaker-dp" ? task.dpSgd.noiseMultiplier / 2 : task.dpSgd.noiseMultiplier,
        steps: how === "more-dp-steps" ? task.dpSgd.steps + 1 : task.dpSgd.steps,
      };
const result: TrainResultFile = {
  protocol: "fedtune-trainer/1",
  kind: "train",
  examples: 3,
  steps: task.training.steps,
  tokens: 10,
  finalLoss: 1,
  meanLoss: 1,
  dpSgd: how === "skip-dp" ? null : dpSgd,
};
writeFileSync(
  join(taskDir, task.result),
  how === "bad-result" ? '{"protocol":"fedtune-trainer/1"}' : JSON.stringify(result),
);

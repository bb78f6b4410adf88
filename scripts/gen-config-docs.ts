// Writes docs/configuration.md from the config schemas (--check: exit 1 when the committed file is stale).
import { readFileSync, writeFileSync } from "node:fs";
import { renderConfigReference } from "./config-reference.ts";

const target = new URL("../docs/configuration.md", import.meta.url);
const text = renderConfigReference();
if (process.argv.includes("--check")) {
  let committed = "";
  try {
    committed = readFileSync(target, "utf8");
  } catch {
    // A missing file is stale.
  }
  if (committed !== text) {
    process.stderr.write("docs/configuration.md is stale: run npx tsx scripts/gen-config-docs.ts\n");
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
  process.stdout.write("wrote docs/configuration.md\n");
}

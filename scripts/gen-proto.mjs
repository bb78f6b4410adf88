#!/usr/bin/env node
// Generates the TypeScript types of proto/fedtune.proto into proto/generated/ (--check: fail when stale).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const protoDir = join(root, "proto");
const committedDir = join(protoDir, "generated");
const check = process.argv.includes("--check");

// These options must match PROTO_LOADER_OPTIONS in proto/load.ts so that the types describe what
// @grpc/proto-loader actually decodes.
function generate(outDir) {
  const bin = join(root, "node_modules", ".bin", "proto-loader-gen-types");
  const result = spawnSync(
    bin,
    [
      "--longs=String",
      "--enums=String",
      "--defaults",
      "--oneofs",
      "--grpcLib=@grpc/grpc-js",
      "--includeComments",
      "--importFileExtension=.ts",
      `--includeDirs=${protoDir}`,
      `--outDir=${outDir}`,
      "fedtune.proto",
    ],
    { stdio: "inherit", cwd: protoDir },
  );
  if (result.status !== 0) {
    process.stderr.write("gen-proto: proto-loader-gen-types failed\n");
    process.exit(1);
  }
  // The generator writes the absolute .proto path into every header; keep the output machine-independent.
  for (const file of listFiles(outDir)) {
    const path = join(outDir, file);
    writeFileSync(path, readFileSync(path, "utf8").replaceAll(`${protoDir}/`, "proto/"));
  }
}

function listFiles(dir) {
  const files = [];
  const walk = (current) => {
    for (const name of readdirSync(current).sort()) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(relative(dir, path));
    }
  };
  walk(dir);
  return files;
}

if (!check) {
  rmSync(committedDir, { recursive: true, force: true });
  generate(committedDir);
  process.stdout.write(`gen-proto: wrote ${listFiles(committedDir).length} files to proto/generated/\n`);
} else {
  const fresh = mkdtempSync(join(tmpdir(), "fedtune-proto-"));
  try {
    generate(fresh);
    const expected = listFiles(fresh);
    let actual = [];
    try {
      actual = listFiles(committedDir);
    } catch {
      actual = [];
    }
    const stale = [];
    for (const file of new Set([...expected, ...actual])) {
      const a = expected.includes(file) ? readFileSync(join(fresh, file), "utf8") : undefined;
      const b = actual.includes(file) ? readFileSync(join(committedDir, file), "utf8") : undefined;
      if (a !== b) stale.push(file);
    }
    if (stale.length > 0) {
      process.stderr.write(
        `gen-proto: proto/generated/ is stale (${stale.join(", ")}); run \`npm run proto:gen\`\n`,
      );
      process.exit(1);
    }
    process.stdout.write("gen-proto: proto/generated/ is up to date\n");
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}

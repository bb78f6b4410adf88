// The configuration reference (docs/configuration.md), generated from the zod schemas of both config files.
import { z } from "zod";
import { siteConfigSchema } from "../client/node/config.ts";
import { federationConfigSchema } from "../coordinator/config.ts";

/** The subset of JSON Schema (draft 2020-12) that z.toJSONSchema writes for these schemas. */
interface JsonSchema {
  readonly type?: string;
  readonly description?: string;
  readonly default?: unknown;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly items?: JsonSchema;
  readonly additionalProperties?: JsonSchema | boolean;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly pattern?: string;
}

export interface ConfigKey {
  readonly path: string;
  readonly type: string;
  readonly defaultValue: string;
  readonly meaning: string | undefined;
}

export const CONFIG_FILES = [
  {
    file: "coordinator.yaml",
    command: "fedtune coordinator start --config coordinator.yaml",
    schema: federationConfigSchema,
  },
  { file: "site.yaml", command: "fedtune client start --config site.yaml", schema: siteConfigSchema },
] as const;

function range(schema: JsonSchema): string {
  // zod's int() bounds every integer by the safe-integer range; only real limits are worth a mention.
  const maximum = schema.maximum === Number.MAX_SAFE_INTEGER ? undefined : schema.maximum;
  const lo =
    schema.exclusiveMinimum !== undefined
      ? `> ${schema.exclusiveMinimum}`
      : schema.minimum !== undefined
        ? `≥ ${schema.minimum}`
        : undefined;
  const hi =
    schema.exclusiveMaximum !== undefined
      ? `< ${schema.exclusiveMaximum}`
      : maximum !== undefined
        ? `≤ ${maximum}`
        : undefined;
  return [lo, hi].filter((part) => part !== undefined).join(", ");
}

function typeOf(schema: JsonSchema): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum !== undefined) return `one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`;
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants !== undefined) return [...new Set(variants.map(typeOf))].join(" or ");
  const type = schema.type ?? "any";
  if (type === "object") return schema.properties === undefined ? "map of string to string" : "section";
  if (type === "array") return `list of ${schema.items === undefined ? "values" : typeOf(schema.items)}`;
  if (type === "integer" || type === "number") {
    const bounds = range(schema);
    return bounds === "" ? type : `${type} (${bounds})`;
  }
  if (type === "string" && schema.pattern !== undefined) return `string matching \`${schema.pattern}\``;
  return type;
}

function defaultOf(schema: JsonSchema, required: boolean): string {
  if (schema.default === undefined) return required ? "required" : "omitted";
  if (schema.properties !== undefined || schema.anyOf !== undefined || schema.oneOf !== undefined) {
    if (typeof schema.default === "object" && schema.default !== null) return "(section defaults)";
  }
  return `\`${JSON.stringify(schema.default)}\``;
}

function collect(schema: JsonSchema, prefix: string, out: ConfigKey[]): void {
  const required = new Set(schema.required ?? []);
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const path = prefix === "" ? name : `${prefix}.${name}`;
    out.push({
      path,
      type: typeOf(property),
      defaultValue: defaultOf(property, required.has(name)),
      meaning: property.description,
    });
    const variants = (property.anyOf ?? property.oneOf ?? [property]).filter(
      (v) => v.properties !== undefined,
    );
    const tags = variants
      .map((variant) => variant.properties?.["name"]?.const)
      .filter((t) => t !== undefined);
    if (tags.length === 0) {
      for (const variant of variants) collect(variant, path, out);
      continue;
    }
    // A discriminated union (strategy): the tag once, then each variant's keys under the value that picks it.
    const picked = (property.default as { name?: unknown } | undefined)?.name;
    out.push({
      path: `${path}.name`,
      type: `one of ${tags.map((tag) => JSON.stringify(tag)).join(", ")}`,
      defaultValue: picked === undefined ? "required" : `\`${JSON.stringify(picked)}\``,
      meaning: `Which ${name}; the keys of each are listed as ${name}{name: …}.key.`,
    });
    for (const variant of variants) {
      const keys = Object.fromEntries(
        Object.entries(variant.properties ?? {}).filter(([key]) => key !== "name"),
      );
      collect(
        { ...variant, properties: keys },
        `${path}{name: ${String(variant.properties?.["name"]?.const)}}`,
        out,
      );
    }
  }
}

/** Every key of a config file's schema, in schema order, nested keys after their section. */
export function configKeys(schema: z.ZodType): ConfigKey[] {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const out: ConfigKey[] = [];
  collect(json, "", out);
  // A discriminated union's shared keys (the tag itself) appear once per variant: keep the first.
  return out.filter((key, i) => out.findIndex((other) => other.path === key.path) === i);
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** docs/configuration.md: one table per config file. */
export function renderConfigReference(): string {
  const lines = [
    "# Configuration reference",
    "",
    "<!-- Generated by `npx tsx scripts/gen-config-docs.ts` from the zod schemas in coordinator/config.ts,",
    "     client/node/config.ts and strategies/config.ts; tests/docs/config-reference.test.ts fails when it is stale. -->",
    "",
    "Both files are YAML (or JSON). Relative paths are relative to the file's own folder. An unknown key is",
    "an error, and every problem is listed with its key (`fedtune coordinator check` / `fedtune client check`",
    "run the same checks without starting). Keys written `strategy{name: X}.key` exist when `strategy.name` is X.",
    "Examples that the tests load: [examples/coordinator.yaml](../examples/coordinator.yaml),",
    "[examples/site.yaml](../examples/site.yaml).",
  ];
  for (const { file, command, schema } of CONFIG_FILES) {
    lines.push(
      "",
      `## ${file}`,
      "",
      `Read by \`${command}\`.`,
      "",
      "| key | type | default | meaning |",
      "| --- | --- | --- | --- |",
    );
    for (const key of configKeys(schema)) {
      lines.push(
        `| \`${key.path}\` | ${cell(key.type)} | ${cell(key.defaultValue)} | ${cell(key.meaning ?? "")} |`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

// The JSONL row formats fedtune accepts, checked with zod at the edge and normalised to one union.
import { z } from "zod";

/** Where a row came from, so that later problems (e.g. at tokenization) can still name file:line. */
export interface RowSource {
  readonly file: string;
  readonly line: number;
}

export interface InstructionRow {
  readonly kind: "instruction";
  readonly instruction: string;
  readonly input?: string;
  readonly output: string;
}

export type ChatRole = "system" | "user" | "assistant";

export interface ChatRow {
  readonly kind: "chat";
  readonly messages: readonly { readonly role: ChatRole; readonly content: string }[];
}

export interface MultipleChoiceRow {
  readonly kind: "mcq";
  readonly question: string;
  /** Labels shown before each option: the object's keys, or A, B, C… for an array. */
  readonly labels: readonly string[];
  readonly options: readonly string[];
  readonly answerIndex: number;
}

export interface TextRow {
  readonly kind: "text";
  readonly text: string;
}

export interface TokenIdsRow {
  readonly kind: "input_ids";
  readonly inputIds: readonly number[];
  /** Per token: 1 when the token is a training target. Absent: every token after the first. */
  readonly lossMask?: readonly number[];
}

export type DatasetRow = InstructionRow | ChatRow | MultipleChoiceRow | TextRow | TokenIdsRow;
export type RowKind = DatasetRow["kind"];

/** A validated row and where it came from. */
export type Example = DatasetRow & { readonly source: RowSource };

const nonEmpty = z.string().refine((s) => s.trim() !== "", "must not be empty");

const instructionSchema = z.object({
  instruction: nonEmpty,
  input: z.string().optional(),
  output: nonEmpty,
});

const chatSchema = z.object({
  messages: z
    .array(z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string() }))
    .min(1)
    .refine(
      (messages) => messages.some((m) => m.role === "assistant" && m.content.trim() !== ""),
      "needs at least one non-empty assistant message (the loss is taken on assistant turns)",
    ),
});

const optionText = nonEmpty;
const mcqSchema = z.object({
  question: nonEmpty,
  options: z.union([
    z.array(optionText).min(2, "needs at least two options"),
    z
      .record(z.string().regex(/^\S+$/, "option labels must be single words"), optionText)
      .refine((o) => Object.keys(o).length >= 2, "needs at least two options"),
  ]),
  answer: z.union([z.string(), z.number().int()]),
});

const textSchema = z.object({ text: nonEmpty });

const tokenId = z.number().int().nonnegative();
/** HF convention: labels equal input_ids, with -100 where no loss is taken (the model shifts them). */
const tokenIdsSchema = z
  .object({
    input_ids: z.array(tokenId).min(2, "needs at least two tokens"),
    labels: z.array(z.number().int()).optional(),
    loss_mask: z.array(z.union([z.literal(0), z.literal(1)])).optional(),
  })
  .superRefine((row, ctx) => {
    if (row.labels !== undefined && row.loss_mask !== undefined) {
      ctx.addIssue({ code: "custom", message: "give either labels or loss_mask, not both" });
    }
    for (const [name, values] of [
      ["labels", row.labels],
      ["loss_mask", row.loss_mask],
    ] as const) {
      if (values !== undefined && values.length !== row.input_ids.length) {
        ctx.addIssue({
          code: "custom",
          path: [name],
          message: `has ${values.length} entries for ${row.input_ids.length} input_ids`,
        });
      }
    }
    row.labels?.forEach((label, i) => {
      if (label !== -100 && label !== row.input_ids[i]) {
        ctx.addIssue({
          code: "custom",
          path: ["labels", i],
          message: `must be -100 or input_ids[${i}] (${row.input_ids[i]}), got ${label}`,
        });
      }
    });
  });

/** Spreadsheet-style labels A…Z, then AA, AB… (more than 26 options is unusual but allowed). */
function letterLabel(index: number): string {
  let label = "";
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) {
    label = String.fromCharCode(65 + ((n - 1) % 26)) + label;
  }
  return label;
}

/** Resolves an answer given as a label, a 0-based index, or the option's text. */
function answerIndexOf(
  answer: string | number,
  labels: readonly string[],
  options: readonly string[],
): number | string {
  if (typeof answer === "number") {
    return answer >= 0 && answer < options.length
      ? answer
      : `answer index ${answer} is outside 0..${options.length - 1} (indices are 0-based)`;
  }
  const wanted = answer.trim();
  const byLabel = labels.findIndex((l) => l.toLowerCase() === wanted.toLowerCase());
  if (byLabel >= 0) return byLabel;
  const byText = options.findIndex((o) => o.trim() === wanted);
  if (byText >= 0) return byText;
  return `answer "${answer}" is neither an option label (${labels.join(", ")}) nor an option's text`;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
    .join("; ");
}

export type ParsedRow = { ok: true; row: DatasetRow } | { ok: false; reason: string };

/**
 * Recognises a row's format by its keys (input_ids, messages, question+options, instruction, text, in
 * that order) and validates it. Extra keys are ignored, so rows can carry ids or metadata.
 */
export function parseRow(value: unknown): ParsedRow {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, reason: "a row must be a JSON object" };
  }
  const has = (key: string): boolean => key in value;
  const check = <T>(
    schema: z.ZodType<T>,
    kind: string,
  ): { ok: true; data: T } | { ok: false; reason: string } => {
    const result = schema.safeParse(value);
    return result.success
      ? { ok: true, data: result.data }
      : { ok: false, reason: `${kind} row: ${describeIssues(result.error)}` };
  };
  if (has("input_ids")) {
    const r = check(tokenIdsSchema, "input_ids");
    if (!r.ok) return r;
    const { input_ids, labels, loss_mask } = r.data;
    const lossMask = labels ? labels.map((l) => (l === -100 ? 0 : 1)) : loss_mask;
    return { ok: true, row: { kind: "input_ids", inputIds: input_ids, ...(lossMask ? { lossMask } : {}) } };
  }
  if (has("messages")) {
    const r = check(chatSchema, "chat");
    return r.ok ? { ok: true, row: { kind: "chat", messages: r.data.messages } } : r;
  }
  if (has("question") || has("options")) {
    const r = check(mcqSchema, "multiple-choice");
    if (!r.ok) return r;
    const { question, options, answer } = r.data;
    const labels = Array.isArray(options) ? options.map((_, i) => letterLabel(i)) : Object.keys(options);
    const texts = Array.isArray(options) ? options : Object.values(options);
    const answerIndex = answerIndexOf(answer, labels, texts);
    if (typeof answerIndex === "string") return { ok: false, reason: `multiple-choice row: ${answerIndex}` };
    return { ok: true, row: { kind: "mcq", question, labels, options: texts, answerIndex } };
  }
  if (has("instruction")) {
    const r = check(instructionSchema, "instruction");
    if (!r.ok) return r;
    const { instruction, input, output } = r.data;
    const withInput = input !== undefined && input.trim() !== "" ? { input } : {};
    return { ok: true, row: { kind: "instruction", instruction, output, ...withInput } };
  }
  if (has("text")) {
    const r = check(textSchema, "text");
    return r.ok ? { ok: true, row: { kind: "text", text: r.data.text } } : r;
  }
  return {
    ok: false,
    reason:
      "unrecognised row: expected keys instruction/output, messages, question/options/answer, text, or input_ids",
  };
}

/**
 * A row in one of the JSONL formats above, such that {@link parseRow} reads back the same row: for
 * handing loaded (and de-identified) rows to another program, e.g. an external trainer.
 */
export function rowToJson(row: DatasetRow): Record<string, unknown> {
  switch (row.kind) {
    case "instruction":
      return {
        instruction: row.instruction,
        ...(row.input === undefined ? {} : { input: row.input }),
        output: row.output,
      };
    case "chat":
      return { messages: row.messages };
    case "mcq": {
      const lettered = row.labels.every((label, i) => label === letterLabel(i));
      const options = lettered
        ? row.options
        : Object.fromEntries(row.labels.map((label, i) => [label, row.options[i]]));
      return { question: row.question, options, answer: row.answerIndex };
    }
    case "text":
      return { text: row.text };
    case "input_ids":
      return { input_ids: row.inputIds, ...(row.lossMask === undefined ? {} : { loss_mask: row.lossMask }) };
  }
}

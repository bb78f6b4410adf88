// How the CLI's logs read: pino's JSON lines for machines, one plain line per entry for a person at a terminal.

export type LogFormat = "json" | "text";

const LEVELS: Readonly<Record<number, string>> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};

/** --log-format or FEDTUNE_LOG_FORMAT when given; otherwise text on a terminal, JSON when redirected. */
export function chooseLogFormat(requested: string | undefined, isTerminal: boolean): LogFormat {
  if (requested === undefined || requested === "") return isTerminal ? "text" : "json";
  if (requested === "json" || requested === "text") return requested;
  throw new Error(`log format must be json or text, got "${requested}"`);
}

function fieldText(value: unknown): string {
  if (typeof value === "string") return /[\s"=]/.test(value) || value === "" ? JSON.stringify(value) : value;
  if (typeof value === "object" && value !== null && "message" in value && "type" in value) {
    // A serialized error: its message, not its stack.
    return JSON.stringify((value as { message: unknown }).message);
  }
  return JSON.stringify(value) ?? String(value);
}

/** One pino JSON line as "12:00:01.234 INFO  message key=value …" (pino-pretty's single-line form). */
export function formatLogLine(jsonLine: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine.trimEnd();
  }
  const { time, level, msg, ...fields } = entry;
  const clock = typeof time === "number" ? new Date(time).toISOString().slice(11, 23) : "";
  const name = (typeof level === "number" ? LEVELS[level] : undefined) ?? String(level);
  const rest = Object.entries(fields).map(([key, value]) => `${key}=${fieldText(value)}`);
  return [clock, name.padEnd(5), typeof msg === "string" ? msg : "", ...rest]
    .filter((part) => part !== "")
    .join(" ");
}

/** A pino destination that writes each entry as one text line to `out`. */
export function textLogStream(out: { write(text: string): unknown }): { write(line: string): void } {
  return {
    write(line) {
      for (const one of line.split("\n")) if (one !== "") out.write(`${formatLogLine(one)}\n`);
    },
  };
}

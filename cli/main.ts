// The `fedtune` command-line program: finds the command, parses its options, runs it.
import { parseArgs } from "node:util";
import { pino } from "pino";
import { chooseLogFormat, textLogStream, type LogFormat } from "./log-format.ts";
import { ParsedArgs, UsageError, type CliContext, type Command } from "./command.ts";
import { COMMANDS, type CommandEntry } from "./registry.ts";

function usageLine(command: Command): string {
  const positionals = command.positionals ? ` ${command.positionals}` : "";
  return `usage: fedtune ${command.path.join(" ")}${positionals} [options]`;
}

export function helpText(command: Command): string {
  const lines = [usageLine(command), "", command.summary];
  if (command.details) lines.push("", command.details);
  const flags = Object.entries(command.options).map(
    ([name, spec]) => [`--${name}${spec.type === "string" ? " <v>" : ""}`, spec] as const,
  );
  const pad = Math.max(8, ...flags.map(([flag]) => flag.length)) + 2;
  lines.push("", "options:");
  for (const [flag, spec] of flags) {
    const fallback = spec.defaultText === undefined ? "" : ` (default: ${spec.defaultText})`;
    lines.push(`  ${flag.padEnd(pad)}${spec.description}${fallback}`);
  }
  lines.push(`  ${"--help".padEnd(pad)}Show this help`);
  return lines.join("\n");
}

function topLevelHelp(prefix: readonly string[]): string {
  const matching = COMMANDS.filter((entry) => prefix.every((word, i) => entry.path[i] === word));
  const lines = [
    `usage: fedtune ${prefix.length > 0 ? prefix.join(" ") + " " : ""}<command> [options]`,
    "",
    "Privacy-preserving federated LoRA fine-tuning across hospitals.",
    "",
    "commands:",
  ];
  const pad = Math.max(...matching.map((entry) => entry.path.join(" ").length)) + 2;
  for (const entry of matching) lines.push(`  ${entry.path.join(" ").padEnd(pad)}${entry.summary}`);
  lines.push(
    "",
    "Run `fedtune <command> --help` for the options of a command.",
    "Logs go to standard error: text on a terminal, JSON lines otherwise; --log-format json|text (or",
    "FEDTUNE_LOG_FORMAT) chooses, FEDTUNE_LOG_LEVEL sets the level (default info).",
  );
  return lines.join("\n");
}

/** The longest registered command path that prefixes argv. */
function findCommand(argv: readonly string[]): CommandEntry | undefined {
  let best: CommandEntry | undefined;
  for (const entry of COMMANDS) {
    const matches = entry.path.every((word, i) => argv[i] === word);
    if (matches && (!best || entry.path.length > best.path.length)) best = entry;
  }
  return best;
}

/** `--steps -3` → `--steps=-3`: node's parseArgs would take "-3" for an option and say so obscurely. */
function joinNegativeNumbers(args: readonly string[], command: Command): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const next = args[i + 1];
    const name = arg.startsWith("--") ? arg.slice(2) : "";
    if (command.options[name]?.type === "string" && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/** Logs go to standard error: text when it is a terminal (or asked for), JSON lines otherwise. */
export function createContext(format: LogFormat): CliContext {
  const options = { level: process.env.FEDTUNE_LOG_LEVEL ?? "info", base: null };
  const logger =
    format === "text"
      ? pino(options, textLogStream(process.stderr))
      : pino(options, pino.destination({ dest: 2, sync: true }));
  return { logger, print: (line) => process.stdout.write(line + "\n") };
}

/** Takes the global --log-format <json|text> (any position) out of argv. */
function takeLogFormat(argv: readonly string[]): { rest: string[]; requested: string | undefined } {
  const rest: string[] = [];
  let requested = process.env.FEDTUNE_LOG_FORMAT;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--log-format") requested = argv[++i] ?? "";
    else if (arg.startsWith("--log-format=")) requested = arg.slice("--log-format=".length);
    else rest.push(arg);
  }
  return { rest, requested };
}

export async function main(argvWithLogFormat: readonly string[]): Promise<number> {
  const { rest: argv, requested } = takeLogFormat(argvWithLogFormat);
  let format: LogFormat;
  try {
    format = chooseLogFormat(requested, process.stderr.isTTY);
  } catch (error) {
    process.stderr.write(`fedtune: ${(error as Error).message}\n`);
    return 2;
  }
  const entry = findCommand(argv);
  if (!entry) {
    const prefix = argv.filter((word) => !word.startsWith("-"));
    const known = COMMANDS.some((c) => prefix.length > 0 && prefix.every((word, i) => c.path[i] === word));
    const wantsHelp = argv.length === 0 || argv.includes("--help") || argv.includes("-h") || known;
    if (wantsHelp) {
      process.stdout.write(topLevelHelp(known ? prefix : []) + "\n");
      return 0;
    }
    process.stderr.write(`fedtune: unknown command "${argv.join(" ")}"\n\n${topLevelHelp([])}\n`);
    return 2;
  }
  const command = await entry.load();
  const rest = argv.slice(entry.path.length);
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(helpText(command) + "\n");
    return 0;
  }
  const ctx = createContext(format);
  try {
    const parsed = parseArgs({
      args: joinNegativeNumbers(rest, command),
      options: Object.fromEntries(
        Object.entries(command.options).map(([name, spec]) => [name, { type: spec.type }]),
      ),
      allowPositionals: command.positionals !== undefined,
      strict: true,
    });
    return await command.run(new ParsedArgs(parsed.values, parsed.positionals), ctx);
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error instanceof Error && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))
    ) {
      process.stderr.write(`fedtune: ${error.message}\n${usageLine(command)}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    ctx.logger.debug({ err: error }, message);
    process.stderr.write(`fedtune: ${message}\n`);
    return 1;
  }
}

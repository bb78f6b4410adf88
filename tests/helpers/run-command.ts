// Runs one `fedtune` command in-process with a silent logger, collecting what it prints.
import { pino } from "pino";
import { ParsedArgs, type CliContext, type Command } from "../../cli/command.ts";

export async function runCommand(
  command: Command,
  values: Record<string, string | boolean>,
): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const ctx: CliContext = { logger: pino({ level: "silent" }), print: (line) => lines.push(line) };
  const code = await command.run(new ParsedArgs(values, []), ctx);
  return { code, lines };
}

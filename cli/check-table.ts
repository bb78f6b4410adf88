// Prints preflight results (`coordinator check`, `client check`) as an aligned table; exit 0 only when all pass.
import type { CliContext } from "./command.ts";
import type { CheckResult } from "../coordinator/startup-checks.ts";

export function printCheckTable(ctx: CliContext, rows: readonly CheckResult[], json: boolean): number {
  if (json) {
    for (const row of rows) ctx.print(JSON.stringify(row));
  } else {
    const width = Math.max(5, ...rows.map((row) => row.check.length));
    ctx.print(`${"check".padEnd(width)}  result  detail`);
    for (const row of rows)
      ctx.print(`${row.check.padEnd(width)}  ${row.ok ? "ok    " : "FAILED"}  ${row.detail}`);
  }
  return rows.every((row) => row.ok) ? 0 : 1;
}

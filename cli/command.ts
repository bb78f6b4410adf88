// The shape of a CLI command and the typed access to its parsed options.
import type { Logger } from "pino";

export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly description: string;
  /** Shown in --help; the command applies defaults itself so that types stay exact. */
  readonly defaultText?: string;
}

export interface CliContext {
  readonly logger: Logger;
  /** Writes one line to standard output (results, tables, JSON); logs go to stderr. */
  readonly print: (line: string) => void;
}

export interface Command {
  /** Words after `fedtune`, e.g. ["privacy", "epsilon"]. */
  readonly path: readonly string[];
  readonly summary: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Usage of positional arguments, if any, e.g. "<file>". */
  readonly positionals?: string;
  /** Longer help shown under the usage line. */
  readonly details?: string;
  run(args: ParsedArgs, ctx: CliContext): Promise<number>;
}

/** A wrong or missing command-line argument: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export class ParsedArgs {
  constructor(
    private readonly values: Readonly<Record<string, string | boolean | undefined>>,
    readonly positionals: readonly string[],
  ) {}

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  string(name: string): string | undefined {
    const value = this.values[name];
    return typeof value === "string" ? value : undefined;
  }

  requireString(name: string): string {
    const value = this.string(name);
    if (value === undefined || value === "") throw new UsageError(`--${name} is required`);
    return value;
  }

  number(name: string, fallback: number): number;
  number(name: string): number | undefined;
  number(name: string, fallback?: number): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(value))
      throw new UsageError(`--${name} must be a number, got "${raw}"`);
    return value;
  }

  requireNumber(name: string): number {
    const value = this.number(name);
    if (value === undefined) throw new UsageError(`--${name} is required`);
    return value;
  }

  integer(name: string, fallback: number): number;
  integer(name: string): number | undefined;
  integer(name: string, fallback?: number): number | undefined {
    const value = fallback === undefined ? this.number(name) : this.number(name, fallback);
    if (value !== undefined && !Number.isInteger(value))
      throw new UsageError(`--${name} must be an integer, got ${value}`);
    return value;
  }

  /** A comma-separated list, e.g. `--targets q_proj,v_proj`. */
  list(name: string): string[] | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    return raw
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");
  }

  /** One of a fixed set of words. */
  choice<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      throw new UsageError(`--${name} must be one of ${allowed.join(", ")}, got "${raw}"`);
    }
    return raw as T;
  }
}

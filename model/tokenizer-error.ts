// The typed error every tokenizer loading or encoding failure is reported with.
import type { z } from "zod";

/** A tokenizer file that cannot be used: malformed JSON, a missing field, an unsupported component. */
export class TokenizerError extends Error {
  override readonly name = "TokenizerError";
  /** Where in the file the problem is, e.g. `tokenizer.json: pre_tokenizer.pretokenizers[1]`. */
  readonly where: string;

  constructor(where: string, message: string) {
    super(`${where}: ${message}`);
    this.where = where;
  }
}

/** The first issue of a failed zod parse, as a TokenizerError naming the field's path. */
export function tokenizerErrorFromZod(error: z.ZodError, where: string): TokenizerError {
  const issue = error.issues[0];
  const path = issue === undefined || issue.path.length === 0 ? "" : `.${issue.path.join(".")}`;
  return new TokenizerError(`${where}${path}`, issue?.message ?? "invalid value");
}

// The typed error every tokenizer loading or encoding failure is reported with.

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

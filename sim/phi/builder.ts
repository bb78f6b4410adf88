// Builds a note piece by piece, recording the character span of every identifier put into it.
import type { PhiKind, PhiSpan } from "../../client/deid/spans.ts";

/** A note and the spans of the identifiers in it. */
export interface LabelledNote {
  readonly text: string;
  readonly spans: readonly PhiSpan[];
}

export class NoteBuilder {
  private text = "";
  private readonly spans: PhiSpan[] = [];

  /** Plain text: no identifier in it. */
  plain(text: string): this {
    this.text += text;
    return this;
  }

  /** An identifier of `kind`. */
  phi(kind: PhiKind, value: string): this {
    this.spans.push({ kind, start: this.text.length, end: this.text.length + value.length });
    this.text += value;
    return this;
  }

  /** A template "text {kind:value} text"; the braces mark identifiers. */
  template(parts: readonly (string | readonly [PhiKind, string])[]): this {
    for (const part of parts) {
      if (typeof part === "string") this.plain(part);
      else this.phi(part[0], part[1]);
    }
    return this;
  }

  build(): LabelledNote {
    return { text: this.text, spans: [...this.spans] };
  }
}

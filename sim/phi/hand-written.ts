// The hand-written part of the labelled PHI corpus: notes written by hand in sim/phi/hand-written-notes.txt, parsed from their [[kind|text]] markup.
import { readFileSync } from "node:fs";
import { PHI_KINDS, type PhiKind } from "../../client/deid/spans.ts";
import { NoteBuilder, type LabelledNote } from "./builder.ts";

const MARK = /\[\[([a-z]+)\|([^\]]+)\]\]/g;

/** Parses notes separated by "===" lines; identifiers are written [[kind|text]]; "#" lines are comments. */
export function parseLabelledNotes(text: string): LabelledNote[] {
  const body = text
    .split("\n")
    .filter((line) => !line.startsWith("#"))
    .join("\n");
  return body
    .split(/^===$/m)
    .map((block) => block.trim())
    .filter((block) => block !== "")
    .map((block) => {
      const b = new NoteBuilder();
      let at = 0;
      for (const m of block.matchAll(MARK)) {
        const kind = m[1] as PhiKind;
        if (!PHI_KINDS.includes(kind)) throw new RangeError(`unknown identifier kind "${m[1]}" in ${m[0]}`);
        b.plain(block.slice(at, m.index)).phi(kind, m[2] ?? "");
        at = m.index + m[0].length;
      }
      return b.plain(block.slice(at)).build();
    });
}

/**
 * The hand-written notes: set 1 (hand-written-notes.txt) was used to fix the detector after its
 * first score; set 2 (hand-written-notes-2.txt) was written after the detector was frozen.
 */
export function handWrittenCorpus(set: 1 | 2 = 1): LabelledNote[] {
  const file = set === 1 ? "./hand-written-notes.txt" : "./hand-written-notes-2.txt";
  return parseLabelledNotes(readFileSync(new URL(file, import.meta.url), "utf8"));
}

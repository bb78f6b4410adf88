// The name detector: context rules (titles, "seen by …", relations, signatures), a name list, and structure (capitals, position).
import { EPONYM_NOUNS, NOT_NAMES, peopleNames } from "./name-lists.ts";
import type { PhiSpan } from "./spans.ts";

// A name word: capitalised, with inner capitals and apostrophes (McDonald, O'Brien, DeShawn, Jean-Luc,
// al-Hassan), any Latin diacritics; or an initial ("J.", "J").
const WORD =
  "(?:\\p{Lu}[\\p{Ll}\\p{Lu}'’]*\\p{Ll}[\\p{Ll}\\p{Lu}'’]*(?:-\\p{L}[\\p{Ll}'’]+)*|(?<![\\p{L}])\\p{Ll}{1,3}-\\p{Lu}\\p{Ll}+)";
const INITIAL = "\\p{Lu}\\.?(?=[\\s,])";
const CAPS_WORD = "\\p{Lu}{2,}(?:['’-]\\p{Lu}+)*";
// Lower-case particles inside a name: van der Berg, de la Cruz, bin Said, dos Santos.
const PARTICLE =
  "(?:van|von|der|den|de|del|della|di|da|dos|das|du|la|le|bin|binti|ibn|al|el|ten|ter|y|zu|af)";
// One space between a name's words: two or more separate fields ("Name: Ann Lee  MRN …").
const NAME_RUN = `(?:${WORD}|${INITIAL})(?:[ \\t](?:${PARTICLE}[ \\t])*(?:${WORD}|${INITIAL})){0,3}`;
const CAPS_RUN = `${CAPS_WORD}(?:,?[ \\t]${CAPS_WORD}){0,3}`;

const TITLES =
  "Dr|Doctor|Mr|Mrs|Ms|Miss|Mx|Prof|Professor|Nurse|Sister|Matron|Rev|Reverend|Capt|Sgt|Lt|Col|Sir|Dame|Lady|Lord|Herr|Frau|Mme|Mlle|Sra|Srta|Sr|Sig|Dott|Drs";
const RELATIONS =
  "wife|husband|son|daughter|mother|father|mom|mum|dad|sister|brother|partner|spouse|friend|neighbou?r|caregiver|carer|aunt|uncle|grandmother|grandfather|grandson|granddaughter|niece|nephew|cousin|fiancee|fiancé|fiancée|girlfriend|boyfriend|guardian|sibling|stepmother|stepfather|landlord|employer|interpreter";
const PHRASES =
  "seen by|seen with|reviewed by|reviewed with|examined by|assessed by|signed by|electronically signed by|e-signed by|dictated by|transcribed by|authored by|co-?signed by|countersigned by|verified by|approved by|written by|entered by|referred by|referral from|referred to|discussed with|d\\/w|spoke with|spoke to|talked to|attending|resident|intern|consultant|registrar|fellow|PCP|GP|surgeon|cardiologist|oncologist|physician|provider|midwife|NOK|next of kin|emergency contact|cc|Re|Attn|c\\/o|care of|accompanied by|brought in by|brought by|handed over to|handover to|patient|pt\\.?|name|patient name|pt name|full name|known as|aka|goes by|prefers|Thanks|Thank you|Regards|Kind regards|Best|Sincerely|Cheers|Signed|\\/s\\/";

const AFTER_TITLE = new RegExp(`\\b(?:${TITLES})\\.?[ \\t]+((?:${PARTICLE}[ \\t]+)*${NAME_RUN})`, "gu");
/** A pattern that matches `words` in any case, leaving the name patterns case-sensitive (no "i" flag). */
function anyCase(words: string): string {
  return words.replace(/\\.|[a-z]/gi, (c) => (c.length === 1 ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c));
}

const AFTER_RELATION = new RegExp(
  `\\b(?:${anyCase(RELATIONS)})(?:[ \\t]*[:,(][ \\t]*|[ \\t]+(?:(?:is|was|named|called)[ \\t]+)?)(${NAME_RUN})`,
  "gu",
);
// Structure: a name run right before an age and sex ("Tomasz Nowak, 58M", "Zainab (6 years)", "Ann Lee, 91,").
const BEFORE_AGE = new RegExp(
  `(?<![\\p{L}.'’-])(${NAME_RUN})(?:,[ \\t]*|[ \\t]+\\()\\d{1,3}(?:[ \\t]?(?:[MF]|yo|y\\.?o\\.?|years?|yrs?|months?)\\b|[,)])`,
  "gu",
);
const AFTER_PHRASE = new RegExp(
  `(?<![\\p{L}])(?:${anyCase(PHRASES)})[ \\t]*[:,\\-–—]?[ \\t]*\\n?[ \\t]*(${NAME_RUN})`,
  "gu",
);
// "Patient: SMITH, John" / "Name: Smith, John A." and all-caps headers.
const LABELLED_LAST_FIRST = new RegExp(
  `\\b(?:${anyCase("patient|pt|name|patient name|NOK|contact|provider|attending|PCP|physician")})[ \\t]*[:#][ \\t]*((?:${NAME_RUN}|${CAPS_RUN}),[ \\t]*(?:${NAME_RUN}|${CAPS_RUN}))`,
  "gu",
);
const LABELLED_CAPS = new RegExp(
  `\\b(?:PATIENT|PT|NAME|NOK|CONTACT|PROVIDER|ATTENDING|PCP|PHYSICIAN|SIGNED)[ \\t]*[:#][ \\t]*(${CAPS_RUN})`,
  "gu",
);
const LABELLED = new RegExp(
  `\\b(?:${anyCase("patient|pt|name|patient name|pt name|full name|NOK|next of kin")})[ \\t]*[:#][ \\t]*((?:${PARTICLE}[ \\t]+)*${NAME_RUN})`,
  "gu",
);
const CREDENTIALS =
  "MD|M\\.D\\.|DO|RN|NP|PA|PA-C|APRN|CNM|CRNA|LPN|LVN|CNA|MBBS|MBChB|MB|BS|FRCP|FRCS|MRCP|FRACP|PhD|PharmD|DPT|PT|OT|RD|MSW|LCSW|DNP|BSN|MSN|DDS|DMD|OD|EMT|Paramedic";
const BEFORE_CREDENTIALS = new RegExp(`(?<![\\p{L}.'’-])(${NAME_RUN}),?[ \\t]+(?:${CREDENTIALS})\\b`, "gu");
// A line that is only a name (a signature), maybe after a dash or "/s/", maybe with credentials.
const SIGNATURE_LINE = new RegExp(
  `^[ \\t]*(?:[-–—~]+|\\/s\\/)?[ \\t]*(${WORD}(?:[ \\t]+(?:${PARTICLE}[ \\t]+)*(?:${WORD}|${INITIAL})){1,3})[ \\t]*(?:,?[ \\t]*(?:${CREDENTIALS}))?[ \\t]*$`,
  "gmu",
);
// Letters of scripts other than Latin in an English note are, in practice, names written in their own script.
const OTHER_SCRIPT =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Cyrillic}\p{Script=Devanagari}\p{Script=Thai}\p{Script=Bengali}\p{Script=Tamil}\p{Script=Georgian}\p{Script=Armenian}\p{Script=Ethiopic}][\p{L}\p{M}]*(?:[ \u00B7\u30FB][\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Cyrillic}\p{Script=Devanagari}\p{Script=Thai}\p{Script=Bengali}\p{Script=Tamil}\p{Script=Georgian}\p{Script=Armenian}\p{Script=Ethiopic}][\p{L}\p{M}]*)*/gu;
const GREEK_RUN = /(?<![\p{L}])\p{Script=Greek}{3,}(?:\s\p{Script=Greek}{3,})*/gu;

const TOKEN = new RegExp(`${WORD}|${INITIAL}|${CAPS_WORD}`, "gu");

interface Token {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

function tokensIn(text: string, offset: number): Token[] {
  return [...text.matchAll(TOKEN)].map((m) => ({
    text: m[0],
    start: offset + m.index,
    end: offset + m.index + m[0].length,
  }));
}

function isStopWord(word: string): boolean {
  const bare = word.toLowerCase().replace(/[.’']+$/, "");
  // Professions are titles of a line, not names: "Consultant Nephrologist", "Paediatrician".
  return NOT_NAMES.has(bare) || /(?:ologist|iatrist|ician|ographer|surgeon)$/.test(bare);
}

/**
 * Trims a captured run to its name words: drops trailing stop words ("Dr. Lee Cardiology" → "Lee"),
 * stops at an eponym ("Bell palsy"). Undefined when no name word is left.
 */
function trimRun(
  text: string,
  start: number,
  run: string,
  trusted: boolean,
  skipLeading = false,
): PhiSpan | undefined {
  let tokens = tokensIn(run, start);
  // Structure rules see a line's leading words too ("Patient Ann Lee, 58M"): skip plain words there.
  if (skipLeading) {
    const firstName = tokens.findIndex((t) => !NOT_NAMES_STRICT.has(t.text.toLowerCase()));
    tokens = firstName < 0 ? [] : tokens.slice(firstName);
  }
  let keep = 0;
  for (const [i, token] of tokens.entries()) {
    // After a context, only plain words end the run ("Pt Chukwu Grace" keeps Grace); a title even
    // makes a name-like first word a name ("Dr. Hope").
    const stop =
      i === 0 && !trusted ? isStopWord(token.text) : NOT_NAMES_STRICT.has(token.text.toLowerCase());
    if (stop) break;
    if (EPONYM_NOUNS.test(text.slice(token.end))) break;
    keep = i + 1;
  }
  const last = tokens[keep - 1];
  const first = tokens[0];
  if (last === undefined || first === undefined) return undefined;
  // A run of initials alone ("J. K.") is not enough to call a name.
  if (tokens.slice(0, keep).every((t) => /^\p{Lu}\.?$/u.test(t.text))) return undefined;
  // A leading particle belongs to the name: "Dr van de Merwe".
  const lead =
    !skipLeading && /^(?:van|von|de|del|della|di|da|dos|das|du|la|le|al|el|ten|ter)\s/.test(run)
      ? start
      : first.start;
  return { kind: "name", start: lead, end: last.end };
}

// Words that even a title or "seen by" does not make a name ("seen by Cardiology", "Dr. on call").
const NOT_NAMES_STRICT: ReadonlySet<string> = new Set(
  [...NOT_NAMES].filter(
    (w) =>
      !/^(hope|faith|grace|joy|rose|lily|iris|daisy|holly|ivy|heather|hazel|amber|ruby|pearl|may|june|april|august|white|black|brown|green|gray|grey|young|long|short|little|bell|graves|parkinson|wilson|murphy|beck|paget|addison|crohn|cushing|hodgkin|down|kawasaki|doppler|foley|holter|gram|bin|will|mark|bill|frank|grant|dean|gay|carol|sue|pat)$/.test(
        w,
      ),
  ),
);

function captured(text: string, pattern: RegExp, trusted: boolean, skipLeading = false): PhiSpan[] {
  const out: PhiSpan[] = [];
  for (const m of text.matchAll(new RegExp(pattern.source, pattern.flags + "d"))) {
    const at = m.indices?.[1];
    const run = m[1];
    if (at === undefined || run === undefined) continue;
    const span = trimRun(text, at[0], run, trusted, skipLeading);
    if (span !== undefined) out.push(span);
  }
  return out;
}

/** Runs of two or more capitalised words of which one is on the name list and none is a common word. */
function listedRuns(text: string): PhiSpan[] {
  const names = peopleNames();
  const out: PhiSpan[] = [];
  const runs = new RegExp(
    `(?<![\\p{L}'’-])${WORD}(?:[ \\t](?:${PARTICLE}[ \\t])*(?:${WORD}|${INITIAL}))*`,
    "gu",
  );
  for (const m of text.matchAll(runs)) {
    const tokens = tokensIn(m[0], m.index);
    // Split the run at stop words; each piece is judged alone.
    let piece: Token[] = [];
    const judge = (): void => {
      const words = piece.filter((t) => !/^\p{Lu}\.?$/u.test(t.text));
      const listed = words.filter((t) => names.has(t.text.toLowerCase()));
      const first = piece[0];
      const last = piece[piece.length - 1];
      if (first !== undefined && last !== undefined && listed.length > 0) {
        const sentenceStart = /(?:^|[.!?:]\s+|\n\s*)$/.test(
          text.slice(Math.max(0, first.start - 3), first.start),
        );
        const eponym = EPONYM_NOUNS.test(text.slice(last.end));
        const single = words.length === 1;
        // One listed word alone counts mid-sentence only; a pair counts anywhere.
        if (!eponym && (!single || (!sentenceStart && (words[0]?.text.length ?? 0) >= 3)))
          out.push({ kind: "name", start: first.start, end: last.end });
      }
      piece = [];
    };
    for (const token of tokens) {
      if (isStopWord(token.text)) judge();
      else piece.push(token);
    }
    judge();
  }
  return out;
}

/** Every other capitalised occurrence of a word already found in a name ("Mr. Okafor … Okafor was"). */
function propagate(text: string, found: readonly PhiSpan[]): PhiSpan[] {
  const words = new Set<string>();
  for (const span of found) {
    for (const token of tokensIn(text.slice(span.start, span.end), 0)) {
      const word = token.text.replace(/\.$/, "");
      // Short words ("Ha", "Le") would also match abbreviations; three letters or more travel, and
      // their all-caps form from four letters.
      if (word.length >= 3 && !isStopWord(word)) {
        words.add(word);
        if (word.length >= 4) words.add(word.toUpperCase());
      }
    }
  }
  if (words.size === 0) return [];
  const out: PhiSpan[] = [];
  // One pass over the text's words (a regex per found word would rescan the note for each).
  for (const m of text.matchAll(/[\p{L}][\p{L}'’-]*/gu)) {
    const word = m[0].replace(/['’]s$/, "");
    if (words.has(word)) out.push({ kind: "name", start: m.index, end: m.index + word.length });
  }
  return out;
}

/** Every person's name in `text` (spans may overlap; the caller resolves overlaps). */
export function detectNames(text: string): PhiSpan[] {
  const found = [
    ...captured(text, AFTER_TITLE, true),
    ...captured(text, AFTER_RELATION, true),
    ...captured(text, AFTER_PHRASE, false),
    ...captured(text, LABELLED, true),
    ...captured(text, LABELLED_LAST_FIRST, true),
    ...captured(text, LABELLED_CAPS, true),
    ...captured(text, BEFORE_CREDENTIALS, false),
    ...captured(text, BEFORE_AGE, true, true),
    ...captured(text, SIGNATURE_LINE, false).filter((s) =>
      tokensIn(text.slice(s.start, s.end), 0).some((t) => peopleNames().has(t.text.toLowerCase())),
    ),
    ...listedRuns(text),
  ];
  const scripts = [...text.matchAll(OTHER_SCRIPT), ...text.matchAll(GREEK_RUN)].map((m): PhiSpan => ({
    kind: "name",
    start: m.index,
    end: m.index + m[0].length,
  }));
  return [...found, ...propagate(text, found), ...scripts];
}

// The simulation's progress display: one line per setup step, per round stage and per finished round, on stderr.
import { formatPercent, formatSeconds } from "./report/table.ts";

export type SimEvent =
  | { readonly type: "step"; readonly text: string }
  | {
      readonly type: "stage";
      readonly round: number;
      readonly rounds: number;
      readonly stage: string;
      readonly expected: number;
    }
  | {
      readonly type: "round";
      readonly round: number;
      readonly rounds: number;
      readonly participants: number;
      readonly dropouts: number;
      readonly wallTimeMs: number;
      readonly globalAccuracy: number | null;
    }
  | { readonly type: "fault"; readonly text: string };

export type ProgressListener = (event: SimEvent) => void;

/** Formats an event as one line, prefixed by the seconds since `startMs`. */
export function formatEvent(event: SimEvent, elapsedMs: number): string {
  const t = `[${(elapsedMs / 1000).toFixed(1).padStart(6)} s]`;
  switch (event.type) {
    case "step":
      return `${t} ${event.text}`;
    case "stage":
      return `${t} round ${event.round}/${event.rounds} · ${event.stage} · ${event.expected} site${event.expected === 1 ? "" : "s"}`;
    case "round":
      return (
        `${t} round ${event.round}/${event.rounds} done in ${formatSeconds(event.wallTimeMs)} · ` +
        `${event.participants} sites, ${event.dropouts} dropped` +
        (event.globalAccuracy === null
          ? ""
          : ` · global test accuracy ${formatPercent(event.globalAccuracy)}`)
      );
    case "fault":
      return `${t} fault: ${event.text}`;
  }
}

/** A listener that writes formatted lines through `write` (e.g. to stderr). */
export function createProgressDisplay(
  write: (line: string) => void,
  now: () => number = Date.now,
): ProgressListener {
  const start = now();
  return (event) => write(formatEvent(event, now() - start));
}

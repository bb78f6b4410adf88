// A one-line progress bar on stderr (step, loss, learning rate, tokens/s); off a TTY, a log line every tenth of the run.
import type { Logger } from "pino";
import type { TrainProgress } from "./train-model.ts";

export interface ProgressBar {
  readonly update: (progress: TrainProgress) => void;
  /** Ends the line so later output starts cleanly. */
  readonly finish: () => void;
}

export interface ProgressBarOptions {
  readonly stream?: NodeJS.WriteStream;
  readonly quiet?: boolean;
  readonly label?: string;
  readonly width?: number;
  /** Off a TTY (and unless quiet), progress is logged here about ten times per run. */
  readonly logger?: Logger;
}

/** Formats one progress line, e.g. `train [#####     ] 50/100 loss 2.3456 lr 1.00e-4 1234 tok/s`. */
function formatProgress(p: TrainProgress, label: string, width: number): string {
  const filled = Math.round((width * p.step) / Math.max(1, p.totalSteps));
  const bar = "#".repeat(Math.min(width, filled)).padEnd(width, " ");
  const eta = p.step > 0 ? ((p.totalSteps - p.step) * p.elapsedMs) / p.step / 1000 : 0;
  return (
    `${label} [${bar}] ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(4)} ` +
    `lr ${p.learningRate.toExponential(2)} ${Math.round(p.tokensPerSecond)} tok/s eta ${eta.toFixed(0)}s`
  );
}

export function createProgressBar(options: ProgressBarOptions = {}): ProgressBar {
  const stream = options.stream ?? process.stderr;
  const quiet = options.quiet === true;
  const enabled = !quiet && stream.isTTY;
  const logger = quiet || stream.isTTY ? undefined : options.logger;
  const label = options.label ?? "train";
  const width = options.width ?? 24;
  let drawn = false;
  return {
    update: (progress) => {
      const every = Math.max(1, Math.round(progress.totalSteps / 10));
      if (logger && (progress.step % every === 0 || progress.step === progress.totalSteps)) {
        const { step, totalSteps, loss, learningRate, tokensPerSecond } = progress;
        logger.info(
          { step, totalSteps, loss, learningRate, tokensPerSecond },
          formatProgress(progress, label, width),
        );
      }
      if (!enabled) return;
      stream.write(`\r${formatProgress(progress, label, width)}\x1b[K`);
      drawn = true;
    },
    finish: () => {
      if (drawn) stream.write("\n");
      drawn = false;
    },
  };
}

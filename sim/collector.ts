// Turns the coordinator's event stream into per-round figures: participants, dropouts, bytes, stage durations.
import type { CoordinatorEvent } from "../coordinator/service/records.ts";

/** What the coordinator's events tell about one completed training round. */
export interface ProtocolRound {
  /** The protocol round number, which is also the version of the global adapter it produced. */
  readonly round: number;
  readonly participants: number;
  readonly dropouts: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /**
   * Stage times of the round, and under collect_metrics the whole evaluation round that scored its result
   * (in secagg and he mode its SecAgg+ stages, kept apart from the training round's).
   */
  readonly stageDurationsMs: Record<string, number>;
  readonly wallTimeMs: number;
  readonly checkpointSha256: string;
  /** Mean training loss the sites reported, where the mode reveals it. */
  readonly metrics: Readonly<Record<string, number>>;
}

interface OpenRound {
  round: number;
  bytesSent: number;
  bytesReceived: number;
  stageDurationsMs: Record<string, number>;
  startedAt: number;
}

/**
 * Accumulates events as they arrive. Bytes and stage times of abandoned tries count towards the
 * round that finally completes (the traffic was spent); bytes before round 1 (joining, key
 * ceremony) count towards round 1.
 */
export class RoundCollector {
  private open: OpenRound | undefined;
  /** Whether the running try is an evaluation try. */
  private evaluating = false;
  private pendingBytes = { sent: 0, received: 0 };
  private readonly completed: ProtocolRound[] = [];

  constructor(private readonly now: () => number = () => performance.now()) {}

  get rounds(): readonly ProtocolRound[] {
    return this.completed;
  }

  handle(event: CoordinatorEvent): ProtocolRound | undefined {
    switch (event.type) {
      case "round_started":
        this.evaluating = event.kind === "eval";
        if (event.kind === "train" && this.open?.round !== event.ref.round) {
          this.open = {
            round: event.ref.round,
            bytesSent: this.pendingBytes.sent,
            bytesReceived: this.pendingBytes.received,
            stageDurationsMs: {},
            startedAt: this.now(),
          };
          this.pendingBytes = { sent: 0, received: 0 };
        }
        return undefined;
      case "stage_closed": {
        // An evaluation round's stage counts towards the training round whose adapter it scores.
        const target =
          this.open !== undefined && this.open.round === event.ref.round
            ? this.open.stageDurationsMs
            : this.completed[this.completed.length - 1]?.stageDurationsMs;
        const stage = this.evaluating ? "collect_metrics" : event.stage;
        if (target !== undefined) target[stage] = (target[stage] ?? 0) + event.durationMs;
        return undefined;
      }
      case "bytes": {
        // "in" is what the coordinator received, i.e. what the sites sent.
        const target = this.open ?? null;
        if (event.direction === "in") {
          if (target) target.bytesSent += event.bytes;
          else this.pendingBytes.sent += event.bytes;
        } else if (target) target.bytesReceived += event.bytes;
        else this.pendingBytes.received += event.bytes;
        return undefined;
      }
      case "round_completed": {
        const open = this.open;
        if (event.kind !== "train" || open === undefined || open.round !== event.ref.round) return undefined;
        const done: ProtocolRound = {
          round: open.round,
          participants: event.survivors.length + event.dropouts.length,
          dropouts: event.dropouts.length,
          bytesSent: open.bytesSent,
          bytesReceived: open.bytesReceived,
          stageDurationsMs: open.stageDurationsMs,
          wallTimeMs: this.now() - open.startedAt,
          checkpointSha256: event.checkpointSha256,
          metrics: event.metrics,
        };
        this.completed.push(done);
        this.open = undefined;
        return done;
      }
      case "site_joined":
      case "key_ceremony":
      case "stage_started":
      case "site_declined":
      case "site_presence":
      case "round_abandoned":
      case "finished":
        return undefined;
    }
  }
}

// Per-site fair gates for tensor transfers: bounded memory, one transfer per site, stalls cancelled.
import { FederationError } from "../../proto/errors.ts";

export type TransferKind = "upload" | "download";

/** The transfers config section (coordinator/config.ts), for one kind of transfer. */
export interface TransferLimits {
  /** Transfers of this kind running at once, across all sites. */
  readonly concurrency: number;
  /** An upload whose header has not arrived this long after its slot opened is cancelled. */
  readonly headerTimeoutMs: number;
  /** A transfer that makes no progress (no message in, or the last chunk not taken) for this long is cancelled. */
  readonly stallTimeoutMs: number;
}

/**
 * At most `concurrency` transfers of one kind run at once; the others wait in arrival order (and, over
 * gRPC, HTTP/2 flow control holds their senders), so the coordinator's transfer buffers do not grow with
 * the number of sites. A site holds at most one transfer of the kind, waiting or running: a second is
 * refused at once. A running transfer that stalls gives its slot back, so that one site — slow or
 * hostile — can delay only its own transfer, never another site's.
 */
export class TransferGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** Sites with a transfer of this kind open (waiting, running or stalled). */
  private readonly sites = new Set<string>();

  constructor(
    readonly kind: TransferKind,
    readonly limits: TransferLimits,
  ) {}

  /** Opens `site`'s transfer once a slot is free; close the returned transfer exactly once. */
  async open(site: string, signal: AbortSignal): Promise<Transfer> {
    if (this.sites.has(site)) {
      throw new FederationError(
        "resource_exhausted",
        `this site already has an ${this.kind} in progress; a site holds one ${this.kind} at a time`,
      );
    }
    this.sites.add(site);
    try {
      await this.takeSlot(signal);
    } catch (error) {
      this.sites.delete(site);
      throw error;
    }
    return new Transfer(
      this,
      () => this.freeSlot(),
      () => this.sites.delete(site),
    );
  }

  private async takeSlot(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw new FederationError("cancelled", `${this.kind} cancelled while waiting`);
    if (this.active < this.limits.concurrency) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.waiting.indexOf(wake);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(new FederationError("cancelled", `${this.kind} cancelled while waiting`));
      };
      const wake = (): void => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(wake);
    });
  }

  /** Hands the slot to the longest waiter, or frees it. */
  private freeSlot(): void {
    const next = this.waiting.shift();
    if (next === undefined) this.active--;
    else next();
  }
}

/** One site's open transfer: its slot, and the watchdog on each step the peer must take. */
export class Transfer {
  private slotHeld = true;
  private closed = false;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly gate: TransferGate,
    private readonly releaseSlot: () => void,
    private readonly releaseSite: () => void,
  ) {}

  /**
   * Awaits one step of the peer (an upload's next message); cancels the transfer when the step takes
   * longer than `timeoutMs` or the call goes away.
   */
  async step<T>(pending: Promise<T>, timeoutMs: number, what: string, signal: AbortSignal): Promise<T> {
    if (signal.aborted) throw new FederationError("cancelled", `${this.gate.kind} cancelled`);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const cancelled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // The slot goes back now: the peer's stalled call may linger until its own deadline.
        this.yieldSlot();
        reject(
          new FederationError(
            "deadline_exceeded",
            `${what} within ${timeoutMs} ms: ${this.gate.kind} cancelled`,
          ),
        );
      }, timeoutMs);
      onAbort = () => reject(new FederationError("cancelled", `${this.gate.kind} cancelled`));
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([pending, cancelled]);
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Starts the watchdog on a step the coordinator cannot await (a download's chunk being taken by the
   * peer); the returned function stops it and throws when the step took too long.
   */
  watch(timeoutMs: number, what: string): () => void {
    let expired = false;
    this.watchdog = setTimeout(() => {
      expired = true;
      this.yieldSlot();
    }, timeoutMs);
    return () => {
      clearTimeout(this.watchdog);
      if (expired)
        throw new FederationError(
          "deadline_exceeded",
          `${what} within ${timeoutMs} ms: ${this.gate.kind} cancelled`,
        );
    };
  }

  /** Frees the slot and the site's claim (call exactly once, when the transfer ends however it ends). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.watchdog);
    this.yieldSlot();
    this.releaseSite();
  }

  private yieldSlot(): void {
    if (!this.slotHeld) return;
    this.slotHeld = false;
    this.releaseSlot();
  }
}

// A gate that bounds how many tensor transfers the coordinator holds in memory at once.
import { FederationError } from "../../proto/errors.ts";

/**
 * At most `capacity` transfers (staged uploads, or adapter downloads) run at once; the others wait
 * (and, over gRPC, HTTP/2 flow control holds their senders), so the coordinator's transfer buffers do
 * not grow with the number of sites.
 */
export class TransferGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly capacity: number) {}

  /** Waits for a free slot; the returned function frees it (call it exactly once). */
  async acquire(signal: AbortSignal): Promise<() => void> {
    if (this.active >= this.capacity) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          const index = this.waiting.indexOf(wake);
          if (index >= 0) this.waiting.splice(index, 1);
          reject(new FederationError("cancelled", "transfer cancelled while waiting"));
        };
        const wake = (): void => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        };
        signal.addEventListener("abort", onAbort, { once: true });
        this.waiting.push(wake);
      });
    } else {
      this.active++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next === undefined) this.active--;
      else next();
    };
  }

  async run<T>(task: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await task();
    } finally {
      release();
    }
  }
}

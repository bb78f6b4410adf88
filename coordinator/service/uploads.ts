// A gate that bounds how many uploads the coordinator stages in memory at once.
import { FederationError } from "../../proto/errors.ts";

/**
 * At most `capacity` uploads are staged in memory at once; the others wait (and, over gRPC, HTTP/2
 * flow control holds their senders), so coordinator memory does not grow with the number of sites.
 */
export class UploadGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly capacity: number) {}

  async run<T>(task: () => Promise<T>, signal: AbortSignal): Promise<T> {
    if (this.active >= this.capacity) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          const index = this.waiting.indexOf(wake);
          if (index >= 0) this.waiting.splice(index, 1);
          reject(new FederationError("cancelled", "upload cancelled while waiting"));
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
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next === undefined) this.active--;
      else next();
    }
  }
}

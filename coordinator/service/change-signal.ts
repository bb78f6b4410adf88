// Wakes every waiter on each change of the round state (stage moves, answers, joins); waiters re-check what they need.

export class ChangeSignal {
  private waiters: (() => void)[] = [];

  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  wait(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(), Math.max(0, ms));
      // A waiter that times out or is aborted leaves the list at once: sites long-polling through a
      // long training stage would otherwise pile up stale waiters until the next change.
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.waiters = this.waiters.filter((wake) => wake !== done);
        resolve();
      };
      signal?.addEventListener("abort", done, { once: true });
      this.waiters.push(done);
    });
  }
}

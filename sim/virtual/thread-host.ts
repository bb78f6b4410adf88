// Virtual sites: a worker thread hosting many site clients (the real site client, over loopback gRPC) in this process.
import { Worker } from "node:worker_threads";
import type { HostCommand, HostLink, HostMessage } from "../site-host.ts";

/**
 * Starts a worker thread that hosts sites (sim/site-host.ts SiteHost): one copy of the base model
 * per thread, shared read-only by its sites; each site keeps its own keys, ledger, optimizer state,
 * data and state folder. Threads share this process's memory limits but not its event loop, so one
 * thread's training never delays the coordinator's or another thread's calls.
 */
export function threadHost(
  onMessage: (message: HostMessage) => void,
  onExit: (why: string) => void,
): HostLink {
  const worker = new Worker(new URL("./site-host-thread.mjs", import.meta.url));
  let closing = false;
  worker.on("message", (message) => onMessage(message as HostMessage));
  worker.on("error", (error) => onExit(`site host thread ${worker.threadId} failed: ${error.message}`));
  worker.on("exit", (code) => {
    if (!closing && code !== 0) onExit(`site host thread ${worker.threadId} exited with code ${code}`);
  });
  return {
    post: (command) => worker.postMessage(command),
    close: async () => {
      closing = true;
      const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
      worker.postMessage({ type: "stop" } satisfies HostCommand);
      // The thread closes its port after stopping its sites; terminate what lingers (open handles).
      const timer = setTimeout(() => void worker.terminate(), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// A worker thread hosting virtual sites for `fedtune sim --isolation thread`: commands in over its port, reports out.
import { parentPort } from "node:worker_threads";
import { hostCommandHandler } from "../site-host.ts";
import type { HostCommand, HostMessage } from "../site-host.ts";

const port = parentPort;
if (port === null) throw new Error("site-host-thread runs as a worker thread");
const handle = hostCommandHandler(
  (message: HostMessage) => port.postMessage(message),
  // Ends this thread only (worker_threads: process.exit stops the calling thread).
  () => process.exit(0),
);
port.on("message", (command: HostCommand) => handle(command));

// A child process hosting site clients for `fedtune sim`: takes commands from the parent over IPC, reports back.
import { hostCommandHandler } from "./site-host.ts";
import type { HostCommand, HostMessage } from "./site-host.ts";

const handle = hostCommandHandler(
  (message: HostMessage) => process.send?.(message),
  () => process.disconnect(),
);
process.on("message", (command: HostCommand) => handle(command));

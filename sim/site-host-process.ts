// A child process hosting site clients for `fedtune sim`: takes commands from the parent over IPC, reports back.
import { SiteHost } from "./site-host.ts";
import type { HostCommand, HostMessage, SiteHostInit } from "./site-host.ts";

function send(message: HostMessage): void {
  process.send?.(message);
}

let host: SiteHost | undefined;
let init: SiteHostInit | undefined;

async function handle(command: HostCommand): Promise<void> {
  switch (command.type) {
    case "start":
      init = command.init;
      host = new SiteHost(send, command.init.logLevel);
      await host.start(command.init);
      send({ type: "ready" });
      return;
    case "evaluate":
      if (host === undefined || init === undefined) throw new Error("evaluate before start");
      await host.evaluate(command, init.model, init.seqLen);
      return;
    case "stop":
      await host?.stop();
      process.disconnect();
      return;
  }
}

process.on("message", (command: HostCommand) => {
  handle(command).catch((error: unknown) => {
    send({ type: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  });
});

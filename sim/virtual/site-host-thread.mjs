// Entry of a site-host worker thread: registers tsx's TypeScript loader (as bin/fedtune.mjs does), then runs the host.
import { register } from "tsx/esm/api";

register();
await import("./site-host-thread.ts");

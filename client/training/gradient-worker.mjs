// Entry of a gradient worker thread: registers tsx's TypeScript loader (as bin/fedtune.mjs does), then runs the worker.
import { register } from "tsx/esm/api";

register();
await import("./gradient-worker.ts");

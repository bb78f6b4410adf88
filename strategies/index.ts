// Aggregation strategies: pure functions over Float32Array (STYLE.md item 2).
export * from "./fedopt.ts";
export * from "./config.ts";
export * from "./create.ts";
export * from "./fedavg.ts";
export * from "./robust.ts";
export * from "./state.ts";
export * from "./sum.ts";
export * from "./types.ts";

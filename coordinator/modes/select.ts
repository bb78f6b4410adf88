// The one place that picks the privacy mode's driver; adding a mode adds a file and a line here.
import type { PrivacyMode } from "../../proto/messages.ts";
import { createHeDriver } from "./he.ts";
import type { ModeDriver, ModeHost } from "./mode.ts";
import { createPlainDriver } from "./plain.ts";
import { createSecAggDriver } from "./secagg.ts";

const DRIVERS: Readonly<Record<PrivacyMode, (host: ModeHost) => ModeDriver>> = {
  none: createPlainDriver,
  secagg: createSecAggDriver,
  he: createHeDriver,
};

export function createModeDriver(host: ModeHost): ModeDriver {
  return DRIVERS[host.config.privacy.mode](host);
}

// The one place that picks the site's privacy mode, from the federation's mode at Join.
import type { PrivacyMode } from "../../proto/messages.ts";
import { createHeMode } from "./he.ts";
import type { SiteMode, SiteModeContext } from "./mode.ts";
import { createPlainMode } from "./plain.ts";
import { createSecAggMode } from "./secagg.ts";

const MODES: Readonly<Record<PrivacyMode, (context: SiteModeContext) => SiteMode>> = {
  none: createPlainMode,
  secagg: createSecAggMode,
  he: createHeMode,
};

export function createSiteMode(mode: PrivacyMode, context: SiteModeContext): SiteMode {
  return MODES[mode](context);
}

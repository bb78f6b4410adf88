// Headless Chromium (Debian's `chromium`) driven by puppeteer-core, for the status page's browser tests.
import { existsSync } from "node:fs";
import { launch, type Browser } from "puppeteer-core";

export const CHROMIUM_PATH = process.env.FEDTUNE_CHROMIUM ?? "/usr/bin/chromium";

/**
 * Whether the browser tests run: always under CI (where a missing browser must fail them, .ci/run installs
 * it), elsewhere only where Chromium is installed.
 */
export function browserTestsRun(): boolean {
  if (existsSync(CHROMIUM_PATH) || process.env.CI === "true") return true;
  console.warn(
    `status page browser tests skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set FEDTUNE_CHROMIUM)`,
  );
  return false;
}

export function launchChromium(): Promise<Browser> {
  return launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // The sandbox needs user namespaces, which containers (and root) often lack; the page under test is ours.
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}

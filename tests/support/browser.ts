/**
 * Headless Chromium for browser tests: the Debian package (`chromium`, installed by .ci/run) driven by playwright-core
 * from npm, with flags that keep it off the network (no component updates, no sync, no QUIC). One browser per test
 * file; each user gets a fresh context (its own profile state), pages are reused within it.
 */

import { type Browser, chromium } from "playwright-core";

export const CHROMIUM_PATH = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export async function launchChromium(): Promise<Browser> {
  // Playwright gives each launch a fresh temporary profile (its own --user-data-dir) and removes it on close.
  return await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

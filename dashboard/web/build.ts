/**
 * Builds the static web dashboard: index.html, style.css and one bundled app.js (Deno's bundler, pinned with the
 * Deno version; the npm packages are pinned in deno.json), plus config.json with the project URL and publishable key
 * when given. The output can go to any static host. A secret or service role key is refused before anything is written.
 */

import { fileURLToPath } from "node:url";
import { checkProjectUrl, checkPublishableKey } from "../shared/explain.ts";
import { REPO_ROOT } from "../../dev/stack/commands.ts";

export const WEB_SOURCE_DIR = fileURLToPath(new URL("./src", import.meta.url));
export const DEFAULT_WEB_OUT_DIR = `${REPO_ROOT}/.local/dashboard-web`;
const STATIC_FILES = ["index.html", "style.css"];

export interface WebConfig {
  supabaseUrl: string;
  publishableKey: string;
  refreshSeconds?: number;
}

export class BuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BuildError";
  }
}

/** Validates and normalises a config; throws ConfigError naming what is wrong. */
export function webConfig(config: WebConfig): WebConfig {
  checkPublishableKey(config.publishableKey);
  return { ...config, supabaseUrl: checkProjectUrl(config.supabaseUrl), publishableKey: config.publishableKey.trim() };
}

export async function buildDashboard(outDir: string, config?: WebConfig): Promise<void> {
  const checked = config ? webConfig(config) : undefined;
  await Deno.mkdir(outDir, { recursive: true });
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--config",
      `${REPO_ROOT}/deno.json`,
      "--platform",
      "browser",
      "--minify",
      "--output",
      `${outDir}/app.js`,
      `${WEB_SOURCE_DIR}/main.ts`,
    ],
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new BuildError(`deno bundle failed (exit ${output.code}): ${new TextDecoder().decode(output.stderr)}`);
  }
  for (const name of STATIC_FILES) await Deno.copyFile(`${WEB_SOURCE_DIR}/${name}`, `${outDir}/${name}`);
  if (checked) await Deno.writeTextFile(`${outDir}/config.json`, JSON.stringify(checked, null, 2) + "\n");
}

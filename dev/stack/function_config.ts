/**
 * The pieces of `supabase/config.toml` the stack needs, per `[functions.<name>]` table: `verify_jwt` (the gateway) and
 * `entrypoint` (which file the function process runs: the shipped bundle, as `supabase functions deploy` would
 * deploy it), `import_map`. A tiny line parser is enough for `key = true|false|"string"` lines; anything else is
 * ignored.
 */
import { dirname, resolve } from "node:path";

/** Supabase's default when a function does not state verify_jwt. */
export const DEFAULT_VERIFY_JWT = true;

export class FunctionConfigError extends Error {
  constructor(readonly path: string, readonly line: number, detail: string) {
    super(`${path}:${line}: ${detail}`);
    this.name = "FunctionConfigError";
  }
}

export interface FunctionSettings {
  verifyJwt?: boolean;
  /** As written: relative to the folder of config.toml (the Supabase CLI's rule). */
  entrypoint?: string;
  /** As written, like entrypoint; the stack does not use it (deno.json applies locally), the deploy checks read it. */
  importMap?: string;
}

const TABLE_HEADER = /^\[\s*functions\s*\.\s*(?:"([^"]+)"|([A-Za-z0-9_-]+))\s*\]$/;
const SETTING = /^(verify_jwt|entrypoint|import_map)\s*=\s*(.+)$/;
const QUOTED = /^"([^"\\]*)"$/;

/** Maps function name → the settings its `[functions.<name>]` table states. */
export function parseFunctionConfig(toml: string, path = "config.toml"): Map<string, FunctionSettings> {
  const settings = new Map<string, FunctionSettings>();
  let current: string | undefined;
  toml.split("\n").forEach((raw, index) => {
    const line = raw.replace(/\s+#.*$/, "").replace(/^#.*$/, "").trim();
    if (line === "") return;
    if (line.startsWith("[")) {
      const match = TABLE_HEADER.exec(line);
      current = match ? match[1] ?? match[2] : undefined;
      return;
    }
    if (current === undefined) return;
    const setting = SETTING.exec(line);
    if (!setting) return;
    const entry = settings.get(current) ?? {};
    const [, key, value] = setting;
    if (key === "verify_jwt") {
      if (value !== "true" && value !== "false") {
        throw new FunctionConfigError(path, index + 1, `functions.${current}.verify_jwt must be true or false`);
      }
      entry.verifyJwt = value === "true";
    } else {
      const quoted = QUOTED.exec(value);
      if (!quoted || quoted[1] === "") {
        throw new FunctionConfigError(path, index + 1, `functions.${current}.${key} must be a quoted path`);
      }
      if (key === "entrypoint") entry.entrypoint = quoted[1];
      else entry.importMap = quoted[1];
    }
    settings.set(current, entry);
  });
  return settings;
}

/** Maps function name → verify_jwt for every `[functions.<name>]` table that states it. */
export function parseVerifyJwt(toml: string, path = "config.toml"): Map<string, boolean> {
  const verify = new Map<string, boolean>();
  for (const [name, entry] of parseFunctionConfig(toml, path)) {
    if (entry.verifyJwt !== undefined) verify.set(name, entry.verifyJwt);
  }
  return verify;
}

export async function readFunctionConfig(path: string): Promise<Map<string, FunctionSettings>> {
  try {
    return parseFunctionConfig(await Deno.readTextFile(path), path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return new Map();
    throw error;
  }
}

/** Reads the config file; a missing file means every function uses the default. */
export async function loadVerifyJwt(path: string): Promise<(name: string) => boolean> {
  const settings = await readFunctionConfig(path);
  return (name) => settings.get(name)?.verifyJwt ?? DEFAULT_VERIFY_JWT;
}

/**
 * Which file runs function `name` out of `functionsDir`: its config entrypoint (resolved against the config's folder)
 * when that lies inside `functionsDir`, else `<functionsDir>/<name>/index.ts` (the CLI's default). The inside rule
 * keeps a stack over another functions folder (test fixtures) from running the repository's bundles.
 */
export async function loadEntrypoints(configPath: string, functionsDir: string): Promise<(name: string) => string> {
  const settings = await readFunctionConfig(configPath);
  const base = dirname(resolve(configPath));
  const root = resolve(functionsDir);
  return (name) => {
    const stated = settings.get(name)?.entrypoint;
    const path = stated === undefined ? undefined : resolve(base, stated);
    return path !== undefined && path.startsWith(`${root}/`) ? path : `${root}/${name}/index.ts`;
  };
}

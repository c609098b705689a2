/**
 * The one piece of `supabase/config.toml` the gateway needs: `verify_jwt` per function. A tiny line parser is enough
 * for `[functions.<name>]` tables with `verify_jwt = true|false`; anything else in the file is ignored.
 */

/** Supabase's default when a function does not state verify_jwt. */
export const DEFAULT_VERIFY_JWT = true;

export class FunctionConfigError extends Error {
  constructor(readonly path: string, readonly line: number, detail: string) {
    super(`${path}:${line}: ${detail}`);
    this.name = "FunctionConfigError";
  }
}

const TABLE_HEADER = /^\[\s*functions\s*\.\s*(?:"([^"]+)"|([A-Za-z0-9_-]+))\s*\]$/;
const VERIFY_JWT = /^verify_jwt\s*=\s*(\S+)$/;

/** Maps function name → verify_jwt for every `[functions.<name>]` table that states it. */
export function parseVerifyJwt(toml: string, path = "config.toml"): Map<string, boolean> {
  const settings = new Map<string, boolean>();
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
    const setting = VERIFY_JWT.exec(line);
    if (!setting) return;
    if (setting[1] !== "true" && setting[1] !== "false") {
      throw new FunctionConfigError(path, index + 1, `functions.${current}.verify_jwt must be true or false`);
    }
    settings.set(current, setting[1] === "true");
  });
  return settings;
}

/** Reads the config file; a missing file means every function uses the default. */
export async function loadVerifyJwt(path: string): Promise<(name: string) => boolean> {
  let settings = new Map<string, boolean>();
  try {
    settings = parseVerifyJwt(await Deno.readTextFile(path), path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return (name) => settings.get(name) ?? DEFAULT_VERIFY_JWT;
}

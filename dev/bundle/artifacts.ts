/**
 * The committed artifacts (`supabase/functions/<name>/dist/`): writing them, and comparing them byte for byte with a
 * fresh build, plus the config.toml lines that make `supabase functions deploy` pick them up.
 */
import { REPO_ROOT } from "../stack/commands.ts";
import { readFunctionConfig } from "../stack/function_config.ts";
import { artifactPath, type BuiltFunction, IMPORT_MAP_SOURCE, importMapPath, SHIPPED_FUNCTIONS } from "./build.ts";

const encoder = new TextEncoder();

/** Every file of a function's artifact: repository-relative path → bytes. */
export function artifactFiles(built: BuiltFunction): Map<string, Uint8Array> {
  return new Map([
    [artifactPath(built.name), built.code],
    [importMapPath(built.name), encoder.encode(IMPORT_MAP_SOURCE)],
  ]);
}

export async function writeArtifacts(built: readonly BuiltFunction[], root = REPO_ROOT): Promise<string[]> {
  const written: string[] = [];
  for (const one of built) {
    for (const [path, bytes] of artifactFiles(one)) {
      await Deno.mkdir(`${root}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
      await Deno.writeFile(`${root}/${path}`, bytes);
      written.push(path);
    }
  }
  return written;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

/** One line per committed file that is missing or differs from `built`; empty when everything matches. */
export async function staleArtifacts(built: readonly BuiltFunction[], root = REPO_ROOT): Promise<string[]> {
  const problems: string[] = [];
  for (const one of built) {
    for (const [path, fresh] of artifactFiles(one)) {
      let committed: Uint8Array;
      try {
        committed = await Deno.readFile(`${root}/${path}`);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
        problems.push(`${path}: missing`);
        continue;
      }
      if (!sameBytes(committed, fresh)) {
        problems.push(
          `${path}: differs from a fresh build (${committed.length} bytes committed, ${fresh.length} built)`,
        );
      }
    }
  }
  return problems;
}

/** One line per shipped function whose config.toml entrypoint or import_map does not point at its artifact. */
export async function configProblems(root = REPO_ROOT): Promise<string[]> {
  const configPath = `${root}/supabase/config.toml`;
  const config = await readFunctionConfig(configPath);
  const problems: string[] = [];
  for (const name of SHIPPED_FUNCTIONS) {
    const settings = config.get(name);
    // config.toml paths are relative to supabase/; artifact paths to the repository.
    const expected = { entrypoint: artifactPath(name), importMap: importMapPath(name) };
    for (const key of ["entrypoint", "importMap"] as const) {
      const stated = settings?.[key];
      const want = `./${expected[key].replace(/^supabase\//, "")}`;
      if (stated !== want) {
        const toml = key === "importMap" ? "import_map" : key;
        problems.push(`supabase/config.toml: functions.${name}.${toml} is ${stated ?? "unset"}, expected "${want}"`);
      }
    }
  }
  return problems;
}

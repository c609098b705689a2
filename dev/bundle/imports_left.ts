/**
 * The import specifiers a built file still has, read by esbuild's parser (every import external, nothing bundled),
 * so strings that merely look like imports do not count and real ones are not missed.
 */
import { loadEsbuild } from "./esbuild.ts";

export interface ImportLeft {
  path: string;
  kind: string;
}

/** Non-relative specifiers (`npm:`, bare names, `node:`, URLs) imported by the file at `absolutePath`. */
export async function importsLeft(absolutePath: string): Promise<ImportLeft[]> {
  const result = await loadEsbuild().build({
    entryPoints: [absolutePath],
    bundle: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "neutral",
    external: ["*"],
    logLevel: "silent",
    outfile: "imports_left.js",
  });
  const output = Object.values(result.metafile?.outputs ?? {})[0];
  const seen = new Map<string, ImportLeft>();
  for (const entry of output?.imports ?? []) {
    if (entry.path.startsWith(".") || entry.path.startsWith("/")) continue;
    seen.set(`${entry.kind} ${entry.path}`, { path: entry.path, kind: entry.kind });
  }
  return [...seen.values()];
}

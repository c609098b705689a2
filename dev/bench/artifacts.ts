/**
 * Deploy-size figures for the report: each function's shipped bundle (size, eszip, imports left, from the preflight)
 * next to the module graph of its sources as `deno info` counts it (what deploying the sources would resolve).
 */
import { REPO_ROOT } from "../stack/commands.ts";
import { preflight } from "../bundle/preflight.ts";

export interface ArtifactFigures {
  name: string;
  /** Repository-relative path of the bundle. */
  path: string;
  bytes: number;
  eszipBytes: number | null;
  importsLeft: string[];
  /** `deno info ./supabase/functions/<name>/index.ts` total size (npm packages included), in bytes. */
  sourceGraphBytes: number | null;
}

export interface ArtifactResults {
  functions: ArtifactFigures[];
  eszipUnavailable?: string;
}

const UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

/** The `size:` line of `deno info` (binary units, as Deno prints them), or null. */
export function parseDenoInfoSize(text: string): number | null {
  const match = /^size:\s*([\d.]+)\s*(B|KB|MB|GB)\s*$/m.exec(text);
  return match ? Number(match[1]) * UNITS[match[2]] : null;
}

async function sourceGraphBytes(name: string): Promise<number | null> {
  // The leading "./" matters: without it `deno info` reads "supabase/…" as the npm package `supabase` (the CLI).
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", `./supabase/functions/${name}/index.ts`],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return output.success ? parseDenoInfoSize(new TextDecoder().decode(output.stdout)) : null;
}

export async function measureArtifacts(): Promise<ArtifactResults> {
  const result = await preflight();
  const functions: ArtifactFigures[] = [];
  for (const row of result.rows) {
    functions.push({
      name: row.name,
      path: row.path,
      bytes: row.bytes,
      eszipBytes: row.eszipBytes ?? null,
      importsLeft: row.importsLeft.map((left) => left.path),
      sourceGraphBytes: await sourceGraphBytes(row.name),
    });
  }
  return { functions, eszipUnavailable: result.eszipUnavailable };
}

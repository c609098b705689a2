/**
 * Before a deploy, offline: per shipped function, the committed artifact's size, the import specifiers it still has,
 * its eszip size (what the deploy uploads), and how those compare with the documented limits.
 */
import { REPO_ROOT } from "../stack/commands.ts";
import { artifactPath, SHIPPED_FUNCTIONS } from "./build.ts";
import { eszipSizes } from "./eszip.ts";
import { type ImportLeft, importsLeft } from "./imports_left.ts";
import { loadEsbuild } from "./esbuild.ts";

/** Decimal megabytes: a file under these is under the limit whichever megabyte the docs mean. */
export const MB = 1_000_000;
/** The project's own target per function. */
export const TARGET_BYTES = 2 * MB;
/** Documented limit when Supabase bundles server-side (`supabase functions deploy --use-api`). */
export const SERVER_BUNDLE_LIMIT_BYTES = 5 * MB;
/** Documented limit of a function bundled by the CLI. */
export const CLI_BUNDLE_LIMIT_BYTES = 20 * MB;

export interface PreflightRow {
  name: string;
  path: string;
  bytes: number;
  eszipBytes: number | undefined;
  importsLeft: ImportLeft[];
}

export interface Preflight {
  rows: PreflightRow[];
  /** Why there is no eszip size, when there is none. */
  eszipUnavailable?: string;
}

export async function preflight(root = REPO_ROOT): Promise<Preflight> {
  const paths = SHIPPED_FUNCTIONS.map((name) => `${root}/${artifactPath(name)}`);
  const eszip = await eszipSizes(paths);
  const rows: PreflightRow[] = [];
  try {
    for (const [index, name] of SHIPPED_FUNCTIONS.entries()) {
      const path = paths[index];
      const bytes = (await Deno.stat(path)).size;
      rows.push({
        name,
        path: artifactPath(name),
        bytes,
        eszipBytes: eszip.ok ? eszip.bytes.get(path) : undefined,
        importsLeft: await importsLeft(path),
      });
    }
  } finally {
    loadEsbuild().stop();
  }
  return { rows, eszipUnavailable: eszip.ok ? undefined : eszip.reason };
}

/** A deploy-blocking problem: over the server-side limit, or an import the Edge runtime would have to fetch. */
export function blockers(row: PreflightRow): string[] {
  const problems: string[] = [];
  const largest = Math.max(row.bytes, row.eszipBytes ?? 0);
  if (largest > SERVER_BUNDLE_LIMIT_BYTES) problems.push(`${row.name}: ${mb(largest)} is over the 5 MB limit`);
  for (const left of row.importsLeft) {
    if (!left.path.startsWith("node:")) problems.push(`${row.name}: imports ${left.path} (${left.kind})`);
  }
  return problems;
}

export function mb(bytes: number): string {
  return `${(bytes / MB).toFixed(2)} MB`;
}

export function renderPreflight(result: Preflight): string {
  const lines = [
    "function        artifact   eszip      imports left   ≤ 2 MB target  ≤ 5 MB (--use-api)  ≤ 20 MB (CLI)",
  ];
  for (const row of result.rows) {
    const largest = Math.max(row.bytes, row.eszipBytes ?? 0);
    const yes = (limit: number) => (largest <= limit ? "yes" : "NO");
    const imports = row.importsLeft.length === 0 ? "none" : row.importsLeft.map((left) => left.path).join(", ");
    lines.push(
      [
        row.name.padEnd(15),
        mb(row.bytes).padEnd(10),
        (row.eszipBytes === undefined ? "n/a" : mb(row.eszipBytes)).padEnd(10),
        imports.padEnd(14),
        yes(TARGET_BYTES).padEnd(14),
        yes(SERVER_BUNDLE_LIMIT_BYTES).padEnd(19),
        yes(CLI_BUNDLE_LIMIT_BYTES),
      ].join(" "),
    );
  }
  if (result.eszipUnavailable) lines.push(`eszip size not measured: ${result.eszipUnavailable}`);
  return lines.join("\n");
}

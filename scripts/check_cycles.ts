/**
 * `deno task check:cycles`: fails (exit 1) when the project's own import graph has a cycle, and names it. The graph
 * comes from `deno info --json` over every source file of the checked folders (each file is a root, so nothing
 * unreachable from an entry point hides); type-only imports count, since a cycle of types is still a knot a reader
 * has to untie. Imports of npm packages and remote modules are not followed.
 */

import { relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** The checked folders, relative to the repository root. */
export const SOURCE_FOLDERS = ["supabase/functions", "dashboard", "dev", "scripts", "tests"] as const;
const SKIPPED_FOLDERS = new Set(["node_modules", ".local", ".temp"]);
const SOURCE_FILE = /\.(ts|tsx|mts|js|mjs)$/;

/** A module graph: each module's name to the names of the modules it imports. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/**
 * The first import cycle found, as the modules along it with the first one repeated at the end
 * (`[a, b, a]`), or undefined when the graph has none. A self-import is the cycle `[a, a]`. Modules are visited in
 * sorted order, so the answer is the same on every run.
 */
export function findCycle(graph: ImportGraph): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  for (const start of [...graph.keys()].sort()) {
    if (state.has(start)) continue;
    // Iterative depth-first search: `path` is the chain of open modules, `next` the index of each one's next import.
    const path: string[] = [start];
    const next: number[] = [0];
    state.set(start, "open");
    while (path.length > 0) {
      const top = path.length - 1;
      const imports = [...(graph.get(path[top]) ?? [])].sort();
      if (next[top] >= imports.length) {
        state.set(path[top], "done");
        path.pop();
        next.pop();
        continue;
      }
      const target = imports[next[top]++];
      const seen = state.get(target);
      if (seen === "open") return [...path.slice(path.indexOf(target)), target];
      if (seen === undefined) {
        state.set(target, "open");
        path.push(target);
        next.push(0);
      }
    }
  }
  return undefined;
}

interface DenoInfoModule {
  specifier: string;
  local?: string;
  dependencies?: { code?: { specifier?: string }; type?: { specifier?: string } }[];
}

/** The project's own import graph from `deno info --json` output, module names relative to `root`. */
export function graphFromDenoInfo(modules: readonly DenoInfoModule[], root: string, skip: string): ImportGraph {
  const ownName = (specifier: string | undefined): string | undefined => {
    if (!specifier?.startsWith("file://")) return undefined;
    const path = decodeURIComponent(new URL(specifier).pathname);
    if (path === skip) return undefined;
    const name = relative(root, path);
    return name.startsWith("..") || name.split("/").some((part) => SKIPPED_FOLDERS.has(part)) ? undefined : name;
  };
  const graph = new Map<string, string[]>();
  for (const module of modules) {
    const name = ownName(module.specifier);
    if (name === undefined) continue;
    const imports = new Set<string>();
    for (const dependency of module.dependencies ?? []) {
      for (const target of [ownName(dependency.code?.specifier), ownName(dependency.type?.specifier)]) {
        if (target !== undefined) imports.add(target);
      }
    }
    graph.set(name, [...imports]);
  }
  return graph;
}

async function sourceFiles(folder: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(folder)) {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory && !SKIPPED_FOLDERS.has(entry.name)) files.push(...await sourceFiles(path));
    else if (entry.isFile && SOURCE_FILE.test(entry.name)) files.push(path);
  }
  return files;
}

async function main(): Promise<number> {
  const root = resolve(new URL("..", import.meta.url).pathname);
  const files: string[] = [];
  for (const folder of SOURCE_FOLDERS) files.push(...await sourceFiles(resolve(root, folder)));
  // One synthetic root that imports every file: one `deno info` call sees the whole graph.
  const dir = await Deno.makeTempDir({ prefix: "check-cycles-" });
  const entry = `${dir}/all.ts`;
  try {
    await Deno.writeTextFile(entry, files.sort().map((f) => `import "${pathToFileURL(f).href}";\n`).join(""));
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", resolve(root, "deno.json"), entry],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!output.success) {
      console.error(`deno info failed:\n${new TextDecoder().decode(output.stderr)}`);
      return 2;
    }
    const info = JSON.parse(new TextDecoder().decode(output.stdout)) as { modules: DenoInfoModule[] };
    const graph = graphFromDenoInfo(info.modules, root, entry);
    const cycle = findCycle(graph);
    if (cycle) {
      console.error(`import cycle: ${cycle.join(" -> ")}`);
      return 1;
    }
    console.log(`no import cycle among ${graph.size} modules (${SOURCE_FOLDERS.join(", ")})`);
    return 0;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) Deno.exit(await main());

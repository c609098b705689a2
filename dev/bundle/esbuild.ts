/**
 * The pinned bundler: esbuild from the repository's node_modules (package.json pins the version), loaded through
 * Node's require so Deno runs the same binary `npm ci` installed, offline.
 */
import { createRequire } from "node:module";
import { REPO_ROOT } from "../stack/commands.ts";

/** The subset of esbuild's API the build uses (its own typings live in node_modules, outside Deno's graph). */
export interface Esbuild {
  version: string;
  build(options: Record<string, unknown>): Promise<BuildResult>;
  stop(): void;
}

export interface BuildResult {
  outputFiles?: { path: string; contents: Uint8Array }[];
  metafile?: Metafile;
  warnings: { text: string }[];
}

export interface Metafile {
  inputs: Record<string, { bytes: number }>;
  outputs: Record<string, {
    bytes: number;
    inputs: Record<string, { bytesInOutput: number }>;
    imports: { path: string; kind: string; external?: boolean }[];
  }>;
}

export interface OnResolveArgs {
  path: string;
  importer: string;
  kind: string;
  resolveDir: string;
}

export interface PluginBuild {
  onResolve(
    options: { filter: RegExp; namespace?: string },
    callback: (args: OnResolveArgs) => { path: string; namespace?: string; external?: boolean } | undefined,
  ): void;
  onLoad(
    options: { filter: RegExp; namespace?: string },
    callback: (args: { path: string; namespace: string }) => { contents: string; loader: string; resolveDir?: string },
  ): void;
}

export interface Plugin {
  name: string;
  setup(build: PluginBuild): void;
}

export class BundlerMissingError extends Error {
  override name = "BundlerMissingError";
  constructor(cause: unknown) {
    super("esbuild is not installed in node_modules: run `npm ci`", { cause });
  }
}

let loaded: Esbuild | undefined;

/** esbuild's native binary as npm installed it (`@esbuild/<os>-<cpu>`), if it is there. */
function installedBinary(): string | undefined {
  const cpu = ({ x86_64: "x64", aarch64: "arm64" } as Record<string, string>)[Deno.build.arch];
  const path = `${REPO_ROOT}/node_modules/@esbuild/${Deno.build.os}-${cpu}/bin/esbuild`;
  try {
    return Deno.statSync(path).isFile ? path : undefined;
  } catch {
    return undefined;
  }
}

export function loadEsbuild(): Esbuild {
  if (!loaded) {
    // By path, not `require("esbuild")`: a bare name would resolve through Deno's npm cache (package.json lists
    // esbuild), which a fresh clone only fills from the network. The binary likewise comes from node_modules.
    const binary = installedBinary();
    if (binary && !Deno.env.get("ESBUILD_BINARY_PATH")) Deno.env.set("ESBUILD_BINARY_PATH", binary);
    const require = createRequire(`${REPO_ROOT}/package.json`);
    try {
      loaded = require(`${REPO_ROOT}/node_modules/esbuild/lib/main.js`) as Esbuild;
    } catch (error) {
      throw new BundlerMissingError(error);
    }
  }
  return loaded;
}

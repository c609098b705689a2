/**
 * Edge functions run locally: one `deno run` child process per function folder, each listening on its own loopback
 * port through DENO_SERVE_ADDRESS (which `Deno.serve` reads), stdout and stderr captured in a per-function log file.
 */

import { REPO_ROOT } from "./commands.ts";
import { acceptsConnections, freePort, LOOPBACK, waitUntil } from "./net.ts";
import { type ServiceProcess, spawnService } from "./service_process.ts";

/** Function folders: those with an index.ts whose name does not start with `_` (`_shared`) or `.`. */
export async function discoverFunctions(functionsDir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(functionsDir)) {
    if (!entry.isDirectory || entry.name.startsWith("_") || entry.name.startsWith(".")) continue;
    try {
      if ((await Deno.stat(`${functionsDir}/${entry.name}/index.ts`)).isFile) names.push(entry.name);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return names.sort();
}

export class UnknownFunctionError extends Error {
  constructor(readonly functionName: string) {
    super(`no local function named "${functionName}"`);
    this.name = "UnknownFunctionError";
  }
}

export interface FunctionRunnerOptions {
  functionsDir: string;
  names: string[];
  /** Folder for the `<name>.log` files. */
  logDir: string;
  /** Also receives everything a function prints, with its name. */
  onOutput?: (name: string, chunk: Uint8Array) => void;
  /** The file each function runs (stack.ts: config.toml's entrypoint). Default `<functionsDir>/<name>/index.ts`. */
  entry?: (name: string) => string;
  /** Upper bound for one function to accept connections. Default 60 s (the first run may compile npm packages). */
  readyTimeoutMs?: number;
}

/** Ports are chosen up front so the gateway can route to functions before they run. */
export class FunctionRunner {
  readonly names: readonly string[];
  readonly #options: FunctionRunnerOptions;
  readonly #ports = new Map<string, number>();
  readonly #processes = new Map<string, ServiceProcess>();
  #env: Record<string, string> = {};

  constructor(options: FunctionRunnerOptions) {
    this.#options = options;
    this.names = [...options.names];
    for (const name of this.names) this.#ports.set(name, freePort());
  }

  /** Where the gateway sends `/functions/v1/<name>`; undefined for unknown names. */
  target(name: string): URL | undefined {
    const port = this.#ports.get(name);
    return port === undefined ? undefined : new URL(`http://${LOOPBACK}:${port}`);
  }

  logPath(name: string): string {
    this.#port(name);
    return `${this.#options.logDir}/${name}.log`;
  }

  /** Pids of the function processes that are still running. */
  pids(): number[] {
    return [...this.#processes.values()].filter((p) => p.exitCode === undefined).map((p) => p.pid);
  }

  /** Starts every function with `env` (plus its DENO_SERVE_ADDRESS) and waits until each accepts connections. */
  async startAll(env: Record<string, string>): Promise<void> {
    this.#env = { ...env };
    await Promise.all(this.names.map((name) => this.#start(name)));
  }

  /** SIGKILL, as a crash would: the gateway then answers 502 for this function. */
  async kill(name: string): Promise<void> {
    this.#port(name);
    await this.#processes.get(name)?.stop("SIGKILL");
  }

  /** Stops the function if it still runs, then starts it again on the same port. */
  async restart(name: string): Promise<void> {
    this.#port(name);
    await this.#processes.get(name)?.stop();
    await this.#start(name);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#processes.values()].map((p) => p.stop()));
  }

  #port(name: string): number {
    const port = this.#ports.get(name);
    if (port === undefined) throw new UnknownFunctionError(name);
    return port;
  }

  async #start(name: string): Promise<void> {
    const port = this.#port(name);
    const logPath = this.logPath(name);
    const entry = this.#options.entry?.(name) ?? `${this.#options.functionsDir}/${name}/index.ts`;
    const process = await spawnService(Deno.execPath(), {
      args: ["run", "-A", "--no-prompt", entry],
      env: { ...this.#env, DENO_SERVE_ADDRESS: `tcp:${LOOPBACK}:${port}`, DENO_NO_UPDATE_CHECK: "1" },
      cwd: REPO_ROOT,
      logPath,
      onOutput: this.#options.onOutput && ((chunk) => this.#options.onOutput!(name, chunk)),
    });
    this.#processes.set(name, process);
    try {
      await waitUntil(() => acceptsConnections(port), {
        service: `function ${name}`,
        timeoutMs: this.#options.readyTimeoutMs ?? 60_000,
        abortReason: () => process.exitCode === undefined ? undefined : `exited with code ${process.exitCode}`,
      });
    } catch (error) {
      await process.stop();
      const log = await Deno.readTextFile(logPath).catch(() => "");
      throw new Error(`${error instanceof Error ? error.message : error}; log ${logPath}:\n${log.slice(-2000)}`, {
        cause: error,
      });
    }
  }
}

/**
 * Edge functions run locally: one `deno run` child process per function folder, each listening on its own loopback
 * port through DENO_SERVE_ADDRESS (which `Deno.serve` reads), stdout and stderr captured in a per-function log file.
 */

import { REPO_ROOT } from "./commands.ts";
import { acceptsConnections, freePort, LOOPBACK, PortTakenError, retryOnPortTaken, waitUntil } from "./net.ts";
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
  /**
   * Issue 18's model of Edge regions: one process per function per region, each with SB_REGION set (what hosted
   * Supabase sets) and `regionEnv(region)` on top of the shared env. Omitted: one process per function, no SB_REGION.
   */
  regions?: readonly string[];
}

/** `name` without regions, `name@region` with. */
export function instanceKey(name: string, region: string | null): string {
  return region === null ? name : `${name}@${region}`;
}

/** Ports are chosen up front so the gateway can route to functions before they run. */
export class FunctionRunner {
  readonly names: readonly string[];
  /** The modelled regions; empty without the region model. */
  readonly regions: readonly string[];
  readonly #options: FunctionRunnerOptions;
  readonly #ports = new Map<string, number>();
  readonly #processes = new Map<string, ServiceProcess>();
  #env: Record<string, string> = {};
  #regionEnv: (region: string) => Record<string, string> = () => ({});

  constructor(options: FunctionRunnerOptions) {
    this.#options = options;
    this.names = [...options.names];
    this.regions = [...(options.regions ?? [])];
    for (const key of this.#keys()) this.#ports.set(key, freePort());
  }

  #keys(name?: string): string[] {
    const names = name === undefined ? this.names : [name];
    return names.flatMap((n) => this.regions.length === 0 ? [n] : this.regions.map((r) => instanceKey(n, r)));
  }

  /** Where the gateway sends `/functions/v1/<name>` (in `region`, with the region model); undefined if unknown. */
  target(name: string, region: string | null = null): URL | undefined {
    const port = this.#ports.get(instanceKey(name, this.regions.length === 0 ? null : region));
    return port === undefined ? undefined : new URL(`http://${LOOPBACK}:${port}`);
  }

  /** The log of one function (in one region with the region model: default the first region). */
  logPath(name: string, region: string | null = this.regions[0] ?? null): string {
    const key = instanceKey(name, this.regions.length === 0 ? null : region);
    this.#port(key);
    return `${this.#options.logDir}/${key}.log`;
  }

  /** Pids of the function processes that are still running. */
  pids(): number[] {
    return [...this.#processes.values()].filter((p) => p.exitCode === undefined).map((p) => p.pid);
  }

  /**
   * Starts every function with `env` (plus its DENO_SERVE_ADDRESS; with regions also SB_REGION and
   * `regionEnv(region)`) and waits until each accepts connections.
   */
  async startAll(
    env: Record<string, string>,
    regionEnv: (region: string) => Record<string, string> = () => ({}),
  ): Promise<void> {
    this.#env = { ...env };
    this.#regionEnv = regionEnv;
    await Promise.all(this.#keys().map((key) => this.#start(key)));
  }

  /** SIGKILL, as a crash would (in every region): the gateway then answers 502 for this function. */
  async kill(name: string): Promise<void> {
    if (!this.names.includes(name)) throw new UnknownFunctionError(name);
    await Promise.all(this.#keys(name).map((key) => this.#processes.get(key)?.stop("SIGKILL")));
  }

  /** Stops the function if it still runs, then starts it again on the same port (in every region). */
  async restart(name: string): Promise<void> {
    if (!this.names.includes(name)) throw new UnknownFunctionError(name);
    await Promise.all(
      this.#keys(name).map(async (key) => {
        await this.#processes.get(key)?.stop();
        await this.#start(key);
      }),
    );
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#processes.values()].map((p) => p.stop()));
  }

  #port(key: string): number {
    const port = this.#ports.get(key);
    if (port === undefined) throw new UnknownFunctionError(key);
    return port;
  }

  /**
   * Starts one function and waits until it listens on its port. A free port is only free when it is picked: another
   * stack on the machine (parallel test files) may bind it first, and then the port accepts connections for that
   * stack's function while ours exits with AddrInUse. So ready means our own process said it listens there, and a
   * port taken meanwhile is replaced (a few times) rather than shared.
   */
  async #start(key: string): Promise<void> {
    // The first attempt uses the port picked at construction (the stack's URLs name it); later ones fresh ports.
    await retryOnPortTaken((attempt) => {
      if (attempt > 1) this.#ports.set(key, freePort());
      return this.#startOnce(key);
    });
  }

  async #startOnce(key: string): Promise<void> {
    const port = this.#port(key);
    const [name, region] = key.split("@") as [string, string | undefined];
    const logPath = `${this.#options.logDir}/${key}.log`;
    const entry = this.#options.entry?.(name) ?? `${this.#options.functionsDir}/${name}/index.ts`;
    const regional = region === undefined ? {} : { ...this.#regionEnv(region), SB_REGION: region };
    const process = await spawnService(Deno.execPath(), {
      args: ["run", "-A", "--no-prompt", entry],
      env: { ...this.#env, ...regional, DENO_SERVE_ADDRESS: `tcp:${LOOPBACK}:${port}`, DENO_NO_UPDATE_CHECK: "1" },
      cwd: REPO_ROOT,
      logPath,
      onOutput: this.#options.onOutput && ((chunk) => this.#options.onOutput!(key, chunk)),
    });
    this.#processes.set(key, process);
    const readLog = () => Deno.readTextFile(logPath).catch(() => "");
    // Deno.serve's own line, printed once our process has bound the port.
    const listening = `Listening on http://${LOOPBACK}:${port}/`;
    try {
      await waitUntil(async () => (await readLog()).includes(listening) && await acceptsConnections(port), {
        service: `function ${key}`,
        timeoutMs: this.#options.readyTimeoutMs ?? 60_000,
        abortReason: () => process.exitCode === undefined ? undefined : `exited with code ${process.exitCode}`,
      });
    } catch (error) {
      await process.stop();
      const log = await readLog();
      if (/AddrInUse/.test(log)) throw new PortTakenError(`function ${key}: port ${port} was taken`);
      throw new Error(`${error instanceof Error ? error.message : error}; log ${logPath}:\n${log.slice(-2000)}`, {
        cause: error,
      });
    }
  }
}

/**
 * A function (or a baseline script) as its own `deno run` process, started the way dev/stack/functions.ts starts them
 * (`deno run -A --no-prompt <entry>`, repository as working folder, DENO_SERVE_ADDRESS on a free loopback port), but
 * owned by the bench so it knows the pid (for /proc) and the moment of the spawn.
 */
import { relative } from "node:path";
import { REPO_ROOT } from "../stack/commands.ts";
import { loadEntrypoints } from "../stack/function_config.ts";
import { freePort, LOOPBACK } from "../stack/net.ts";
import { type ServiceProcess, spawnService } from "../stack/service_process.ts";

export class FunctionStartError extends Error {
  override name = "FunctionStartError";
  constructor(readonly entry: string, detail: string) {
    super(`${entry}: ${detail}`);
  }
}

export interface BenchProcess {
  readonly pid: number;
  readonly url: string;
  /** performance.now() just before the spawn. */
  readonly spawnedAt: number;
  /** performance.now() when the port first accepted a connection: the module graph ran and Deno.serve listens. */
  readonly listeningAt: number;
  readonly logPath: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  entry: string;
  env: Record<string, string>;
  logDir: string;
  /** Upper bound for the port to open. Default 60 s (a fresh clone compiles npm packages on the first start). */
  timeoutMs?: number;
  /** Pause between connection attempts; it bounds the resolution of `listeningAt`. Default 2 ms. */
  pollMs?: number;
  /** Flags for `deno run` before the entry (a profiling run's `--inspect`). */
  denoArgs?: string[];
}

async function accepts(port: number): Promise<boolean> {
  try {
    const connection = await Deno.connect({ hostname: LOOPBACK, port });
    connection.close();
    return true;
  } catch {
    return false;
  }
}

/** The file supabase/config.toml deploys for function `name` (its bundle), relative to the repository. */
export async function shippedEntry(name: string): Promise<string> {
  const entry = await loadEntrypoints(`${REPO_ROOT}/supabase/config.toml`, `${REPO_ROOT}/supabase/functions`);
  return relative(REPO_ROOT, entry(name));
}

export async function startFunctionProcess(options: StartOptions): Promise<BenchProcess> {
  const port = freePort();
  const name = options.entry.replace(/\/dist\/index\.js$/, "/bundle").split("/").slice(-2).join("_").replace(
    /\W+/g,
    "_",
  );
  const logPath = `${options.logDir}/${name}-${port}.log`;
  const spawnedAt = performance.now();
  const child: ServiceProcess = await spawnService(Deno.execPath(), {
    args: ["run", "-A", "--no-prompt", ...(options.denoArgs ?? []), options.entry],
    env: { ...options.env, DENO_SERVE_ADDRESS: `tcp:${LOOPBACK}:${port}`, DENO_NO_UPDATE_CHECK: "1" },
    cwd: REPO_ROOT,
    logPath,
  });
  const timeoutMs = options.timeoutMs ?? 60_000;
  const pollMs = options.pollMs ?? 2;
  const maxAttempts = Math.ceil(timeoutMs / pollMs);
  for (let attempt = 0; attempt < maxAttempts && performance.now() - spawnedAt < timeoutMs; attempt++) {
    if (child.exitCode !== undefined) break;
    if (await accepts(port)) {
      return {
        pid: child.pid,
        url: `http://${LOOPBACK}:${port}`,
        spawnedAt,
        listeningAt: performance.now(),
        logPath,
        stop: () => child.stop(),
      };
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  await child.stop();
  const log = await Deno.readTextFile(logPath).catch(() => "");
  const why = child.exitCode !== undefined ? `exited with code ${child.exitCode}` : `no listener after ${timeoutMs} ms`;
  throw new FunctionStartError(options.entry, `${why}; log ${logPath}:\n${log.slice(-2000)}`);
}

export interface TimedAnswer {
  status: number;
  body: unknown;
  /** performance.now() when the whole answer had arrived. */
  answeredAt: number;
  elapsedMs: number;
}

/** POSTs (or GETs, without a body) and reads the whole answer, timing it. */
export async function timedRequest(
  url: string,
  init: { body?: unknown; bearer?: string; timeoutMs?: number } = {},
): Promise<TimedAnswer> {
  const headers: Record<string, string> = {};
  if (init.bearer) headers.authorization = `Bearer ${init.bearer}`;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const started = performance.now();
  const res = await fetch(url, {
    method: init.body === undefined ? "GET" : "POST",
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(init.timeoutMs ?? 180_000),
  });
  const text = await res.text();
  const answeredAt = performance.now();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (a baseline's plain "ok"): keep the text
  }
  return { status: res.status, body, answeredAt, elapsedMs: answeredAt - started };
}

/**
 * Cold start: spawn a function's process, wait for its port, send the first real request, then the same request
 * again (warm), reading /proc for CPU and peak memory along the way. The same for the baselines, whose "request" is
 * a plain GET.
 */
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "../stack/commands.ts";
import { LOOPBACK } from "../stack/net.ts";
import { type BenchProcess, startFunctionProcess, timedRequest } from "./function_process.ts";
import { readCpuMs, readPeakRssMb } from "./proc.ts";

/**
 * Deno keeps a V8 code cache per module, but writes it only when a process exits normally; the bench stops its
 * processes with a signal, so whether a start compiles from scratch would otherwise depend on whether some earlier
 * process (a test, a probe) happened to load the same file and exit cleanly. Each pass fixes the state instead:
 * "off" starts every process with `--no-code-cache`; "filled" first loads each entry in a process that exits normally,
 * so every measured start reads a filled cache.
 */
export type CodeCache = "off" | "filled";

export interface ColdStartTarget {
  /** Row label: the function name or the baseline's. */
  name: string;
  /** Path of the entry module, relative to the repository (the process runs there). */
  entry: string;
  /** Body of the real request; undefined for a GET (baselines). */
  body?: unknown;
  bearer?: string;
  /** Called before every start (e.g. to reset tables) so each run does the same work. */
  before?: () => Promise<void>;
}

export interface ColdStartRun {
  /** spawn → the port accepts connections (the module graph has run: every import is static). */
  listenMs: number;
  /** spawn → the first real request fully answered. */
  firstAnswerMs: number;
  /** The first request alone (lazy construction: env, clients, ccxt instances, markets). */
  firstRequestMs: number;
  /** The same request again, in the same process. */
  warmRequestMs: number;
  /** CPU the process used until it listened. */
  startupCpuMs: number;
  firstRequestCpuMs: number;
  warmRequestCpuMs: number;
  /** VmHWM after both requests. */
  peakRssMb: number;
  status: number;
}

export class ColdStartRequestError extends Error {
  override name = "ColdStartRequestError";
  constructor(readonly target: string, readonly status: number, body: unknown) {
    super(`${target}: the request answered ${status}: ${JSON.stringify(body).slice(0, 500)}`);
  }
}

/** Only the start: spawn → listening, and the CPU until then (the pass with the code cache filled). */
export interface ListenRun {
  listenMs: number;
  startupCpuMs: number;
}

const denoArgsFor = (codeCache: CodeCache) => codeCache === "off" ? ["--no-code-cache"] : [];

const CODE_CACHE_FILLER = "await import(Deno.args[0]);\nDeno.exit(0);\n";

/** Loads `entry` (its whole static graph, so `Deno.serve` runs and listens) in a process that then exits normally. */
export async function fillCodeCache(entry: string, env: Record<string, string>, logDir: string): Promise<void> {
  const filler = `${logDir}/fill_code_cache.js`;
  await Deno.writeTextFile(filler, CODE_CACHE_FILLER);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-prompt", filler, pathToFileURL(isAbsolute(entry) ? entry : `${REPO_ROOT}/${entry}`).href],
    cwd: REPO_ROOT,
    env: { ...env, DENO_SERVE_ADDRESS: `tcp:${LOOPBACK}:0`, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!output.success) {
    const why = new TextDecoder().decode(output.stderr).replace(/\s+/g, " ").trim().slice(-500);
    throw new Error(`filling the code cache of ${entry} failed: ${why}`);
  }
}

async function measureListenOnce(target: ColdStartTarget, env: Record<string, string>, logDir: string) {
  const proc = await startFunctionProcess({ entry: target.entry, env, logDir, denoArgs: denoArgsFor("filled") });
  try {
    const run: ListenRun = { listenMs: proc.listeningAt - proc.spawnedAt, startupCpuMs: await readCpuMs(proc.pid) };
    return run;
  } finally {
    await proc.stop();
  }
}

async function measureOnce(target: ColdStartTarget, env: Record<string, string>, logDir: string) {
  await target.before?.();
  let proc: BenchProcess | undefined;
  try {
    proc = await startFunctionProcess({ entry: target.entry, env, logDir, denoArgs: denoArgsFor("off") });
    const startupCpuMs = await readCpuMs(proc.pid);
    const first = await timedRequest(proc.url, { body: target.body, bearer: target.bearer });
    const afterFirstCpu = await readCpuMs(proc.pid);
    if (first.status >= 300) throw new ColdStartRequestError(target.name, first.status, first.body);
    await target.before?.();
    const beforeWarmCpu = await readCpuMs(proc.pid);
    const warm = await timedRequest(proc.url, { body: target.body, bearer: target.bearer });
    const afterWarmCpu = await readCpuMs(proc.pid);
    if (warm.status >= 300) throw new ColdStartRequestError(target.name, warm.status, warm.body);
    const run: ColdStartRun = {
      listenMs: proc.listeningAt - proc.spawnedAt,
      firstAnswerMs: first.answeredAt - proc.spawnedAt,
      firstRequestMs: first.elapsedMs,
      warmRequestMs: warm.elapsedMs,
      startupCpuMs,
      firstRequestCpuMs: afterFirstCpu - startupCpuMs,
      warmRequestCpuMs: afterWarmCpu - beforeWarmCpu,
      peakRssMb: await readPeakRssMb(proc.pid),
      status: first.status,
    };
    return run;
  } finally {
    await proc?.stop();
  }
}

export interface InterleavedResult<T extends ColdStartTarget, R = ColdStartRun> {
  target: T;
  runs: R[];
  error?: unknown;
}

interface RoundRobinOptions {
  env: Record<string, string>;
  logDir: string;
  runs: number;
  log?: (line: string) => void;
}

/**
 * Round-robin over the targets (one unmeasured start each, then run i of every target before run i + 1 of any), so a
 * change in the machine's load while the bench runs weighs on the baselines and the functions alike and their ratios
 * stay comparable. A target that fails is dropped from the remaining rounds with its error.
 */
async function roundRobin<T extends ColdStartTarget, R>(
  targets: readonly T[],
  options: RoundRobinOptions,
  measure: (target: T) => Promise<R>,
  describeRun: (run: R) => string,
): Promise<InterleavedResult<T, R>[]> {
  const results: InterleavedResult<T, R>[] = targets.map((target) => ({ target, runs: [] }));
  const attempt = async (result: InterleavedResult<T, R>, round: number) => {
    if (result.error !== undefined) return;
    try {
      const run = await measure(result.target);
      if (round < 0) return;
      result.runs.push(run);
      options.log?.(`cold start ${result.target.name} #${round + 1}: ${describeRun(run)}`);
    } catch (error) {
      result.error = error;
      result.runs = [];
    }
  };
  for (const result of results) await attempt(result, -1);
  for (let round = 0; round < options.runs; round++) {
    for (const result of results) await attempt(result, round);
  }
  return results;
}

/** Every target's cold start and first requests, each process compiling from scratch (code cache "off"). */
export function measureColdStartsInterleaved<T extends ColdStartTarget>(
  targets: readonly T[],
  options: RoundRobinOptions,
): Promise<InterleavedResult<T>[]> {
  return roundRobin(
    targets,
    options,
    (target) => measureOnce(target, options.env, options.logDir),
    (run) =>
      `listen ${run.listenMs.toFixed(0)} ms, first answer ${run.firstAnswerMs.toFixed(0)} ms, warm ` +
      `${run.warmRequestMs.toFixed(0)} ms, peak ${run.peakRssMb.toFixed(0)} MB`,
  );
}

/** Every target's start alone, after its code cache was filled (code cache "filled"). */
export async function measureListensWithCodeCache<T extends ColdStartTarget>(
  targets: readonly T[],
  options: RoundRobinOptions,
): Promise<InterleavedResult<T, ListenRun>[]> {
  const filled: T[] = [];
  const failed: InterleavedResult<T, ListenRun>[] = [];
  for (const target of targets) {
    try {
      await fillCodeCache(target.entry, options.env, options.logDir);
      filled.push(target);
    } catch (error) {
      failed.push({ target, runs: [], error });
    }
  }
  const measured = await roundRobin(
    filled,
    options,
    (target) => measureListenOnce(target, options.env, options.logDir),
    (run) => `listen ${run.listenMs.toFixed(0)} ms with the code cache filled`,
  );
  return targets.map((target) =>
    measured.find((result) => result.target === target) ?? failed.find((result) => result.target === target)!
  );
}

export interface AnatomyRun {
  [step: string]: number;
}

/** Runs dev/bench/startup_anatomy.ts `runs` times (after one unmeasured run) and returns each run's step timings. */
export async function measureStartupAnatomy(runs: number, repoRoot: string): Promise<AnatomyRun[]> {
  const once = async () => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-prompt", ...denoArgsFor("off"), "dev/bench/startup_anatomy.ts"],
      cwd: repoRoot,
      env: { DENO_NO_UPDATE_CHECK: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stdout).trim();
    if (!output.success) {
      throw new Error(`startup_anatomy.ts failed: ${new TextDecoder().decode(output.stderr).slice(-1000)}`);
    }
    return JSON.parse(text.split("\n").at(-1)!) as AnatomyRun;
  };
  await once();
  const out: AnatomyRun[] = [];
  for (let i = 0; i < runs; i++) out.push(await once());
  return out;
}

/** Where Deno keeps ccxt's package files (`deno info --json` → npmCache), or undefined when it is not there. */
export async function ccxtPackageDir(version: string): Promise<string | undefined> {
  const output = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped", stderr: "null" })
    .output();
  if (!output.success) return undefined;
  const info = JSON.parse(new TextDecoder().decode(output.stdout)) as { npmCache?: string };
  const dir = `${info.npmCache}/registry.npmjs.org/ccxt/${version}`;
  try {
    await Deno.stat(`${dir}/js/src/binance.js`);
    return dir;
  } catch {
    return undefined;
  }
}

/**
 * A probe, not a deployable option: the same as the naive baseline but importing only ccxt's binance and okx modules
 * by file URL from Deno's npm cache (ccxt's package "exports" only its root, so `npm:ccxt/js/src/binance.js` is
 * refused). It shows what loading two exchange classes instead of ~100 would save. Returns the script's path.
 */
export async function writeTwoClassProbe(dir: string, ccxtDir: string): Promise<string> {
  const path = `${dir}/probe_two_exchange_classes.js`;
  await Deno.writeTextFile(
    path,
    `import binance from "file://${ccxtDir}/js/src/binance.js";\n` +
      `import okx from "file://${ccxtDir}/js/src/okx.js";\n` +
      `Deno.serve(() => new Response("ok " + typeof binance + typeof okx));\n`,
  );
  return path;
}

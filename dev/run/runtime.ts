/**
 * Runs the whole bot on one machine until told to stop: a database (embedded by default), the local stack
 * (PostgREST, gateway, the three functions as processes), a market (the simulator for the demo, the real venues for
 * paper-live) and the local scheduler on the production cadence, with progress on screen. Shared by `deno task demo`
 * and `deno task paper-live`.
 *
 * Output: stdout's first line is one JSON object (URLs, keys, data folder, pids) for tools and tests; then the
 * dashboard or plain progress lines. stderr: start-up, notes, scheduler events, errors. Everything the functions and
 * PostgREST print goes to `<data-dir>/demo.log`.
 */

import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { dashboardClient } from "../../dashboard/terminal/cli.ts";
import { loadSnapshot } from "../../dashboard/terminal/snapshot.ts";
import { type ScheduledJob } from "../schedule/cadence.ts";
import { createLocalScheduler, describeSchedulerEvent } from "../schedule/local.ts";
import type { LocalScheduler, SchedulerEvent } from "../schedule/scheduler.ts";
import { type Stack, startStack } from "../stack/stack.ts";
import { type LatencyMatrix, matrixRegions, startRegionNetwork } from "../stack/regions.ts";
import type { CommonOptions } from "./args.ts";
import { DEMO_LOG_FILE_NAME, type DemoDatabase, openDemoDatabase, redactUrl, resetDataDir } from "./database.ts";
import type { Market } from "./demo/market.ts";
import { prepareForPaperRun } from "./prepare.ts";
import { ActivityLog, dailyLimitNote, showProgress } from "./progress.ts";
import { startWebDashboard, type WebDashboard } from "./web_dashboard.ts";
import type { Database } from "../../supabase/functions/_shared/database.types.ts";

export interface RunIo {
  /** stdout */
  out(text: string): void;
  /** stderr */
  err(text: string): void;
}

export interface BotRunConfig {
  /** `demo` or `paper-live`: prefixes every line. */
  name: string;
  options: CommonOptions;
  startMarket: () => Promise<Market>;
  io: RunIo;
  /** Aborted by SIGINT/SIGTERM (the script wires them). */
  stop: AbortSignal;
  /** Default 2 s with the dashboard, 5 s for plain lines. */
  refreshMs?: number;
  /**
   * Issue 18's model of Edge regions (demo `--regions`): every function in every region of `matrix`, behind its
   * delays to the venues and the database; the database in `projectRegion`, where calls without a region land.
   */
  regionModel?: { matrix: LatencyMatrix; projectRegion: string };
}

/** The first jobs of the immediate round: latency first, so the burst starts on a measured band, not the fallback. */
const FIRST_ROUND = ["latency-sample", "balance-sync"];
const THEN = ["trade-burst"];

function cadenceText(jobs: readonly ScheduledJob[]): string {
  return jobs.map((job) => {
    const duration = typeof job.body.duration_ms === "number" ? ` (${job.body.duration_ms / 1000} s burst)` : "";
    return `${job.name} "${job.cron}"${duration}`;
  }).join(", ");
}

function abortPromise(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

const message = (error: unknown) => error instanceof Error ? error.message : String(error);

/** Appends lines to the demo log; a failing log never stops the bot. */
class DemoLog {
  readonly #file: Deno.FsFile;
  readonly #encoder = new TextEncoder();
  readonly #partial = new Map<string, string>();
  #decoder = new TextDecoder();

  private constructor(readonly path: string, file: Deno.FsFile) {
    this.#file = file;
  }

  static async open(path: string): Promise<DemoLog> {
    return new DemoLog(path, await Deno.open(path, { create: true, append: true }));
  }

  line(source: string, text: string): void {
    try {
      this.#file.writeSync(this.#encoder.encode(`${new Date().toISOString()} [${source}] ${text}\n`));
    } catch {
      // Disk full or closed: the screen still shows progress.
    }
  }

  chunk(source: string, chunk: Uint8Array): void {
    const text = (this.#partial.get(source) ?? "") + this.#decoder.decode(chunk, { stream: true });
    const lines = text.split("\n");
    this.#partial.set(source, lines.pop() ?? "");
    for (const line of lines) this.line(source, line);
  }

  close(): void {
    try {
      this.#file.close();
    } catch {
      // Already closed.
    }
  }
}

/** A stop requested while starting: whatever started is stopped again, and that is a clean exit. */
class StoppedDuringStartup extends Error {
  constructor() {
    super("stopped during start-up");
    this.name = "StoppedDuringStartup";
  }
}

/** Stops what has started, in reverse order; reports each failure and keeps going. */
class Cleanups {
  readonly #steps: Array<{ what: string; run: () => Promise<void> }> = [];
  constructor(private readonly say: (text: string) => void) {}

  push(what: string, run: () => Promise<void>): void {
    this.#steps.push({ what, run });
  }

  /** True when everything stopped without an error. */
  async run(): Promise<boolean> {
    let ok = true;
    while (this.#steps.length > 0) {
      const step = this.#steps.pop()!;
      try {
        await step.run();
      } catch (error) {
        ok = false;
        this.say(`stopping ${step.what} failed: ${message(error)}`);
      }
    }
    return ok;
  }
}

interface Started {
  market: Market;
  database: DemoDatabase;
  stack: Stack;
  log: DemoLog;
}

/** Data folder (and --reset), log, market, database, stack; each registered in `cleanups` as soon as it runs. */
async function startServices(config: BotRunConfig, cleanups: Cleanups, say: (text: string) => void): Promise<Started> {
  const { options } = config;
  const checkStop = () => {
    if (config.stop.aborted) throw new StoppedDuringStartup();
  };
  await Deno.mkdir(options.dataDir, { recursive: true });
  if (options.reset) {
    if (options.databaseUrl) {
      say("--reset with --db-url: the data folder's logs are wiped, the database given by URL is not touched");
    }
    const removed = await resetDataDir(options.dataDir);
    say(`reset ${options.dataDir}${removed.length > 0 ? ` (removed ${removed.join(", ")})` : " (nothing to remove)"}`);
  }
  const log = await DemoLog.open(`${options.dataDir}/${DEMO_LOG_FILE_NAME}`);
  cleanups.push("the log", () => Promise.resolve(log.close()));

  say("starting the market");
  const market = await config.startMarket();
  cleanups.push("the market", () => market.stop());
  checkStop();
  say(market.description);

  say(options.databaseUrl ? "checking the database" : `starting the embedded Postgres in ${options.dataDir}`);
  const database = await openDemoDatabase({ dataDir: options.dataDir, databaseUrl: options.databaseUrl });
  cleanups.push("the database", () => database.stop());
  checkStop();
  say(database.description);

  const model = config.regionModel;
  let regions;
  if (model) {
    if (!market.simOrigin) {
      throw new Error("the region model needs a simulated market (its proxies delay the simulator)");
    }
    const network = startRegionNetwork({ matrix: model.matrix, simOrigin: market.simOrigin });
    // Registered before the stack, so it stops after the function processes that use its proxies.
    cleanups.push("the region latency proxies", () => network.stop());
    regions = { names: matrixRegions(model.matrix), defaultRegion: model.projectRegion, regionEnv: network.regionEnv };
    say(`region model: ${regions.names.join(", ")}; the database in ${model.projectRegion}`);
  }
  say("starting PostgREST, the gateway and the functions");
  const stack = await startStack({
    keyMode: options.newKeysOnly ? "new-only" : "with-legacy",
    databaseUrl: database.databaseUrl,
    functionEnv: market.functionEnv,
    workDir: options.dataDir,
    onOutput: (source, chunk) => log.chunk(source, chunk),
    ...(regions ? { regions } : {}),
  });
  cleanups.push("the stack", () => stack.stop());
  checkStop();
  return { market, database, stack, log };
}

/** Makes the stack's signed-in user a viewer, so the screen (and a dashboard given its token) reads the tables. */
async function addDemoViewer(service: SupabaseClient<Database>, userId: string): Promise<void> {
  const { error } = await service.from("members").upsert({ user_id: userId, role: "viewer" });
  if (error) throw new Error(`could not add the demo viewer to public.members: ${error.message}`);
}

/** The first stdout line: where everything is, for tools and tests. */
async function readyLine(config: BotRunConfig, started: Started, startupMs: number): Promise<Record<string, unknown>> {
  const { stack, database, market, log } = started;
  return {
    event: "ready",
    name: config.name,
    mode: "paper",
    gatewayUrl: stack.gatewayUrl,
    // The embedded server accepts any password; a real server's URL is shown without its password.
    databaseUrl: database.embedded ? database.databaseUrl : redactUrl(database.databaseUrl),
    publishableKey: stack.publishableKey,
    secretKey: stack.secretKey,
    anonKey: stack.anonKey ?? null,
    serviceRoleKey: stack.serviceRoleKey ?? null,
    authenticatedKey: stack.authenticatedKey,
    dataDir: config.options.dataDir,
    logPath: log.path,
    startupMs,
    pids: { main: Deno.pid, database: database.embedded?.pid ?? null, stack: await stack.processIds() },
    ...market.info,
  };
}

/** The standing notes: mode, market, database, cadence, where the logs are and how to stop. */
function screenHeader(config: BotRunConfig, started: Started, jobs: readonly ScheduledJob[]): string[] {
  const { name, options } = config;
  return [
    `${name}: PAPER mode (paper fills against public quotes, no API keys) on the ${started.market.description}`,
    `${name}: ${started.database.description}`,
    `${name}: schedule as in production: ${cadenceText(jobs)}; plus one immediate round at start`,
    `${name}: logs in ${started.log.path}; Ctrl-C stops everything${
      options.durationSeconds ? `; stops by itself after ${options.durationSeconds} s` : ""
    }`,
  ];
}

/** Runs until `config.stop` aborts or the duration passes. Returns the process exit code. */
export async function runBot(config: BotRunConfig): Promise<number> {
  const { name, options, io } = config;
  const say = (text: string) => io.err(`${name}: ${text}\n`);
  const startedMs = performance.now();
  const cleanups = new Cleanups(say);
  let started: Started;
  try {
    started = await startServices(config, cleanups, say);
  } catch (error) {
    if (error instanceof StoppedDuringStartup) {
      say("signal received during start-up: stopping what has started");
      return await cleanups.run() ? 0 : 1;
    }
    say(`could not start: ${message(error)}`);
    await cleanups.run();
    return 1;
  }
  const { database, stack, log } = started;

  const serviceClient: SupabaseClient<Database> = createClient<Database>(stack.gatewayUrl, stack.secretKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
  const activity = new ActivityLog();
  // Set once stopping: a call cut short by the stop is expected, not a failure.
  let stopped = false;
  const onEvent = (event: SchedulerEvent) => {
    const line = stopped && event.type === "failed"
      ? `${event.job}: call cut short by the stop (the next start picks up from the tables)`
      : describeSchedulerEvent(event);
    log.line("scheduler", line);
    activity.add(line);
    // With the dashboard, the activity list under it shows the line (stderr would be wiped by the next redraw).
    if (!options.dashboard) say(line);
  };
  let scheduler: LocalScheduler;
  let web: WebDashboard | undefined;
  try {
    for (
      const note of await prepareForPaperRun(serviceClient, { exclusiveDatabase: !!database.embedded, now: new Date() })
    ) {
      say(note);
      log.line(name, note);
    }
    await addDemoViewer(serviceClient, stack.authenticatedUserId);
    if (config.regionModel) {
      // The project's region joins the candidates and is where calls without a region land (the gateway's default).
      const { error } = await serviceClient.from("bot_settings")
        .update({ project_region: config.regionModel.projectRegion }).eq("id", 1);
      if (error) throw new Error(`could not set bot_settings.project_region: ${error.message}`);
      say(`project_region = ${config.regionModel.projectRegion}; home regions appear after two sampling rounds`);
    }
    // The web dashboard is a convenience: a build problem is reported, the bot runs anyway.
    say("building the web dashboard");
    web = await startWebDashboard(stack, serviceClient, options.dataDir).catch((error) => {
      say(`web dashboard not started: ${message(error)}`);
      return undefined;
    });
    const served = web;
    if (served) cleanups.push("the web dashboard", () => served.stop());
    // Read as a member (the stack's user was made a viewer above): the dashboards' aggregates are members-only.
    const limit = dailyLimitNote(
      await loadSnapshot(dashboardClient(stack.gatewayUrl, stack.publishableKey, undefined, stack.authenticatedKey)),
    );
    if (limit) say(limit);
    scheduler = await createLocalScheduler({ url: stack.gatewayUrl, serverKey: stack.secretKey, onEvent });
  } catch (error) {
    say(`could not start: ${message(error)}`);
    await cleanups.run();
    return 1;
  }

  const startupMs = Math.round(performance.now() - startedMs);
  const enabled = new Set(scheduler.jobs.map((job) => job.name));
  io.out(JSON.stringify({ ...await readyLine(config, started, startupMs), dashboardUrl: web?.url ?? null }) + "\n");
  const header = screenHeader(config, started, scheduler.jobs);
  if (web) header.push(`${name}: web dashboard (signed in as the demo operator): ${web.url}`);
  say(`ready in ${(startupMs / 1000).toFixed(1)} s; gateway ${stack.gatewayUrl}`);
  // The database line was said during start-up already.
  for (const line of header.filter((_, i) => i !== 1)) io.err(`${line}\n`);

  // Stop on the caller's signal or when the duration has passed.
  const stopping = new AbortController();
  const stopFor = (reason: string) => {
    if (stopping.signal.aborted) return;
    stopped = true;
    say(`${reason}: stopping`);
    stopping.abort();
  };
  config.stop.addEventListener("abort", () => stopFor("signal received"), { once: true });
  if (config.stop.aborted) stopFor("signal received");
  const durationTimer = options.durationSeconds
    ? setTimeout(() => stopFor(`${options.durationSeconds} s passed`), options.durationSeconds * 1000)
    : undefined;

  const schedulerDone = scheduler.run(stopping.signal);
  const firstRound = (async () => {
    scheduler.runNow(FIRST_ROUND.filter((job) => enabled.has(job)));
    await Promise.race([scheduler.idle(), abortPromise(stopping.signal)]);
    if (!stopping.signal.aborted) scheduler.runNow(THEN.filter((job) => enabled.has(job)));
  })();

  // The screen reads as a member's session, as on a hosted project (the stack's user was made a viewer above).
  const readClient = dashboardClient(stack.gatewayUrl, stack.publishableKey, undefined, stack.authenticatedKey);
  const frame = { header, activity, startedAt: Date.now() };
  const refreshMs = config.refreshMs ?? (options.dashboard ? 2_000 : 5_000);
  const progressDeps = { client: readClient, write: io.out, now: () => new Date() };
  while (!stopping.signal.aborted) {
    await showProgress(progressDeps, options.dashboard, frame);
    await sleep(refreshMs, stopping.signal);
  }

  clearTimeout(durationTimer);
  await firstRound;
  await schedulerDone;
  // The last state, as plain text, so a terminal (or a CI log) keeps it after the dashboard is gone.
  await showProgress(progressDeps, false, frame);
  say("stopping the functions, PostgREST, the gateway, the database and the market");
  const clean = await cleanups.run();
  io.err(clean ? `${name}: stopped cleanly\n` : `${name}: stopped, with errors (see above)\n`);
  return clean ? 0 : 1;
}

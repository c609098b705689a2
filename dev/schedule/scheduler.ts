/**
 * A small cron-like scheduler for local runs: at each UTC minute boundary it starts every enabled job whose cron
 * expression fires in the minutes since the last tick (once, however many minutes were missed), like pg_cron in
 * production. A job whose previous call is still running is skipped rather than stacked. Time comes from an
 * injected clock, so tests drive it without sleeping.
 */

import type { ScheduledJob } from "./cadence.ts";
import { minuteStart, nextCronRun } from "./cron.ts";
import type { InvocationResult, JobInvoker } from "./invoke.ts";

export interface SchedulerClock {
  now(): Date;
  /** Resolves after `ms`, or early when `signal` aborts (never rejects). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemSchedulerClock: SchedulerClock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal.addEventListener("abort", done, { once: true });
    }),
};

export type SchedulerEvent =
  | { type: "started"; job: string; at: Date }
  | { type: "finished"; job: string; at: Date; ok: boolean; result: InvocationResult; durationMs: number }
  | { type: "failed"; job: string; at: Date; error: string; durationMs: number }
  | { type: "skipped"; job: string; at: Date; reason: "still_running" };

export interface SchedulerOptions {
  invoke: JobInvoker;
  /** Default: the system clock. */
  clock?: SchedulerClock;
  /** Progress and errors, as they happen. */
  onEvent?: (event: SchedulerEvent) => void;
}

/** Starts after the boundary so a tick never lands a hair before the minute it is meant for. */
const TICK_OFFSET_MS = 50;

export class LocalScheduler {
  readonly jobs: readonly ScheduledJob[];
  readonly #invoke: JobInvoker;
  readonly #clock: SchedulerClock;
  readonly #onEvent: (event: SchedulerEvent) => void;
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #stop = new AbortController();
  /** Start of the last minute already handled; jobs due in it or before are not started again. */
  #handledMinute: number;

  constructor(jobs: readonly ScheduledJob[], options: SchedulerOptions) {
    const names = new Set<string>();
    for (const job of jobs) {
      if (names.has(job.name)) throw new Error(`LocalScheduler: job ${job.name} is listed twice`);
      names.add(job.name);
    }
    this.jobs = jobs.filter((job) => job.enabled);
    this.#invoke = options.invoke;
    this.#clock = options.clock ?? systemSchedulerClock;
    this.#onEvent = options.onEvent ?? (() => {});
    // Like cron started mid-minute: the current minute's runs are not made up for.
    this.#handledMinute = minuteStart(this.#clock.now().getTime());
  }

  /** Names of the jobs due in the minutes after the last handled one, up to the minute containing `now`. */
  dueJobs(now: Date): string[] {
    const upTo = minuteStart(now.getTime());
    if (upTo <= this.#handledMinute) return [];
    const after = new Date(this.#handledMinute);
    return this.jobs.filter((job) => nextCronRun(job.schedule, after).getTime() <= upTo).map((job) => job.name);
  }

  /** Starts the due jobs (without waiting for them) and marks the minute handled. Returns the names started. */
  tick(now: Date = this.#clock.now()): string[] {
    const due = this.dueJobs(now);
    this.#handledMinute = Math.max(this.#handledMinute, minuteStart(now.getTime()));
    return this.#start(due, now);
  }

  /** Starts the named jobs now, outside their schedule (the demo kicks everything off at startup). */
  runNow(names: readonly string[] = this.jobs.map((job) => job.name)): string[] {
    return this.#start(names, this.#clock.now());
  }

  #start(names: readonly string[], at: Date): string[] {
    const started: string[] = [];
    for (const name of names) {
      const job = this.jobs.find((candidate) => candidate.name === name);
      if (!job) throw new Error(`LocalScheduler: no enabled job named ${name}`);
      if (this.#inFlight.has(name)) {
        this.#onEvent({ type: "skipped", job: name, at, reason: "still_running" });
        continue;
      }
      this.#onEvent({ type: "started", job: name, at });
      const run = this.#call(job).finally(() => this.#inFlight.delete(name));
      this.#inFlight.set(name, run);
      started.push(name);
    }
    return started;
  }

  async #call(job: ScheduledJob): Promise<void> {
    const startedMs = this.#clock.now().getTime();
    try {
      const result = await this.#invoke(job, this.#stop.signal);
      const at = this.#clock.now();
      const ok = result.status >= 200 && result.status < 300;
      this.#onEvent({ type: "finished", job: job.name, at, ok, result, durationMs: at.getTime() - startedMs });
    } catch (error) {
      const at = this.#clock.now();
      const message = error instanceof Error ? error.message : String(error);
      this.#onEvent({ type: "failed", job: job.name, at, error: message, durationMs: at.getTime() - startedMs });
    }
  }

  /** Names of the jobs whose call has not returned yet. */
  running(): string[] {
    return [...this.#inFlight.keys()];
  }

  /** Resolves when every call started so far has finished (they never reject). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight.values());
  }

  /**
   * Ticks at every minute boundary until `signal` aborts (or `maxTicks` ticks, for bounded runs). On abort the calls
   * still running are aborted too; either way it returns once they have all finished.
   */
  async run(signal: AbortSignal, options: { maxTicks?: number } = {}): Promise<void> {
    const maxTicks = options.maxTicks ?? Infinity;
    try {
      for (let ticks = 0; ticks < maxTicks && !signal.aborted; ticks++) {
        const nowMs = this.#clock.now().getTime();
        await this.#clock.sleep(minuteStart(nowMs) + 60_000 + TICK_OFFSET_MS - nowMs, signal);
        if (signal.aborted) break;
        this.tick();
      }
    } finally {
      if (signal.aborted) this.#stop.abort();
      await this.idle();
    }
  }
}

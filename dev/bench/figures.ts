/**
 * From raw runs to the figures the report prints: medians over runs, latency percentiles over all entries of all
 * runs, ratios against the baseline of the same run. Pure.
 */
import type { BurstConfig, BurstRun, ColdBurstRun } from "./burst_bench.ts";
import type { ColdStartRun, ListenRun } from "./cold_start.ts";
import type { EntryLatency, PushToOrder } from "./request_analysis.ts";
import { median, medianOrNull, percentile, perUnit, ratio } from "./stats.ts";

export interface ColdStartFigures {
  name: string;
  runs: number;
  listenMs: number;
  firstAnswerMs: number;
  firstRequestMs: number;
  warmRequestMs: number;
  /** What a cold isolate costs on top of a warm one: spawn → first answer, less the warm request. */
  coldPenaltyMs: number;
  startupCpuMs: number;
  firstRequestCpuMs: number;
  warmRequestCpuMs: number;
  peakRssMb: number;
}

export function coldStartFigures(name: string, runs: readonly ColdStartRun[]): ColdStartFigures | null {
  if (runs.length === 0) return null;
  const m = (f: (r: ColdStartRun) => number) => median(runs.map(f), `${name} cold start`);
  return {
    name,
    runs: runs.length,
    listenMs: m((r) => r.listenMs),
    firstAnswerMs: m((r) => r.firstAnswerMs),
    firstRequestMs: m((r) => r.firstRequestMs),
    warmRequestMs: m((r) => r.warmRequestMs),
    coldPenaltyMs: m((r) => r.firstAnswerMs - r.warmRequestMs),
    startupCpuMs: m((r) => r.startupCpuMs),
    firstRequestCpuMs: m((r) => r.firstRequestCpuMs),
    warmRequestCpuMs: m((r) => r.warmRequestCpuMs),
    peakRssMb: m((r) => r.peakRssMb),
  };
}

export interface ListenFigures {
  listenMs: number;
  startupCpuMs: number;
}

export function listenFigures(name: string, runs: readonly ListenRun[]): ListenFigures | null {
  if (runs.length === 0) return null;
  return {
    listenMs: median(runs.map((r) => r.listenMs), `${name} listen`),
    startupCpuMs: median(runs.map((r) => r.startupCpuMs), `${name} start-up CPU`),
  };
}

export interface Ratios {
  listen: number | null;
  firstAnswer: number | null;
  peakRss: number | null;
}

export function ratiosAgainst(figures: ColdStartFigures, baseline: ColdStartFigures | null): Ratios {
  if (!baseline) return { listen: null, firstAnswer: null, peakRss: null };
  return {
    listen: ratio(figures.listenMs, baseline.listenMs),
    firstAnswer: ratio(figures.firstAnswerMs, baseline.firstAnswerMs),
    peakRss: ratio(figures.peakRssMb, baseline.peakRssMb),
  };
}

export interface LatencyFigures {
  entries: number;
  p50: number;
  p99: number;
  max: number;
  /** The first entry decided on each tick: no earlier entry of the same tick ahead of it. */
  firstOfTickP50: number;
  firstOfTickCount: number;
  insertP50: number;
  sendP50: number;
  dbOnPathP50: number;
  venueRequestsOnPathP50: number;
}

/** Entries of one tick share their ticker answer; the earliest order of each group is the tick's first entry. */
export function firstOfTick(latencies: readonly EntryLatency[]): EntryLatency[] {
  const byTick = new Map<string, EntryLatency>();
  for (const entry of latencies) {
    const key = `${entry.venue}@${entry.tickerRespondedAt}`;
    const seen = byTick.get(key);
    if (!seen || entry.latencyMs < seen.latencyMs) byTick.set(key, entry);
  }
  return [...byTick.values()];
}

export function latencyFigures(latencies: readonly EntryLatency[]): LatencyFigures | null {
  if (latencies.length === 0) return null;
  const of = (f: (e: EntryLatency) => number) => latencies.map(f);
  const firsts = firstOfTick(latencies);
  return {
    entries: latencies.length,
    p50: percentile(of((e) => e.latencyMs), 50),
    p99: percentile(of((e) => e.latencyMs), 99),
    max: Math.max(...of((e) => e.latencyMs)),
    firstOfTickP50: percentile(firsts.map((e) => e.latencyMs), 50),
    firstOfTickCount: firsts.length,
    insertP50: percentile(of((e) => e.insertMs), 50),
    sendP50: percentile(of((e) => e.sendMs), 50),
    dbOnPathP50: percentile(of((e) => e.dbRequestsOnPath), 50),
    venueRequestsOnPathP50: percentile(of((e) => e.venueRequestsOnPath), 50),
  };
}

export interface BurstFigures {
  config: BurstConfig;
  runs: number;
  burstMs: number;
  /** Median over runs of the per-venue mean tick count. */
  ticksPerVenue: number;
  /** How long a tick really took: burst length / ticks per venue. */
  tickEveryMs: number | null;
  /** Every thread of the process: an upper bound for the isolate's CPU. */
  cpuMs: number;
  cpuMsPerBurstSecond: number | null;
  /** CPU per venue-tick (both venues' ticks run in the one process). */
  cpuMsPerTick: number | null;
  /** The main thread only (JS and its event loop): the estimate of the isolate's CPU. */
  mainThreadCpuMs: number;
  mainThreadCpuMsPerBurstSecond: number | null;
  mainThreadCpuMsPerTick: number | null;
  peakRssMb: number;
  entries: number;
  fills: number;
  positionsClosed: number;
  quoteErrors: number;
  /** Per venue: ticker requests per tick (target 1) and all requests per tick. */
  tickerPerTick: Record<string, number | null>;
  venueRequestsPerTick: Record<string, number | null>;
  dbPerBurst: number;
  dbPerTick: number | null;
  latency: LatencyFigures | null;
  /**
   * Shipped settings only: push → entry order at the venue, over every entry of every run (request_analysis.ts
   * pushToOrderLatencies), and the same split by the kind of push taken as the trigger.
   */
  pushLatency: PushLatencyFigures | null;
  /** From the median-CPU run: what the venues and the database were asked, per burst. */
  byEndpoint: Record<string, Record<string, number>>;
  dbByResource: Record<string, number>;
}

const totalTicks = (run: BurstRun) => Object.values(run.ticks).reduce((a, b) => a + b, 0);

export interface Percentiles {
  entries: number;
  p50: number;
  p99: number;
}

export interface PushLatencyFigures extends Percentiles {
  fromTop: Percentiles | null;
  fromOrderUpdate: Percentiles | null;
  /** The same pushes to the order handed to fetch in our process (the entries with a departure stamp). */
  handedOver: Percentiles | null;
}

function percentiles(ms: readonly number[]): Percentiles | null {
  return ms.length === 0 ? null : { entries: ms.length, p50: percentile(ms, 50), p99: percentile(ms, 99) };
}

function pushLatencyFigures(all: readonly PushToOrder[]): PushLatencyFigures | null {
  const overall = percentiles(all.map((p) => p.ms));
  if (!overall) return null;
  const of = (trigger: PushToOrder["trigger"]) =>
    percentiles(all.filter((p) => p.trigger === trigger).map((p) => p.ms));
  const handedOver = percentiles(all.flatMap((p) => p.handedOverMs === undefined ? [] : [p.handedOverMs]));
  return { ...overall, fromTop: of("top"), fromOrderUpdate: of("order_update"), handedOver };
}

export function burstFigures(config: BurstConfig, runs: readonly BurstRun[]): BurstFigures | null {
  if (runs.length === 0) return null;
  const m = (f: (r: BurstRun) => number) => median(runs.map(f), "burst");
  const mOrNull = (f: (r: BurstRun) => number | null) => medianOrNull(runs.map(f));
  const venues = config.venues;
  const perVenue = (f: (run: BurstRun, venue: string) => number | null) =>
    Object.fromEntries(venues.map((venue) => [venue, medianOrNull(runs.map((run) => f(run, venue)))]));
  const ticksPerVenue = m((r) => totalTicks(r) / venues.length);
  const burstMs = m((r) => r.burstMs);
  const cpuMs = m((r) => r.cpuMs);
  const typical = [...runs].sort((a, b) => a.cpuMs - b.cpuMs)[Math.floor((runs.length - 1) / 2)];
  return {
    config,
    runs: runs.length,
    burstMs,
    ticksPerVenue,
    tickEveryMs: perUnit(burstMs, ticksPerVenue),
    cpuMs,
    cpuMsPerBurstSecond: mOrNull((r) => perUnit(r.cpuMs, r.burstMs / 1000)),
    cpuMsPerTick: mOrNull((r) => perUnit(r.cpuMs, totalTicks(r))),
    mainThreadCpuMs: m((r) => r.mainThreadCpuMs),
    mainThreadCpuMsPerBurstSecond: mOrNull((r) => perUnit(r.mainThreadCpuMs, r.burstMs / 1000)),
    mainThreadCpuMsPerTick: mOrNull((r) => perUnit(r.mainThreadCpuMs, totalTicks(r))),
    peakRssMb: m((r) => r.peakRssMb),
    entries: m((r) => r.entries),
    fills: m((r) => r.fills),
    positionsClosed: m((r) => r.positionsClosed),
    quoteErrors: m((r) => r.quoteErrors),
    tickerPerTick: perVenue((run, venue) => {
      const counts = run.venueCounts.find((c) => c.venue === venue);
      return counts ? perUnit(counts.tickerRequests, counts.ticks) : null;
    }),
    venueRequestsPerTick: perVenue((run, venue) => {
      const counts = run.venueCounts.find((c) => c.venue === venue);
      return counts ? perUnit(counts.allRequests, counts.ticks) : null;
    }),
    dbPerBurst: m((r) => r.dbRequests),
    dbPerTick: mOrNull((r) => perUnit(r.dbRequests, totalTicks(r))),
    latency: latencyFigures(runs.flatMap((r) => r.latencies)),
    pushLatency: pushLatencyFigures(runs.flatMap((r) => r.pushLatencies ?? [])),
    byEndpoint: Object.fromEntries(typical.venueCounts.map((c) => [c.venue, c.byEndpoint])),
    dbByResource: typical.dbByResource,
  };
}

export interface ColdBurstFigures {
  runs: number;
  /**
   * Medians over runs of main-thread CPU: spawn → listening, the burst, and both (each run's own sum, not a sum of
   * the medians).
   */
  startupCpuMs: number;
  burstCpuMs: number;
  totalCpuMs: number;
  positionsClosed: number;
  burstMs: number;
  /** PostgREST requests of the burst (the proxy's count). */
  dbRequests: number;
}

export function coldBurstFigures(runs: readonly ColdBurstRun[]): ColdBurstFigures | null {
  if (runs.length === 0) return null;
  const m = (f: (r: ColdBurstRun) => number) => median(runs.map(f), "cold burst");
  return {
    runs: runs.length,
    startupCpuMs: m((r) => r.startupMainThreadCpuMs),
    burstCpuMs: m((r) => r.burst.mainThreadCpuMs),
    totalCpuMs: m((r) => r.startupMainThreadCpuMs + r.burst.mainThreadCpuMs),
    positionsClosed: m((r) => r.burst.positionsClosed),
    burstMs: m((r) => r.burst.burstMs),
    dbRequests: m((r) => r.burst.dbRequests),
  };
}

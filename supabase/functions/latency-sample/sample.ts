/**
 * Takes latency samples: N timed calls of a light public endpoint (server time), spaced apart. A failed call is a
 * failed sample with its error and no latency: never an invented figure (the legacy bot logged 999 ms).
 */
import type { Clock } from "../_shared/clock.ts";
import { describeError } from "../_shared/describe_error.ts";

export interface TakenSample {
  /** When the request started (wall clock). */
  ts: Date;
  latency_ms: number | null;
  success: boolean;
  error: string | null;
}

export interface SampleOptions {
  samples: number;
  spacingMs: number;
  clock: Clock;
}

/** Decimals kept in `latency_ms`: performance.now() is sub-millisecond; a tenth of a ms is plenty. */
const round1 = (ms: number) => Math.round(ms * 10) / 10;

/**
 * Calls `probe` `samples` times, `spacingMs` apart (no wait after the last). `probe` makes exactly one request (no
 * retries, whose waits would count as latency) and resolves to the round trip it measured, in ms
 * (VenueClient.measureServerTimeRoundTrip). A probe that rejects, or resolves to something that is not a finite
 * non-negative number, is a failed sample.
 */
export async function takeLatencySamples(probe: () => Promise<number>, options: SampleOptions): Promise<TakenSample[]> {
  if (!Number.isInteger(options.samples) || options.samples < 1) {
    throw new RangeError(`samples must be an integer >= 1, got ${options.samples}`);
  }
  if (!(options.spacingMs >= 0)) throw new RangeError(`spacingMs must be >= 0, got ${options.spacingMs}`);
  const out: TakenSample[] = [];
  for (let i = 0; i < options.samples; i++) {
    if (i > 0 && options.spacingMs > 0) await options.clock.sleep(options.spacingMs);
    const ts = options.clock.now();
    try {
      const latencyMs = await probe();
      if (typeof latencyMs !== "number" || !Number.isFinite(latencyMs) || latencyMs < 0) {
        throw new RangeError(`probe measured no usable latency (${String(latencyMs)})`);
      }
      out.push({ ts, latency_ms: round1(latencyMs), success: true, error: null });
    } catch (error) {
      out.push({ ts, latency_ms: null, success: false, error: describeError(error) });
    }
  }
  return out;
}

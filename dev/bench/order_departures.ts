/**
 * The bench's side of order_departures_preload.ts: the flags and env that load it into a function process, and the
 * read of its stamps after a burst. A stamp's time is the epoch (timeOrigin + now, with its fraction); the bench turns
 * it into its own performance.now(), the clock of the simulator's logs, since both processes read the same system
 * clock.
 */
import { z } from "zod";

export const DEPARTURES_PRELOAD = "dev/bench/order_departures_preload.ts";

export class DeparturesUnreadError extends Error {
  override name = "DeparturesUnreadError";
}

/** One order POST as the burst handed it to fetch: bench-process performance.now(), URL and body. */
export interface OrderDeparture {
  atPerf: number;
  text: string;
}

const stampsSchema = z.array(z.tuple([z.number(), z.string()]));

/** Where one process's stamps go, and how to start it so it writes them. */
export class DepartureLog {
  constructor(readonly file: string) {}

  get denoArgs(): string[] {
    return ["--preload", DEPARTURES_PRELOAD];
  }

  get env(): Record<string, string> {
    return { BENCH_ORDER_DEPARTURES: this.file };
  }

  /**
   * The stamps of `pid` since the last read: signals it, then waits (bounded: 100 × 20 ms) for the file it writes
   * whole. Throws when none comes, rather than report a figure without them.
   */
  async take(pid: number): Promise<OrderDeparture[]> {
    await Deno.remove(this.file).catch(() => {});
    Deno.kill(pid, "SIGUSR2");
    for (let attempt = 0; attempt < 100; attempt++) {
      const text = await Deno.readTextFile(this.file).catch(() => null);
      if (text !== null) {
        return stampsSchema.parse(JSON.parse(text)).map(([epochMs, text]) => ({
          atPerf: epochMs - performance.timeOrigin,
          text,
        }));
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new DeparturesUnreadError(`pid ${pid} wrote no ${this.file} within 2 s of SIGUSR2`);
  }
}

/** When the order with `clientOrderId` was handed to fetch: the last such stamp at or before `arrivedAt` (+1 ms). */
export function departedAt(
  departures: readonly OrderDeparture[],
  clientOrderId: string,
  arrivedAt: number,
): number | undefined {
  return departures.findLast((d) => d.atPerf <= arrivedAt + 1 && d.text.includes(clientOrderId))?.atPerf;
}

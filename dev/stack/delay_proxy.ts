/**
 * A loopback TCP proxy that adds a fixed one-way delay to every byte in each direction: the local model of distance
 * between an Edge region and a venue or the database (issue 18). Works below HTTP, so keep-alive connections,
 * WebSockets and PostgREST calls all pay the delay once per direction, as on a real long link. A new connection's
 * handshake is local (the real one would cost one more round trip); the model states round trips per request.
 */
import { LOOPBACK } from "./net.ts";

export interface DelayProxy {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  port: number;
  /** One-way delay now in force (ms). */
  delayMs(): number;
  /** Changes the delay for bytes that arrive from now on (a changing latency matrix). */
  setDelayMs(ms: number): void;
  stop(): Promise<void>;
}

/** Copies `from` → `to`, holding each chunk until `delay()` ms after it arrived, in order. */
async function pipeDelayed(from: Deno.Conn, to: Deno.Conn, delay: () => number): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  // Chunks are written in arrival order; each waits until its own due time (never overtaking an earlier one).
  let chain = Promise.resolve();
  try {
    while (true) {
      const n = await from.read(buffer);
      if (n === null) break;
      const chunk = buffer.slice(0, n);
      const due = performance.now() + delay();
      chain = chain.then(async () => {
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        let written = 0;
        while (written < chunk.length) written += await to.write(chunk.subarray(written));
      });
    }
  } catch {
    // A reset or closed socket ends this direction; the other side learns it through closeWrite/close below.
  }
  await chain.catch(() => {});
  try {
    await to.closeWrite();
  } catch {
    // Already closed.
  }
}

export function startDelayProxy(upstreamPort: number, initialDelayMs: number): DelayProxy {
  let delay = initialDelayMs;
  const listener = Deno.listen({ hostname: LOOPBACK, port: 0 });
  const open = new Set<Deno.Conn>();
  const port = (listener.addr as Deno.NetAddr).port;
  const accepting = (async () => {
    for await (const client of listener) {
      open.add(client);
      (async () => {
        let upstream: Deno.Conn | undefined;
        try {
          upstream = await Deno.connect({ hostname: LOOPBACK, port: upstreamPort });
          open.add(upstream);
          await Promise.all([pipeDelayed(client, upstream, () => delay), pipeDelayed(upstream, client, () => delay)]);
        } catch {
          // Upstream refused: the client sees its connection close, as with an unreachable host.
        } finally {
          for (const conn of [client, upstream]) {
            if (!conn) continue;
            open.delete(conn);
            try {
              conn.close();
            } catch {
              // Already closed.
            }
          }
        }
      })();
    }
  })().catch(() => {});
  let stopping: Promise<void> | undefined;
  return {
    origin: `http://${LOOPBACK}:${port}`,
    port,
    delayMs: () => delay,
    setDelayMs(ms) {
      if (!(ms >= 0)) throw new RangeError(`delay must be >= 0 ms, got ${ms}`);
      delay = ms;
    },
    stop() {
      stopping ??= (async () => {
        listener.close();
        for (const conn of open) {
          try {
            conn.close();
          } catch {
            // Already closed.
          }
        }
        open.clear();
        await accepting;
      })();
      return stopping;
    },
  };
}

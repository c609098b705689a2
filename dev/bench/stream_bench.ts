/**
 * Stream benchmark (issue 17), one process, loopback: (1) CPU per book-top message of ccxt.pro's WebSocket layer vs
 * our QuoteStream, both fed the same venue texts through their real message handlers (no socket: only the client's
 * own work is timed); (2) venue push → top in our client over a real WebSocket to the simulator, at 2 venues × 4 and
 * × 20 symbols. Not measured here: push → order leaves the process (the decision and the REST order are the burst
 * benchmark's), nor the order stream (not built).
 *
 *   ./node_modules/.bin/deno run -A dev/bench/stream_bench.ts [--messages 20000] [--rounds 200]
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { defaultSimConfig } from "../sim/config.ts";
import { startSimulator } from "../sim/server.ts";
import type { Simulator } from "../sim/server.ts";
import {
  binanceBookTicker,
  okxTickers,
  type StreamProtocol,
} from "../../supabase/functions/_shared/market_data/protocols.ts";
import { QuoteStream } from "../../supabase/functions/_shared/market_data/quote_stream.ts";
import { proClient } from "../../tests/support/ccxt_pro.ts";
import { percentile } from "./stats.ts";

type Venue = "binance" | "okx";

/** The channels whose texts this bench writes (the ones ccxt.pro's watchBidsAsks reads): bookTicker and tickers. */
const PROTOCOLS: Record<Venue, StreamProtocol> = { binance: binanceBookTicker, okx: okxTickers };

function bookTickerText(venue: Venue, symbol: string, i: number): string {
  const bid = (3000 + (i % 100) * 0.01).toFixed(2);
  const ask = (3000.5 + (i % 100) * 0.01).toFixed(2);
  if (venue === "binance") {
    return JSON.stringify({ u: i, s: symbol.replace("/", ""), b: bid, B: "1.5", a: ask, A: "2.5" });
  }
  const instId = symbol.replace("/", "-");
  return JSON.stringify({
    arg: { channel: "tickers", instId },
    data: [{
      instType: "SPOT",
      instId,
      last: bid,
      lastSz: "0.1",
      askPx: ask,
      askSz: "2.5",
      bidPx: bid,
      bidSz: "1.5",
      open24h: "2990",
      high24h: "3010",
      low24h: "2980",
      sodUtc0: "2995",
      sodUtc8: "2996",
      volCcy24h: "1000000",
      vol24h: "330",
      ts: String(Date.now()),
    }],
  });
}

/** A WebSocket stand-in: QuoteStream assigns its handlers, the bench calls onmessage directly. */
class FakeSocket {
  readyState = 1;
  onopen: ((e: Event) => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  send(): void {}
  close(): void {}
  addEventListener(): void {}
}

/** Process CPU (user + system) in ms: what the Edge budget counts. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function ownCostUs(venue: Venue, symbols: string[], texts: string[]): Promise<number> {
  const fake = new FakeSocket();
  const stream = new QuoteStream({
    url: "ws://unused",
    protocol: PROTOCOLS[venue],
    symbols,
    stallMs: 600_000,
    connect: () => fake as unknown as WebSocket,
  });
  stream.start();
  fake.onopen?.(new Event("open"));
  for (const t of texts.slice(0, 1000)) fake.onmessage!({ data: t }); // warm-up
  const start = cpuMs();
  for (const t of texts) fake.onmessage!({ data: t });
  const spent = cpuMs() - start;
  await stream.close();
  return (spent * 1000) / texts.length;
}

async function ccxtCostUs(venue: Venue, sim: Simulator, symbols: string[], texts: string[]): Promise<number> {
  const ex = proClient(venue, sim);
  await ex.loadMarkets();
  const url = venue === "binance" ? `${ex.urls["api"].ws.spot}/0` : `${ex.urls["api"].ws}/public`;
  // The client object ccxt.pro would read the socket through; onMessage is what the socket's message event calls.
  const client = ex.client(url) as unknown as { onMessage(e: { data: string }): void };
  for (const t of texts.slice(0, 1000)) client.onMessage({ data: t });
  const start = cpuMs();
  for (const t of texts) client.onMessage({ data: t });
  const spent = cpuMs() - start;
  await ex.close();
  void symbols;
  return (spent * 1000) / texts.length;
}

/** Push → our client has the text, over a real socket: `rounds` quote changes for every symbol on both venues. */
async function pushLatency(sim: Simulator, symbols: string[], rounds: number) {
  const latencies: number[] = [];
  const streams: QuoteStream[] = [];
  const sentAt = new Map<string, number>();
  for (const venue of ["binance", "okx"] as const) {
    const protocol = PROTOCOLS[venue];
    const baseUrl = venue === "binance" ? sim.binance.baseUrl : sim.okx.baseUrl;
    const stream = new QuoteStream({
      url: protocol.url({ baseUrl, sandbox: false }),
      protocol,
      symbols,
      stallMs: 600_000,
      connect: (url) => {
        const ws = new WebSocket(url);
        ws.addEventListener("message", (e) => {
          const at = performance.now();
          const parsed = protocol.parse(String(e.data), protocol.ids(symbols));
          if (parsed.kind !== "top") return;
          const key = `${venue}|${parsed.top.symbol}|${parsed.top.bid}`;
          const sent = sentAt.get(key);
          if (sent !== undefined) {
            latencies.push(at - sent);
            sentAt.delete(key);
          }
        });
        return ws;
      },
    });
    stream.start();
    streams.push(stream);
  }
  for (let i = 0; i < 400 && !streams.every((s) => s.tops()?.size === symbols.length); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  for (let round = 1; round <= rounds; round++) {
    for (const venue of ["binance", "okx"] as const) {
      for (const symbol of symbols) {
        const bid = 1000 + round * 0.01;
        sim.market.setQuote(venue, symbol, { bid, ask: bid + 0.5 });
        sentAt.set(`${venue}|${symbol}|${bid}`, performance.now());
      }
    }
    // The hub pushes every changed top now (its timer would within 5 ms); time is taken from just before the push.
    for (const key of sentAt.keys()) sentAt.set(key, performance.now());
    sim.streams.pushChanged();
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const s of streams) await s.close();
  latencies.sort((a, b) => a - b);
  return { n: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { messages: { type: "string" }, rounds: { type: "string" } },
  });
  const messages = Number(values.messages ?? 20_000);
  const rounds = Number(values.rounds ?? 200);
  const config = defaultSimConfig();
  config.binance.priceStepIntervalMs = 0;
  config.okx.priceStepIntervalMs = 0;
  // 20 symbols on both venues: the configured ones plus copies under bench names.
  for (const venue of ["binance", "okx"] as const) {
    const base = config[venue].markets[0];
    for (let i = 1; config[venue].markets.length < 20; i++) {
      config[venue].markets.push({ ...base, symbol: `BENCH${i}/USDT` });
    }
  }
  const sim = await startSimulator({ seed: 1, config });
  try {
    const all = sim.engines.binance.markets().map((m) => m.symbol).filter((s) =>
      sim.engines.okx.markets().some((o) => o.symbol === s)
    );
    const four = all.slice(0, 4);
    console.log(
      `# stream bench: ${messages} messages per client, ${rounds} push rounds; symbols available ${all.length}`,
    );
    for (const venue of ["binance", "okx"] as const) {
      const texts = Array.from({ length: messages }, (_, i) => bookTickerText(venue, four[i % four.length], i));
      const own = await ownCostUs(venue, four, texts);
      const pro = await ccxtCostUs(venue, sim, four, texts);
      console.log(
        `${venue}: CPU per message: ours ${own.toFixed(1)} µs, ccxt.pro ${pro.toFixed(1)} µs (x${
          (pro / own).toFixed(1)
        })`,
      );
    }
    for (const n of [4, 20]) {
      const symbols = all.slice(0, n);
      if (symbols.length < n) {
        console.log(`2 venues x ${n}: only ${symbols.length} symbols listed on both venues; measured with those`);
      }
      const r = await pushLatency(sim, symbols, rounds);
      console.log(
        `2 venues x ${symbols.length} symbols: push -> top in our client p50 ${r.p50.toFixed(2)} ms, p99 ${
          r.p99.toFixed(2)
        } ms (n=${r.n})`,
      );
    }
  } finally {
    await sim.stop();
  }
}

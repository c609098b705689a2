/**
 * How the book-top channel (bot_settings.book_updates) decides a streamed burst's CPU on a busy market (issue 17):
 * the shipped trade-burst bundle, no trade allowed (trading on with a daily cap of 0 trades: streams up,
 * every changed top decided, every entry refused), 2 venues × 4
 * symbols, with the simulator's prices stepping every `--step-ms` (20 ms: each symbol's top changes 50 times a
 * second). `every_change` then receives every change (Binance bookTicker, OKX bbo-tbt); `conflated` at most one top per
 * symbol every 100 ms (Binance depth5@100ms, OKX tickers). The two settings alternate run by run in one process, so
 * the machine's drift falls on both. Prints medians of main-thread CPU per 20 s burst.
 *
 *   ./node_modules/.bin/deno task bench:book [--step-ms 20] [--runs 3] [--duration-ms 20000]
 */
import postgres from "postgres";
import { parseArgs } from "node:util";
import { startStack } from "../stack/stack.ts";
import { startSimulator } from "../sim/server.ts";
import { runOnce, type SqlRunner } from "./burst_bench.ts";
import { startDbProxy } from "./db_proxy.ts";
import { shippedEntry, startFunctionProcess } from "./function_process.ts";
import { benchFunctionEnv, benchSimConfig } from "./scenario.ts";
import { median } from "./stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    "step-ms": { type: "string", default: "20" },
    runs: { type: "string", default: "3" },
    "duration-ms": { type: "string", default: "20000" },
  },
});
const stepMs = Number(values["step-ms"]);
const runs = Number(values.runs);
const durationMs = Number(values["duration-ms"]);

const sim = await startSimulator({ seed: 11, config: benchSimConfig(stepMs) });
const stack = await startStack({ functions: false });
const proxy = startDbProxy(stack.gatewayUrl);
const sqlClient = postgres(stack.databaseUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
const env = benchFunctionEnv(stack.functionEnv, sim, proxy.url);
const deps = {
  sim,
  proxy,
  sql: sqlClient as unknown as SqlRunner,
  env,
  serviceRoleKey: stack.serviceRoleKey!,
  logDir: stack.logDir,
  stepMs,
};
const proc = await startFunctionProcess({ entry: await shippedEntry("trade-burst"), env, logDir: stack.logDir });
const settings = ["every_change", "conflated"] as const;
const cpu: Record<string, number[]> = { every_change: [], conflated: [] };
const messages: Record<string, number[]> = { every_change: [], conflated: [] };
try {
  for (let i = 0; i <= runs; i++) {
    for (const bookUpdates of settings) {
      const config = {
        venues: ["binance", "okx"] as ("binance" | "okx")[],
        symbols: 4,
        tickMs: 1_000,
        durationMs,
        runs: 1,
        shipped: true,
        idle: true,
        bookUpdates,
      };
      // Round 0 warms the process for both settings and is not counted.
      const run = await runOnce(deps, proc, config, i === 0 ? 1_000 : durationMs);
      if (i === 0) continue;
      cpu[bookUpdates].push(run.mainThreadCpuMs * (20_000 / run.burstMs));
      messages[bookUpdates].push(run.streamMessages ?? NaN);
      console.log(`${bookUpdates} #${i}: main-thread CPU ${run.mainThreadCpuMs} ms over ${run.burstMs} ms`);
    }
  }
  console.log(`step ${stepMs} ms (${1000 / stepMs} top changes a second per symbol), 2 venues × 4, no trade allowed:`);
  for (const s of settings) {
    console.log(
      `  ${s}: median main-thread CPU ${median(cpu[s]).toFixed(0)} ms per 20 s burst` +
        ` (${(median(cpu[s]) / 20).toFixed(1)} ms per burst second), stream messages ${median(messages[s])}`,
    );
  }
  const ratio = median(cpu.conflated) / median(cpu.every_change);
  console.log(`  conflated ÷ every_change: ${ratio.toFixed(2)}×`);
} finally {
  await proc.stop();
  await sqlClient.end();
  await proxy.stop();
  await stack.stop();
  await sim.stop();
}

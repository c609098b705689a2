// `deno run -A scripts/bench_regions.ts [--quick]`: issue 18's placement benchmark (dev/bench/region_bench.ts);
// prints the markdown section for docs/BENCHMARKS.md.
import { parseArgs } from "node:util";
import { renderRegionSection, runRegionBench } from "../dev/bench/region_bench.ts";

const { values } = parseArgs({ args: Deno.args, options: { quick: { type: "boolean", default: false } } });
const options = values.quick
  ? { runs: 1, durationMs: 5_000, tickMs: 200, stepMs: 200, symbols: 4 }
  : { runs: 3, durationMs: 10_000, tickMs: 200, stepMs: 200, symbols: 4 };
const results = await runRegionBench(options, (line) => console.error(`[bench] ${line}`));
console.log(renderRegionSection(results, options));

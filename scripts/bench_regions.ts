// `deno run -A scripts/bench_regions.ts [--quick]`: only issue 18's placement benchmark (dev/bench/region_bench.ts),
// on a stack of its own; prints its markdown section. `deno task bench` runs the same and writes it into
// docs/BENCHMARKS.md (section 7).
import { parseArgs } from "node:util";
import { regionBenchOptions, renderRegionSection, runRegionBench } from "../dev/bench/region_bench.ts";

const { values } = parseArgs({ args: Deno.args, options: { quick: { type: "boolean", default: false } } });
const options = regionBenchOptions(values.quick);
const results = await runRegionBench(options, (line) => console.error(`[bench] ${line}`));
console.log(renderRegionSection(results, options));

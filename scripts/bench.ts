// `deno task bench [--quick] [--out docs/BENCHMARKS.md] [--json results.json]`: runs the benchmarks against the
// local stack and the exchange simulator and writes the markdown report (and optionally the raw results).
// `--from-json results.json` only renders the report again from saved results.
//
// Full run: about 7 minutes on 2 cores (with issue 18's placements, section 7); --quick: about two minutes, one run
// per figure, for a smoke test.

import { parseArgs } from "node:util";
import { REPO_ROOT } from "../dev/stack/commands.ts";
import { benchOptions, type BenchResults, runBench } from "../dev/bench/run_all.ts";
import { renderReport } from "../dev/bench/report.ts";
import { carryHandSections } from "../dev/bench/hand_sections.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    out: { type: "string" },
    json: { type: "string" },
    "from-json": { type: "string" },
  },
  strict: true,
});

const out = values.out ?? `${REPO_ROOT}/docs/BENCHMARKS.md`;
const log = (line: string) => console.error(`[bench] ${line}`);
const results: BenchResults = values["from-json"]
  ? JSON.parse(await Deno.readTextFile(values["from-json"]))
  : await runBench(benchOptions(values.quick), log);
if (values.json) await Deno.writeTextFile(values.json, JSON.stringify(results, null, 2));
// The sections written by hand (their heading says so) survive the regeneration.
const previous = await Deno.readTextFile(out).catch(() => "");
await Deno.writeTextFile(out, carryHandSections(previous, renderReport(results)));
// The report lives in the repository, whose `deno fmt --check` covers markdown: hand it over formatted.
const formatted = await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", out], cwd: REPO_ROOT }).output();
if (!formatted.success) log(`deno fmt ${out} failed: ${new TextDecoder().decode(formatted.stderr)}`);
log(`wrote ${out} after ${results.totalSeconds.toFixed(0)} s`);

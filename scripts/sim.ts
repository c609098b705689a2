// `deno task sim [--seed N] [--config file.json] [--port N]`: runs the exchange simulator on loopback until Ctrl-C.
// The first stdout line is one JSON object with each venue's base URL and demo credentials and the admin URL.

import { parseArgs } from "node:util";
import { resolveSimConfig } from "../dev/sim/config.ts";
import { startSimulator } from "../dev/sim/server.ts";

function integerFlag(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`--${name} must be a non-negative integer, got ${raw}`);
    Deno.exit(2);
  }
  return value;
}

const { values } = parseArgs({
  args: Deno.args,
  options: { seed: { type: "string" }, config: { type: "string" }, port: { type: "string" } },
  strict: true,
});

let configFile: unknown = {};
if (values.config !== undefined) {
  try {
    configFile = JSON.parse(await Deno.readTextFile(values.config));
  } catch (error) {
    console.error(`--config ${values.config}: ${error instanceof Error ? error.message : error}`);
    Deno.exit(2);
  }
}
let config;
try {
  config = resolveSimConfig(configFile);
} catch (error) {
  console.error(`--config ${values.config}: ${error instanceof Error ? error.message : error}`);
  Deno.exit(2);
}

const sim = await startSimulator({
  seed: integerFlag("seed", values.seed, 1),
  port: integerFlag("port", values.port, 0),
  config,
});
console.log(JSON.stringify({ binance: sim.binance, okx: sim.okx, adminUrl: sim.adminUrl }));

const stop = async () => {
  await sim.stop();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);

/**
 * Where a function's start-up time goes when it runs from its sources (the bundle inlines the same libraries, with
 * only two of ccxt's exchanges): imports each library the functions use, in the order the functions load them, then builds the two ccxt exchanges as createCcxtClient does, timing each step. Prints one JSON object.
 * Specifiers are held in variables so Deno does not prefetch them before the timer starts.
 */
const steps: Record<string, number> = {};
steps["runtime until first line"] = performance.now();

async function timed<T>(name: string, action: () => Promise<T> | T): Promise<T> {
  const started = performance.now();
  const result = await action();
  steps[name] = performance.now() - started;
  return result;
}

const specifiers = { zod: "zod", postgrest: "@supabase/postgrest-js", ccxt: "ccxt" };
await timed("import zod", () => import(specifiers.zod));
await timed("import @supabase/postgrest-js", () => import(specifiers.postgrest));
const ccxt = await timed("import ccxt (whole package)", () => import(specifiers.ccxt));
const options = { defaultType: "spot", fetchMarkets: { types: ["spot"] } };
await timed("new ccxt.binance()", () => new ccxt.binance({ options }));
await timed("new ccxt.okx()", () => new ccxt.okx({ options }));
await timed("second new ccxt.binance()", () => new ccxt.binance({ options }));
console.log(JSON.stringify(steps));

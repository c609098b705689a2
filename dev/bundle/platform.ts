/**
 * ccxt's platform checks (`base/functions/platform.js`), answered for Deno, the only runtime the bundles run on (here
 * and in the Edge runtime). ccxt's own module reads the global `process` at module load to rule out Electron, Bun and
 * Windows; under Deno that global is a lazy getter that loads Deno's whole Node compatibility layer, about 15–25 ms of
 * a cold start here, and the bundles never use Node's `process` otherwise. The answers are the ones ccxt's module
 * gives under Deno (tests/unit/dev/bundle/platform_test.ts compares them export by export).
 */

/** Matches the specifier ccxt's `base/functions.js` and `base/functions/io.js` import the module by. */
export const CCXT_PLATFORM_SPECIFIER = /(^|\/)platform\.js$/;

export const CCXT_PLATFORM_FOR_DENO = [
  'const isBrowser = typeof window !== "undefined";',
  // Deno's `process.versions` names neither electron nor bun.
  "const isElectron = false;",
  'const isWebWorker = typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope;',
  'const isDeno = typeof Deno !== "undefined";',
  'const isWindows = isDeno && Deno.build?.os === "windows";',
  "const isBun = false;",
  "const isNode = !(isBrowser || isWebWorker || isDeno);",
  "export { isBrowser, isElectron, isWebWorker, isNode, isDeno, isBun, isWindows };",
  "",
].join("\n");

import assert from "node:assert/strict";
import { artifactPath, SHIPPED_FUNCTIONS } from "../../../../dev/bundle/build.ts";
import { CCXT_PLATFORM_FOR_DENO, CCXT_PLATFORM_SPECIFIER } from "../../../../dev/bundle/platform.ts";
import { REPO_ROOT } from "../../../../dev/stack/commands.ts";

Deno.test("the bundles' platform module answers as ccxt's own platform.js does under Deno", async () => {
  const ccxts = await import(`${REPO_ROOT}/node_modules/ccxt/js/src/base/functions/platform.js`);
  const ours = await import(`data:text/javascript;base64,${btoa(CCXT_PLATFORM_FOR_DENO)}`);
  assert.deepEqual({ ...ours }, { ...ccxts });
  assert.equal(ours.isDeno, true);
  assert.equal(ours.isNode, false);
  for (const specifier of ["./platform.js", "./functions/platform.js"]) {
    assert.ok(CCXT_PLATFORM_SPECIFIER.test(specifier), specifier);
  }
});

// Loads an artifact the way the stack starts it, with the global `process` getter wrapped to count its reads.
const COUNT_PROCESS_READS = `
const original = Object.getOwnPropertyDescriptor(globalThis, "process");
let reads = 0;
Object.defineProperty(globalThis, "process", {
  configurable: true,
  enumerable: original.enumerable,
  get() { reads++; return original.get.call(globalThis); },
  set: original.set,
});
await import(Deno.args[0]);
console.log(JSON.stringify({ reads }));
Deno.exit(0);
`;

Deno.test("no shipped artifact reads the global process while it loads (Deno's Node layer stays out)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const probe = `${dir}/count_process_reads.js`;
    await Deno.writeTextFile(probe, COUNT_PROCESS_READS);
    for (const name of SHIPPED_FUNCTIONS) {
      const output = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-prompt", probe, `file://${REPO_ROOT}/${artifactPath(name)}`],
        env: { DENO_SERVE_ADDRESS: "tcp:127.0.0.1:0", NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(output.stdout);
      assert.equal(output.code, 0, `${name}: ${new TextDecoder().decode(output.stderr)}`);
      assert.deepEqual(JSON.parse(stdout.trim().split("\n").at(-1)!), { reads: 0 }, name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

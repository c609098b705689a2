import assert from "node:assert/strict";
import { DEMO_USAGE, parseDemoArgs, UsageError } from "../../../../dev/run/args.ts";

const noEnv = () => undefined;

Deno.test("demo --regions turns the region model on; it is off by default and listed in the usage", () => {
  assert.equal(parseDemoArgs([], noEnv).regions, false);
  assert.equal(parseDemoArgs(["--regions"], noEnv).regions, true);
  assert.match(DEMO_USAGE, /--regions/);
  assert.throws(() => parseDemoArgs(["--regions=yes"], noEnv), UsageError);
});

import assert from "node:assert/strict";
import { parseDenoInfoSize } from "../../../../dev/bench/artifacts.ts";

Deno.test("the size line of `deno info` is read in Deno's binary units", () => {
  assert.equal(
    parseDenoInfoSize("local: /x/index.ts\ntype: TypeScript\ndependencies: 31 unique\nsize: 69.61MB\n"),
    69.61 * 1024 ** 2,
  );
  assert.equal(parseDenoInfoSize("size: 10.99KB"), 10.99 * 1024);
  assert.equal(parseDenoInfoSize("dependencies: 0 unique"), null);
});

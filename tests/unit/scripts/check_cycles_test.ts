import assert from "node:assert/strict";
import { findCycle, graphFromDenoInfo, type ImportGraph } from "../../../scripts/check_cycles.ts";

const graph = (edges: Record<string, string[]>): ImportGraph => new Map(Object.entries(edges));

Deno.test("a graph without a cycle has none, diamonds included", () => {
  assert.equal(findCycle(graph({ a: ["b", "c"], b: ["d"], c: ["d"], d: [] })), undefined);
  assert.equal(findCycle(graph({})), undefined);
  assert.equal(findCycle(graph({ a: ["x"] })), undefined, "an import of a module outside the graph is a leaf");
});

Deno.test("a two-module cycle is named with its first module repeated", () => {
  assert.deepEqual(findCycle(graph({ "admin.ts": ["server.ts"], "server.ts": ["admin.ts"] })), [
    "admin.ts",
    "server.ts",
    "admin.ts",
  ]);
});

Deno.test("a longer cycle behind an acyclic prefix is found, without the prefix", () => {
  const cycle = findCycle(graph({ entry: ["a"], a: ["b"], b: ["c"], c: ["a", "leaf"], leaf: [] }));
  assert.deepEqual(cycle, ["a", "b", "c", "a"]);
});

Deno.test("a self-import is a cycle", () => {
  assert.deepEqual(findCycle(graph({ a: ["a"] })), ["a", "a"]);
});

Deno.test("the graph from deno info keeps own modules, counts type-only imports, drops npm and outside files", () => {
  const root = "/repo";
  const built = graphFromDenoInfo(
    [
      { specifier: "file:///tmp/all.ts", dependencies: [{ code: { specifier: "file:///repo/dev/a.ts" } }] },
      {
        specifier: "file:///repo/dev/a.ts",
        dependencies: [
          { code: { specifier: "npm:zod@4.6.7" } },
          { type: { specifier: "file:///repo/dev/b.ts" } },
          { code: { specifier: "file:///elsewhere/c.ts" } },
        ],
      },
      { specifier: "file:///repo/dev/b.ts", dependencies: [{ code: { specifier: "file:///repo/dev/a.ts" } }] },
      { specifier: "npm:zod@4.6.7" },
    ],
    root,
    "/tmp/all.ts",
  );
  assert.deepEqual([...built], [["dev/a.ts", ["dev/b.ts"]], ["dev/b.ts", ["dev/a.ts"]]]);
  assert.deepEqual(findCycle(built), ["dev/a.ts", "dev/b.ts", "dev/a.ts"]);
});

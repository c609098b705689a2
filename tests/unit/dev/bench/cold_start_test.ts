import assert from "node:assert/strict";
import { fillCodeCache } from "../../../../dev/bench/cold_start.ts";

Deno.test("filling a code cache loads the entry in a process that exits; a broken entry fails by name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // The floor baseline calls Deno.serve at load: the filler returns anyway, because its process exits itself.
    await fillCodeCache("dev/bench/baseline_floor.ts", {}, dir);
    // An entry the bench writes itself (the two-class probe) is named by its absolute path.
    await Deno.writeTextFile(`${dir}/probe.js`, 'Deno.serve(() => new Response("ok"));\n');
    await fillCodeCache(`${dir}/probe.js`, {}, dir);
    await assert.rejects(
      fillCodeCache("dev/bench/no_such_entry.ts", {}, dir),
      /filling the code cache of dev\/bench\/no_such_entry\.ts failed: .*Module not found/s,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

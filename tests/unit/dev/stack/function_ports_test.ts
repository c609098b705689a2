import assert from "node:assert/strict";
import { FunctionRunner } from "../../../../dev/stack/functions.ts";

// A function whose port another stack took between the pick and the start must not be taken for ours: the port
// would answer with the other stack's function (seen as a 403 under a busy CI run).
Deno.test("FunctionRunner: a port taken after it was picked is replaced, not shared", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/echo`);
    await Deno.writeTextFile(`${dir}/echo/index.ts`, `Deno.serve(() => new Response("ours"));\n`);
    const runner = new FunctionRunner({ functionsDir: dir, names: ["echo"], logDir: dir });
    const picked = runner.target("echo")!;
    // Someone else listens there first, and answers.
    const other = Deno.serve(
      { hostname: picked.hostname, port: Number(picked.port), onListen() {} },
      () => new Response("theirs"),
    );
    try {
      await runner.startAll({});
      const used = runner.target("echo")!;
      assert.notEqual(used.port, picked.port, "moved to another port");
      assert.equal(await (await fetch(used)).text(), "ours");
    } finally {
      await runner.stopAll();
      await other.shutdown();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

import assert from "node:assert/strict";
import { departedAt, DepartureLog } from "../../../../dev/bench/order_departures.ts";
import { REPO_ROOT } from "../../../../dev/stack/commands.ts";

Deno.test("departedAt: the last stamp naming the order at or before its arrival", () => {
  const stamps = [
    { atPerf: 10, text: "POST /api/v3/order newClientOrderId=sbm1a" },
    { atPerf: 12, text: "POST /api/v3/order newClientOrderId=sbm2b" },
    { atPerf: 40, text: "POST /api/v3/order newClientOrderId=sbm1a" },
  ];
  assert.equal(departedAt(stamps, "sbm1a", 20), 10);
  assert.equal(departedAt(stamps, "sbm1a", 45), 40);
  assert.equal(departedAt(stamps, "sbm2b", 11), 12, "up to 1 ms after: the two processes' clocks are read apart");
  assert.equal(departedAt(stamps, "sbm2b", 10), undefined, "stamped after the arrival: not this order's");
  assert.equal(departedAt(stamps, "sbm3c", 50), undefined);
});

Deno.test("the preload stamps order POSTs handed to fetch, and only those, in a process of its own", async () => {
  const dir = await Deno.makeTempDir();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => new Response("{}"));
  const base = `http://127.0.0.1:${server.addr.port}`;
  const script = `${dir}/client.ts`;
  // Sends three requests, then waits on stdin so the test can read the stamps before it exits.
  await Deno.writeTextFile(
    script,
    `await (await fetch("${base}/binance/api/v3/order", { method: "POST", body: "newClientOrderId=x1" })).text();
await (await fetch("${base}/okx/api/v5/trade/batch-orders?a=1", { method: "POST", body: '[{"clOrdId":"y2"}]' })).text();
await (await fetch("${base}/binance/api/v3/orderList/oco", { method: "POST", body: "listClientOrderId=z3" })).text();
await (await fetch("${base}/binance/api/v3/order?newClientOrderId=q4")).text();
console.log("sent");
for await (const _ of Deno.stdin.readable) break;
`,
  );
  const log = new DepartureLog(`${dir}/departures.json`);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...log.denoArgs, script],
    cwd: REPO_ROOT,
    env: log.env,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = child.stdout.getReader();
    const first = await reader.read();
    assert.equal(new TextDecoder().decode(first.value).trim(), "sent");
    reader.releaseLock();
    const before = performance.now();
    const stamps = await log.take(child.pid);
    assert.deepEqual(stamps.map((s) => s.text.split(" ").at(-1)), ["newClientOrderId=x1", '[{"clOrdId":"y2"}]']);
    for (const s of stamps) assert.ok(s.atPerf < before, "stamped before the read, on this process's clock");
    assert.deepEqual(await log.take(child.pid), [], "a second read starts where the first ended");
  } finally {
    await child.stdin.close();
    await child.stdout.cancel().catch(() => {});
    await child.status;
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

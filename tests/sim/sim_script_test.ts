// `deno task sim` as a user runs it: one JSON line first, venues answer on loopback, SIGTERM stops it cleanly.

import assert from "node:assert/strict";

const DENO = Deno.execPath();
const SCRIPT = new URL("../../scripts/sim.ts", import.meta.url).pathname;

/** Reads stdout up to the first newline (bounded to 64 KiB). */
async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("\n") && text.length < 65_536) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  return text.split("\n")[0];
}

Deno.test("the sim script prints its URLs and keys as one JSON line and stops on SIGTERM", async () => {
  const child = new Deno.Command(DENO, {
    args: ["run", "-A", SCRIPT, "--seed", "5"],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), 60_000); // never outlive a broken test
  try {
    const info = JSON.parse(await firstLine(child.stdout));
    assert.match(info.binance.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/binance$/);
    assert.match(info.okx.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/okx$/);
    assert.ok(info.binance.apiKey && info.binance.secret && info.okx.passphrase);
    const time = await fetch(`${info.binance.baseUrl}/api/v3/time`).then((r) => r.json());
    assert.equal(typeof time.serverTime, "number");
    const admin = await fetch(`${info.adminUrl}/faults`).then((r) => r.json());
    assert.deepEqual(admin.faults, []);
    child.kill("SIGTERM");
    const status = await child.status;
    assert.equal(status.code, 0, "a clean exit, not death by signal");
  } finally {
    clearTimeout(killer);
    await child.stdout.cancel().catch(() => {});
  }
});

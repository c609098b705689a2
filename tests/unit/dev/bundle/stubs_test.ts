import assert from "node:assert/strict";
import { STUBS, stubSource } from "../../../../dev/bundle/stubs.ts";

async function load(source: string): Promise<Record<string, unknown>> {
  return await import(`data:text/javascript;base64,${btoa(source)}`);
}

Deno.test("a stub's exports throw when called, naming the module and the export", async () => {
  const stub = STUBS.find((candidate) => candidate.specifier.test("@scure/starknet"))!;
  const module = await load(stubSource(stub, "@scure/starknet"));
  assert.deepEqual(Object.keys(module).sort(), ["default", "ethSigToPrivate", "getStarkKey", "sign"]);
  assert.throws(
    () => (module.sign as () => void)(),
    (error: unknown) =>
      error instanceof Error && error.name === "StubCalledError" && error.message.includes("@scure/starknet") &&
      error.message.includes("sign was called"),
  );
  assert.throws(() => (module.default as () => void)(), /default was called/);
});

Deno.test("the node:crypto stub is an object whose createSign throws (ccxt's RSA signing)", async () => {
  const stub = STUBS.find((candidate) => candidate.specifier.test("crypto"))!;
  const module = await load(stubSource(stub, "crypto"));
  const crypto = module.default as { createSign: () => void };
  assert.throws(() => crypto.createSign(), /RSA-signed Binance API keys/);
});

Deno.test("every stub matches some specifier and nothing ccxt's two exchanges need", () => {
  for (const kept of ["./functions/crypto.js", "@noble/hashes/sha2.js", "@scure/base", "./ws/Client.js"]) {
    assert.equal(STUBS.filter((stub) => stub.specifier.test(kept)).length, 0, kept);
  }
});

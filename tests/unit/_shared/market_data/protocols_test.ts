import assert from "node:assert/strict";
import { binanceProtocol, okxProtocol } from "../../../../supabase/functions/_shared/market_data/protocols.ts";

const SYMBOLS = ["BTC/USDT", "ETH/USDT"];

Deno.test("binance: bookTicker push → top; acks ignored; garbage named", () => {
  const ids = binanceProtocol.ids(SYMBOLS);
  assert.deepEqual(
    binanceProtocol.parse(JSON.stringify({ u: 1, s: "ETHUSDT", b: "3000.1", B: "1", a: "3000.2", A: "2" }), ids),
    { kind: "top", top: { symbol: "ETH/USDT", bid: 3000.1, ask: 3000.2 } },
  );
  assert.deepEqual(binanceProtocol.parse(JSON.stringify({ result: null, id: 3 }), ids), { kind: "ignore" });
  assert.equal(binanceProtocol.parse("{nope", ids).kind, "garbage");
  const unknown = binanceProtocol.parse(JSON.stringify({ s: "XRPUSDT", b: "1", a: "1" }), ids);
  assert.deepEqual(unknown, { kind: "garbage", why: "s: not a subscribed symbol" });
  assert.equal(binanceProtocol.parse(JSON.stringify({ s: "BTCUSDT", b: 1, a: "2" }), ids).kind, "garbage");
  assert.deepEqual(JSON.parse(binanceProtocol.subscribe(["BTC/USDT"])[0]).params, ["btcusdt@bookTicker"]);
});

Deno.test("okx: tickers push → top; pong and subscribe events ignored; error event is garbage", () => {
  const ids = okxProtocol.ids(SYMBOLS);
  const push = {
    arg: { channel: "tickers", instId: "BTC-USDT" },
    data: [{ instId: "BTC-USDT", bidPx: "1", askPx: "2" }],
  };
  assert.deepEqual(okxProtocol.parse(JSON.stringify(push), ids), {
    kind: "top",
    top: { symbol: "BTC/USDT", bid: 1, ask: 2 },
  });
  assert.deepEqual(okxProtocol.parse("pong", ids), { kind: "ignore" });
  assert.deepEqual(okxProtocol.parse(JSON.stringify({ event: "subscribe", arg: {} }), ids), { kind: "ignore" });
  assert.equal(okxProtocol.parse(JSON.stringify({ event: "error", code: "60012" }), ids).kind, "garbage");
  assert.equal(
    okxProtocol.parse(JSON.stringify({ data: [{ instId: "BTC-USDT", bidPx: "0", askPx: "2" }] }), ids).kind,
    "garbage",
  );
});

Deno.test("stream URLs: under the base-URL override, else the venues' public or testnet endpoints", () => {
  assert.equal(
    binanceProtocol.url({ baseUrl: "http://127.0.0.1:9/binance", sandbox: false }),
    "ws://127.0.0.1:9/binance/ws",
  );
  assert.equal(
    okxProtocol.url({ baseUrl: "https://proxy.example/okx/", sandbox: false }),
    "wss://proxy.example/okx/ws/v5/public",
  );
  assert.equal(binanceProtocol.url({ baseUrl: null, sandbox: false }), "wss://stream.binance.com:9443/ws");
  assert.equal(okxProtocol.url({ baseUrl: null, sandbox: true }), "wss://wspap.okx.com:8443/ws/v5/public");
});

import assert from "node:assert/strict";
import {
  binanceBookTicker as binanceProtocol,
  binanceDepth5,
  okxBboTbt,
  okxTickers as okxProtocol,
  STREAM_PROTOCOLS,
} from "../../../../supabase/functions/_shared/market_data/protocols.ts";

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

Deno.test("binance depth5@100ms: the combined stream's envelope names the symbol; best of five levels", () => {
  const ids = binanceDepth5.ids(SYMBOLS);
  const push = {
    stream: "ethusdt@depth5@100ms",
    data: {
      lastUpdateId: 7,
      bids: [["3000.1", "1"], ["3000.0", "2"]],
      asks: [["3000.2", "1"], ["3000.3", "4"]],
    },
  };
  assert.deepEqual(binanceDepth5.parse(JSON.stringify(push), ids), {
    kind: "top",
    top: { symbol: "ETH/USDT", bid: 3000.1, ask: 3000.2 },
  });
  assert.deepEqual(binanceDepth5.parse(JSON.stringify({ result: null, id: 1 }), ids), { kind: "ignore" });
  assert.deepEqual(binanceDepth5.parse(JSON.stringify({ ...push, stream: "xrpusdt@depth5@100ms" }), ids), {
    kind: "garbage",
    why: "stream: not a subscribed stream",
  });
  // A raw push (no envelope) cannot be placed: garbage, so the socket is replaced rather than misread.
  assert.equal(binanceDepth5.parse(JSON.stringify(push.data), ids).kind, "garbage");
  assert.equal(
    binanceDepth5.parse(JSON.stringify({ ...push, data: { bids: [], asks: [["1", "1"]] } }), ids).kind,
    "garbage",
  );
  assert.deepEqual(JSON.parse(binanceDepth5.subscribe(["BTC/USDT"])[0]).params, ["btcusdt@depth5@100ms"]);
  assert.equal(binanceDepth5.url({ baseUrl: null, sandbox: false }), "wss://stream.binance.com:9443/stream");
  assert.equal(binanceDepth5.url({ baseUrl: null, sandbox: true }), "wss://stream.testnet.binance.vision/stream");
});

Deno.test("okx bbo-tbt: the instrument is in arg; best bid and ask from the levels", () => {
  const ids = okxBboTbt.ids(SYMBOLS);
  const push = {
    arg: { channel: "bbo-tbt", instId: "BTC-USDT" },
    data: [{ asks: [["60010", "1", "0", "1"]], bids: [["60000", "2", "0", "1"]], ts: "1" }],
  };
  assert.deepEqual(okxBboTbt.parse(JSON.stringify(push), ids), {
    kind: "top",
    top: { symbol: "BTC/USDT", bid: 60000, ask: 60010 },
  });
  assert.deepEqual(okxBboTbt.parse("pong", ids), { kind: "ignore" });
  assert.equal(okxBboTbt.parse(JSON.stringify({ event: "error", code: "60012" }), ids).kind, "garbage");
  assert.equal(okxBboTbt.parse(JSON.stringify({ ...push, arg: { channel: "bbo-tbt" } }), ids).kind, "garbage");
  assert.equal(okxBboTbt.parse("{nope", ids).kind, "garbage");
  assert.deepEqual(JSON.parse(okxBboTbt.subscribe(["ETH/USDT"])[0]).args, [{ channel: "bbo-tbt", instId: "ETH-USDT" }]);
});

Deno.test("book_updates picks the channel: conflated at most every 100 ms, every_change on each change", () => {
  assert.deepEqual(
    Object.fromEntries(
      Object.entries(STREAM_PROTOCOLS).map(([venue, byUpdates]) => [
        venue,
        { conflated: byUpdates.conflated.channel, every_change: byUpdates.every_change.channel },
      ]),
    ),
    {
      binance: { conflated: "depth5@100ms", every_change: "bookTicker" },
      okx: { conflated: "tickers", every_change: "bbo-tbt" },
    },
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

import assert from "node:assert/strict";
import {
  binanceOrderProtocol,
  okxOrderProtocol,
} from "../../../../supabase/functions/_shared/order_stream/protocols.ts";
import { binancePayload } from "../../../../supabase/functions/_shared/order_stream/signing.ts";

const REPORT = {
  e: "executionReport",
  E: 1,
  s: "ETHUSDT",
  c: "web_x",
  C: "ours1",
  S: "BUY",
  x: "CANCELED",
  X: "CANCELED",
  i: 42,
  l: "0.00000000",
  z: "0.01000000",
  Z: "30.00000000",
  n: "0",
  N: null,
};

Deno.test("binance: an executionReport becomes a push (a cancel names the order by C); answers and other events", () => {
  const parsed = binanceOrderProtocol.parse(JSON.stringify({ subscriptionId: 0, event: REPORT }));
  assert.equal(parsed.kind, "order");
  if (parsed.kind !== "order") return;
  assert.deepEqual(
    [parsed.push.exchangeOrderId, parsed.push.clientOrderId, parsed.push.status, parsed.push.filled, parsed.push.cost],
    ["42", "ours1", "cancelled", 0.01, 30],
  );
  assert.equal(parsed.push.lastFilled, 0, "not a fill");
  assert.equal(parsed.push.fee, null);
  const trade = binanceOrderProtocol.parse(JSON.stringify({
    subscriptionId: 0,
    event: { ...REPORT, c: "ours1", C: "", x: "TRADE", X: "FILLED", l: "0.01", n: "0.00001", N: "ETH" },
  }));
  assert.ok(trade.kind === "order" && trade.push.lastFilled === 0.01 && trade.push.fee?.scope === "last");
  const balance = { subscriptionId: 0, event: { e: "outboundAccountPosition", B: [] } };
  assert.deepEqual(binanceOrderProtocol.parse(JSON.stringify(balance)), { kind: "ignore" });
  assert.deepEqual(
    binanceOrderProtocol.parse(JSON.stringify({ id: "sub-1", status: 200, result: { subscriptionId: 0 } })),
    { kind: "subscribed" },
  );
  const refused = binanceOrderProtocol.parse(
    JSON.stringify({
      id: "sub-2",
      status: 400,
      error: { code: -1022, msg: "Signature for this request is not valid." },
    }),
  );
  assert.deepEqual(refused, { kind: "refused", why: "-1022 Signature for this request is not valid." });
});

Deno.test("binance: malformed reports are garbage, named by field", () => {
  const bad = (event: unknown) => binanceOrderProtocol.parse(JSON.stringify({ subscriptionId: 0, event }));
  assert.match((bad({ ...REPORT, z: 0.01 }) as { why: string }).why, /^executionReport: z:/);
  assert.match((bad({ ...REPORT, X: "LOST" }) as { why: string }).why, /X:/);
  assert.match((bad({ ...REPORT, i: "42" }) as { why: string }).why, /i:/);
  assert.equal(binanceOrderProtocol.parse("\u0000{not json").kind, "garbage");
});

Deno.test("okx: login answer sends the subscription; order pushes with the accumulated fee; errors refuse", () => {
  const login = okxOrderProtocol.parse(JSON.stringify({ event: "login", code: "0", msg: "", connId: "c" }));
  assert.equal(login.kind, "ignore");
  assert.deepEqual(JSON.parse(login.send![0]), {
    op: "subscribe",
    args: [{ channel: "orders", instType: "SPOT" }, { channel: "orders-algo", instType: "SPOT" }],
  });
  assert.deepEqual(
    okxOrderProtocol.parse(JSON.stringify({ event: "subscribe", arg: { channel: "orders" } })),
    { kind: "ignore" },
    "live only once both channels are",
  );
  assert.deepEqual(
    okxOrderProtocol.parse(JSON.stringify({ event: "subscribe", arg: { channel: "orders-algo" } })),
    { kind: "subscribed" },
  );
  assert.deepEqual(
    okxOrderProtocol.parse(JSON.stringify({ event: "error", code: "60007", msg: "Invalid sign." })),
    { kind: "refused", why: "60007 Invalid sign." },
  );
  const order = {
    instId: "ETH-USDT",
    ordId: "7",
    clOrdId: "ours",
    state: "partially_filled",
    accFillSz: "0.03",
    fillSz: "0.01",
    avgPx: "3000",
    fee: "-0.00003",
    feeCcy: "ETH",
  };
  const parsed = okxOrderProtocol.parse(JSON.stringify({ arg: { channel: "orders" }, data: [order] }));
  assert.ok(parsed.kind === "order");
  if (parsed.kind !== "order") return;
  assert.deepEqual(
    [parsed.push.status, parsed.push.filled, parsed.push.lastFilled, parsed.push.cost, parsed.push.fee],
    ["partially_filled", 0.03, 0.01, 90, { cost: 0.00003, currency: "ETH", scope: "total" }],
  );
  const garbage = okxOrderProtocol.parse(
    JSON.stringify({ arg: { channel: "orders" }, data: [{ ...order, state: 3 }] }),
  );
  assert.match((garbage as { why: string }).why, /^orders: state:/);
  assert.deepEqual(okxOrderProtocol.parse("pong"), { kind: "ignore" });

  const fired = {
    instId: "ETH-USDT",
    algoId: "A1",
    algoClOrdId: "L1",
    state: "effective",
    actualSide: "tp",
    ordId: "77",
    ordIdList: ["77"],
  };
  const algo = okxOrderProtocol.parse(JSON.stringify({ arg: { channel: "orders-algo" }, data: [fired] }));
  assert.ok(algo.kind === "algo");
  if (algo.kind !== "algo") return;
  assert.deepEqual(
    [algo.algo.algoId, algo.algo.listClientId, algo.algo.state, algo.algo.triggeredLeg, algo.algo.orderId],
    ["A1", "L1", "triggered", "take_profit", "77"],
  );
  const noSide = okxOrderProtocol.parse(
    JSON.stringify({ arg: { channel: "orders-algo" }, data: [{ ...fired, actualSide: "" }] }),
  );
  assert.equal(noSide.kind, "garbage", "a fired algo must say which leg fired");
});

Deno.test("open: Binance signs its params sorted by name; OKX logs in with seconds; URLs under the override", async () => {
  const creds = { apiKey: "key", secret: "secret", password: "pass" };
  const [sub] = await binanceOrderProtocol.open(creds, 1_700_000_000_123);
  const { method, params } = JSON.parse(sub);
  assert.equal(method, "userDataStream.subscribe.signature");
  assert.deepEqual([params.apiKey, params.timestamp], ["key", 1_700_000_000_123]);
  assert.match(params.signature, /^[0-9a-f]{64}$/);
  assert.equal(binancePayload({ timestamp: 2, apiKey: "k", signature: "x" }), "apiKey=k&timestamp=2");
  const [login] = await okxOrderProtocol.open(creds, 1_700_000_000_999);
  const arg = JSON.parse(login).args[0];
  assert.deepEqual([arg.apiKey, arg.passphrase, arg.timestamp], ["key", "pass", "1700000000"]);
  assert.equal(
    binanceOrderProtocol.url({ baseUrl: "http://127.0.0.1:9/binance", sandbox: false }),
    "ws://127.0.0.1:9/binance/ws-api/v3",
  );
  assert.equal(okxOrderProtocol.url({ baseUrl: null, sandbox: false }), "wss://ws.okx.com:8443/ws/v5/private");
});

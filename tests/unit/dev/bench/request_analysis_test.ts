import assert from "node:assert/strict";
import type { DbRequest, OrderInsert } from "../../../../dev/bench/db_proxy.ts";
import { armedRecordOf, batchRecordOf, orderInsertOf, restResource } from "../../../../dev/bench/db_proxy.ts";
import {
  countDbRequests,
  countVenueRequests,
  entryLatencies,
  pushToOrderLatencies,
  type VenueRequest,
} from "../../../../dev/bench/request_analysis.ts";

const venue = (venue: string, method: string, path: string, arrivedAt: number, respondedAt = arrivedAt + 1) => ({
  venue,
  method,
  path,
  arrivedAt,
  respondedAt,
});

let nextId = 1;
function db(
  method: string,
  resource: string,
  arrivedAt: number,
  respondedAt: number,
  insert?: OrderInsert,
) {
  return {
    id: nextId++,
    method,
    path: `/rest/v1/${resource}`,
    resource,
    arrivedAt,
    respondedAt,
    status: 201,
    ...(insert ? { orderInserts: [insert] } : {}),
  } satisfies DbRequest;
}

// Tick 1 on binance: ticker answered at 101; two entries (each: balance, insert, order); an exit on tick 2.
const venueLog: VenueRequest[] = [
  venue("binance", "GET", "/api/v3/ticker/bookTicker", 100, 101),
  venue("binance", "GET", "/api/v3/account", 110, 111),
  venue("binance", "POST", "/api/v3/order", 320, 322),
  venue("binance", "GET", "/api/v3/account", 330, 331),
  venue("binance", "POST", "/api/v3/order", 540, 541),
  venue("okx", "GET", "/api/v5/market/tickers", 105, 106),
  venue("okx", "POST", "/api/v5/trade/batch-orders", 200, 201),
  venue("binance", "GET", "/api/v3/ticker/bookTicker", 1000, 1001),
  venue("binance", "POST", "/api/v3/order", 1050, 1051),
];
const dbLog: DbRequest[] = [
  db("GET", "orders", 102, 104),
  db("POST", "orders", 112, 115, { venue: "binance", purpose: "entry", clientOrderId: "a" }),
  db("POST", "orders", 150, 152, { venue: "okx", purpose: "entry", clientOrderId: "o" }),
  db("POST", "orders", 332, 336, { venue: "binance", purpose: "entry", clientOrderId: "b" }),
  db("POST", "orders", 1010, 1012, { venue: "binance", purpose: "exit", clientOrderId: "x" }),
];

Deno.test("entry latency runs from the tick's ticker answer to the order's arrival", async (t) => {
  const binance = entryLatencies(venueLog, dbLog, "binance");
  await t.step(
    "exits are paired but not reported",
    () => assert.deepEqual(binance.map((e) => e.clientOrderId), ["a", "b"]),
  );
  await t.step("both entries of tick 1 count from its ticker answer", () => {
    assert.deepEqual(binance.map((e) => e.latencyMs), [320 - 101, 540 - 101]);
    assert.deepEqual(binance.map((e) => e.tickerRespondedAt), [101, 101]);
  });
  await t.step("insert time and insert → order gap", () => {
    assert.deepEqual(binance.map((e) => e.insertMs), [3, 4]);
    assert.deepEqual(binance.map((e) => e.sendMs), [320 - 115, 540 - 336]);
  });
  await t.step("requests on the path: DB of every venue, venue requests of the same venue only", () => {
    assert.deepEqual(binance.map((e) => e.dbRequestsOnPath), [3, 4]);
    assert.deepEqual(binance.map((e) => e.venueRequestsOnPath), [1, 3]);
  });
  await t.step("OKX orders placed through batch-orders are found", () => {
    const okx = entryLatencies(venueLog, dbLog, "okx");
    assert.deepEqual(okx.map((e) => [e.clientOrderId, e.latencyMs]), [["o", 200 - 106]]);
  });
  await t.step("an insert whose order never arrived yields nothing", () => {
    const withoutOrders = venueLog.filter((r) => r.method !== "POST");
    assert.deepEqual(entryLatencies(withoutOrders, dbLog, "binance"), []);
  });
});

Deno.test("an armed entry (rows written after the send) counts from its ticker to the order, no insert on the path", () => {
  // Tick at 2000: ticker answered at 2001, two armed entries sent at once, each recorded after its answer.
  const armedVenue: VenueRequest[] = [
    venue("binance", "GET", "/api/v3/ticker/bookTicker", 2000, 2001),
    venue("binance", "POST", "/api/v3/order", 2003, 2005),
    venue("binance", "POST", "/api/v3/order", 2004, 2007),
    venue("binance", "GET", "/api/v3/ticker/bookTicker", 2100, 2101),
  ];
  const armedDb: DbRequest[] = [
    db("POST", "rpc/record_armed_entry", 2006, 2009, {
      venue: "binance",
      purpose: "entry",
      clientOrderId: "p",
      armed: true,
    }),
    db("POST", "rpc/record_armed_entry", 2008, 2011, {
      venue: "binance",
      purpose: "entry",
      clientOrderId: "q",
      armed: true,
    }),
  ];
  const latencies = entryLatencies(armedVenue, armedDb, "binance");
  assert.deepEqual(latencies.map((e) => [e.clientOrderId, e.latencyMs, e.insertMs, e.dbRequestsOnPath]), [
    ["p", 2003 - 2001, 0, 0],
    ["q", 2004 - 2001, 0, 0],
  ]);
});

Deno.test("request counts per venue and per DB resource", () => {
  const counts = countVenueRequests(venueLog, "binance", 2);
  assert.equal(counts.tickerRequests, 2);
  assert.equal(counts.allRequests, 7);
  assert.equal(counts.byEndpoint["POST /api/v3/order"], 3);
  assert.deepEqual(countDbRequests(dbLog), { "GET orders": 1, "POST orders": 4 });
});

Deno.test("the DB proxy names resources and reads orders inserts", () => {
  assert.equal(restResource("/rest/v1/orders"), "orders");
  assert.equal(restResource("/rest/v1/rpc/acquire_venue_lease"), "rpc/acquire_venue_lease");
  assert.equal(restResource("/health"), "/health");
  const row = { venue: "okx", purpose: "exit", client_order_id: "c1", amount: 1 };
  assert.deepEqual(orderInsertOf([row]), { venue: "okx", purpose: "exit", clientOrderId: "c1" });
  assert.deepEqual(orderInsertOf(row), { venue: "okx", purpose: "exit", clientOrderId: "c1" });
  assert.equal(orderInsertOf({ venue: "okx" }), undefined);
  assert.equal(orderInsertOf(null), undefined);
  assert.deepEqual(armedRecordOf({ p_armed_id: "x", p_order: row }), [{ ...orderInsertOf(row), armed: true }]);
  const leg = { ...row, client_order_id: "l1", purpose: "take_profit" };
  assert.deepEqual(batchRecordOf({ p_order_patches: [], p_new_orders: [leg, row] }), [orderInsertOf(row)]);
  assert.deepEqual(batchRecordOf({ p_new_orders: [leg] }), [], "protection legs are not paired with order posts");
  assert.deepEqual(batchRecordOf({ p_order_patches: [] }), []);
  assert.deepEqual(armedRecordOf({ p_armed_id: "x" }), []);
  const entry = { ...row, client_order_id: "e1", purpose: "entry" };
  assert.deepEqual(
    batchRecordOf({ p_armed_entries: [{ armed_id: "x", position: {}, order: entry }], p_new_orders: [row] }),
    [{ ...orderInsertOf(entry), armed: true }, orderInsertOf(row)],
    "a batch's armed entries, then its new entries and exits",
  );
});

Deno.test("push → order: an armed entry counts from its symbol's last top, or the first update of the symbol after it", () => {
  const venues: VenueRequest[] = [
    venue("binance", "POST", "/api/v3/order", 3010, 3012),
    venue("binance", "POST", "/api/v3/order", 3050, 3052),
  ];
  const records: DbRequest[] = [
    db("POST", "rpc/record_armed_entry", 3013, 3015, {
      venue: "binance",
      purpose: "entry",
      clientOrderId: "e1",
      symbol: "ETH/USDT",
      armed: true,
    }),
    db("POST", "rpc/record_armed_entry", 3053, 3055, {
      venue: "binance",
      purpose: "entry",
      clientOrderId: "e2",
      symbol: "BTC/USDT",
      armed: true,
    }),
  ];
  const pushes = [
    { venue: "binance", symbol: "ETH/USDT", sentAt: 3000 },
    { venue: "binance", symbol: "ETH/USDT", sentAt: 3008 },
    { venue: "binance", symbol: "BTC/USDT", sentAt: 3020 },
    // After the order: not the push that decided it.
    { venue: "binance", symbol: "BTC/USDT", sentAt: 3051 },
  ];
  assert.deepEqual(pushToOrderLatencies(venues, records, pushes, "binance"), [
    { ms: 3010 - 3008, trigger: "top" },
    { ms: 3050 - 3020, trigger: "top" },
  ]);
  assert.deepEqual(pushToOrderLatencies(venues, records, [], "binance"), [], "no push: nothing paired");
  const withUpdates = [
    ...pushes,
    // ETH: an update of another symbol, and one of ETH before its last top, are not the trigger.
    { venue: "binance", symbol: "BTC/USDT", sentAt: 3009, kind: "order" as const },
    { venue: "binance", symbol: "ETH/USDT", sentAt: 3005, kind: "order" as const },
    // BTC: two updates after its last top (the cancel of its unfilled entry, then another of the symbol): the first.
    { venue: "binance", symbol: "BTC/USDT", sentAt: 3040, kind: "order" as const },
    { venue: "binance", symbol: "BTC/USDT", sentAt: 3046, kind: "order" as const },
  ].sort((a, b) => a.sentAt - b.sentAt);
  assert.deepEqual(pushToOrderLatencies(venues, records, withUpdates, "binance"), [
    { ms: 3010 - 3008, trigger: "top" },
    { ms: 3050 - 3040, trigger: "order_update" },
  ]);
  // Departure stamps: e1 handed to fetch at 3009.5 (a stamp of it after its arrival is another request); none of e2.
  const departures = [
    { atPerf: 3009.5, text: "http://sim/binance/api/v3/order newClientOrderId=e1&side=BUY" },
    { atPerf: 3030, text: "http://sim/binance/api/v3/order newClientOrderId=e1&side=SELL" },
  ];
  assert.deepEqual(pushToOrderLatencies(venues, records, pushes, "binance", departures), [
    { ms: 3010 - 3008, handedOverMs: 3009.5 - 3008, trigger: "top" },
    { ms: 3050 - 3020, trigger: "top" },
  ]);
});

Deno.test("armed entries recorded together in a later batch pair with their own orders by client order id", () => {
  // Two armed entries sent at 4003 and 4004 (ETH, then BTC); their rows travel together in the tick's commit at 4020.
  // By time alone ETH's record, read first, would take the last POST before the commit (BTC's); by id each finds its
  // own.
  const orders: VenueRequest[] = [
    { ...venue("binance", "GET", "/api/v3/ticker/bookTicker", 4000, 4001) },
    { ...venue("binance", "POST", "/api/v3/order", 4003, 4005), clientOrderIds: ["eth1"] },
    { ...venue("binance", "POST", "/api/v3/order", 4004, 4006), clientOrderIds: ["btc1"] },
  ];
  const commit: DbRequest = {
    ...db("POST", "rpc/apply_burst_writes", 4020, 4024),
    orderInserts: [
      { venue: "binance", purpose: "entry", clientOrderId: "eth1", symbol: "ETH/USDT", armed: true },
      { venue: "binance", purpose: "entry", clientOrderId: "btc1", symbol: "BTC/USDT", armed: true },
    ],
  };
  const latencies = entryLatencies(orders, [commit], "binance");
  assert.deepEqual(latencies.map((e) => [e.clientOrderId, e.latencyMs, e.insertMs]), [
    ["eth1", 4003 - 4001, 0],
    ["btc1", 4004 - 4001, 0],
  ]);
  const pushes = [
    { venue: "binance", symbol: "ETH/USDT", sentAt: 4002 },
    { venue: "binance", symbol: "BTC/USDT", sentAt: 4000 },
  ];
  assert.deepEqual(pushToOrderLatencies(orders, [commit], pushes, "binance").map((p) => p.ms), [
    4003 - 4002,
    4004 - 4000,
  ]);
  const withoutIds = orders.map(({ clientOrderIds: _ids, ...rest }) => rest);
  assert.deepEqual(
    entryLatencies(withoutIds, [commit], "binance").map((e) => [e.clientOrderId, e.latencyMs]),
    [["eth1", 4004 - 4001], ["btc1", 4003 - 4001]],
    "what pairing by time alone would have said",
  );
});

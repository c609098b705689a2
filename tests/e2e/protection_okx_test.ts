/**
 * Protection on the venue for OKX, end to end (issue 15): trade-burst served by the local stack, unmodified ccxt
 * talking to the simulator's OKX oco algo orders. After the entry fills the burst places one `oco` algo (take-profit
 * limit at the target, stop-limit below) for what the position holds; its two legs are two `orders` rows over the one
 * algo (algo_legs.ts). Then no function runs while the simulated price moves, the venue fires a leg by itself, and the
 * next burst reconciles the position from the fills. Figures are checked against the simulator's own trades and
 * algos, not the bot's arithmetic.
 */
import assert from "node:assert/strict";
import { defaultBinanceConfig, defaultOkxConfig } from "../../dev/sim/config.ts";
import type { PricePoint } from "../../dev/sim/types.ts";
import { startSimulator } from "../../dev/sim/server.ts";
import { burstBudgetMs, reportCounts, resetTables, rising, ROUND_TRIP_TICKS, setPath } from "../support/reliability.ts";
import { type Sql, withSql } from "../support/sql.ts";
import { keyHeaders, serverKey, type Stack, stackTest } from "../support/stack.ts";
import { simulatorEnv } from "../support/sim_env.ts";

const FILE = "protection_okx";
const okxConfig = defaultOkxConfig();
okxConfig.priceStepIntervalMs = 200;
okxConfig.marketList = "short";
const sim = await startSimulator({ seed: 22, config: { binance: defaultBinanceConfig(), okx: okxConfig } });
globalThis.addEventListener("unload", () => void sim.stop());
const okx = sim.engines.okx;
const account = okx.listAccounts()[0].id;
const ETH = "ETH/USDT";
const dip: PricePoint = { bid: 2999.9, ask: 3000 };

interface Row {
  client_order_id: string;
  exchange_order_id: string | null;
  purpose: string;
  type: string;
  order_status: string;
  amount: string;
  filled: string;
  price: string | null;
  trigger_price: string | null;
  list_client_id: string | null;
  exchange_list_id: string | null;
  fee_cost: string | null;
  last_error: string | null;
}
const rows = (sql: Sql) =>
  sql<Row[]>`select client_order_id, exchange_order_id, purpose, type, order_status, amount::text, filled::text,
                    price::text, trigger_price::text, list_client_id, exchange_list_id, fee_cost::text, last_error
             from public.orders order by created_at, client_order_id`;
const positions = (sql: Sql) =>
  sql<{ status: string; exit_reason: string | null; realized_pnl: string | null }[]>`
    select status, exit_reason, realized_pnl::text from public.positions`;
const num = (text: string | null) => Number(text);
const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-8, `${what}: ${a} vs ${b} (diff ${a - b})`);

async function burst(stack: Stack, body: unknown) {
  const res = await fetch(`${stack.gatewayUrl}/functions/v1/trade-burst`, {
    method: "POST",
    headers: { "content-type": "application/json", ...keyHeaders(serverKey(stack)) },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  assert.equal(res.status, 200, JSON.stringify(json));
  return json;
}

const liveAlgos = () => okx.algoOrders(account).filter((a) => a.state === "live");
const openAtVenue = () => okx.openOrders(account, ETH);

/** The realized PnL of the round trip from the simulator's trades: entries by client id, exits by order id. */
function pnlFromSim(entryIds: string[], exitOrderIds: string[]) {
  const trades = okx.myTrades(account, { symbol: ETH });
  const entry = trades.filter((t) => entryIds.includes(t.clientOrderId));
  const exit = trades.filter((t) => exitOrderIds.includes(t.orderId));
  assert.ok(entry.length > 0 && exit.length > 0, "the simulator filled the entry and the exit");
  assert.ok(entry.every((t) => t.feeAsset === "ETH") && exit.every((t) => t.feeAsset === "USDT"));
  const sum = (list: typeof trades, f: (t: (typeof trades)[number]) => number) => list.reduce((s, t) => s + f(t), 0);
  const held = sum(entry, (t) => t.amount) - sum(entry, (t) => t.fee);
  const sold = sum(exit, (t) => t.amount);
  return {
    pnl: sum(exit, (t) => t.cost) - sum(exit, (t) => t.fee) - sum(entry, (t) => t.cost) * (sold / held),
    exitTrades: exit,
  };
}

/**
 * The venue's orders and algos against our rows: every order is a row (by our client order id, or by exchange id for
 * the order an algo created) with the same status, fill, fee (1e-8) and id, every algo is the list of two leg rows;
 * nothing at the venue twice.
 */
async function venueAgainstTables(sql: Sql, sinceMs: number) {
  const all = await rows(sql);
  const lost: string[] = [];
  const status: Record<string, string> = {
    new: "open",
    partially_filled: "partially_filled",
    filled: "filled",
    canceled: "cancelled",
    expired: "expired",
  };
  for (const order of okx.allOrders(account).filter((o) => o.createdAt >= sinceMs)) {
    const row = all.find((r) => r.client_order_id === order.clientOrderId || r.exchange_order_id === order.orderId);
    if (!row) lost.push(`order ${order.orderId}`);
    else if (
      row.order_status !== status[order.status] || Math.abs(num(row.filled) - order.filled) > 1e-9 ||
      row.exchange_order_id !== order.orderId ||
      (order.filled > 0 && Math.abs(num(row.fee_cost) - order.feeTotal) > 1e-8)
    ) {
      lost.push(
        `order ${order.orderId} as ${row.order_status} ${row.filled} ${row.fee_cost} vs ${order.status} ${order.filled}`,
      );
    }
  }
  const algos = okx.algoOrders(account).filter((a) => a.createdAt >= sinceMs);
  for (const algo of algos) {
    const legs = all.filter((r) => r.exchange_list_id === algo.algoId && r.list_client_id === algo.clientAlgoId);
    if (legs.length !== 2) lost.push(`algo ${algo.algoId} (${legs.length} leg rows)`);
  }
  const clientIds = okx.allOrders(account).map((o) => o.clientOrderId).filter((id) => id.startsWith("sb"));
  const algoIds = algos.map((a) => a.clientAlgoId);
  const doubled = [...clientIds, ...algoIds].filter((id, i, list) => list.indexOf(id) !== i);
  return { lost, doubled };
}

stackTest("protection on the venue: OKX oco algos hold positions while no function runs", {
  functions: ["trade-burst"],
  functionEnv: simulatorEnv(sim),
}, async (t, stack) => {
  const entryBurst = { duration_ms: burstBudgetMs(ROUND_TRIP_TICKS), venues: ["okx"], symbols: [ETH] };
  const shortBurst = { duration_ms: burstBudgetMs(4), venues: ["okx"], symbols: [ETH] };

  await withSql(stack.databaseUrl, async (sql) => {
    let since = 0;
    const reset = async (settings: Record<string, string | number | boolean> = {}) => {
      await resetTables(sql, { exit_protection: true, time_stop_seconds: 3_600, ...settings });
      for (const algo of liveAlgos()) okx.cancelAlgo(account, algo.algoId);
      for (const order of openAtVenue()) okx.cancelOrder(account, { orderId: order.orderId }, ETH);
      sim.market.setBalance("okx", "USDT", 10_000);
      sim.market.setBalance("okx", "ETH", 0);
      since = Date.now();
    };
    /** Checks the venue against the tables and prints the scenario's RELIABILITY line. */
    const report = async (scenario: string, faultsInjected: number) => {
      const { lost, doubled } = await venueAgainstTables(sql, since);
      reportCounts(FILE, scenario, {
        faults_injected: faultsInjected,
        calls_refused: 0,
        orders_lost: lost.length,
        orders_doubled: doubled.length,
      });
      assert.deepEqual(lost, [], "everything the venue holds is in the tables");
      assert.deepEqual(doubled, [], "nothing placed twice");
    };

    /** Burst 1: the entry fills and one oco algo rests on the venue for what the position holds. Returns the legs. */
    const enterAndProtect = async () => {
      setPath(sim, "okx", ETH, [...rising(3000, 10), dip]);
      await burst(stack, entryBurst);
      const all = await rows(sql);
      const legs = all.filter((o) => o.purpose !== "entry");
      assert.deepEqual(legs.map((o) => [o.purpose, o.type, o.order_status]).sort(), [
        ["stop_loss", "stop", "open"],
        ["take_profit", "limit", "open"],
      ]);
      assert.notEqual(legs[0].client_order_id, legs[1].client_order_id, "each leg its own client order id");
      assert.equal(legs[0].list_client_id, legs[1].list_client_id);
      assert.ok(legs.every((o) => o.exchange_order_id === null), "no order at the venue while the algo rests");
      const [algo, ...others] = liveAlgos();
      assert.equal(others.length, 0, "one algo for both legs");
      assert.ok(legs.every((o) => o.exchange_list_id === algo.algoId), "both rows carry the algoId as list id");
      assert.equal(algo.clientAlgoId, legs[0].list_client_id, "our list client id is the algoClOrdId");
      assert.equal(algo.kind, "oco");
      const entry = all.find((o) => o.purpose === "entry")!;
      const heldEth = okx.balance(account, "ETH").free;
      close(algo.amount, num(legs[0].amount), "algo size = leg rows' amount");
      assert.ok(algo.amount <= heldEth + 1e-12 && algo.amount <= num(entry.filled), "covers what is held, no more");
      assert.deepEqual(openAtVenue(), [], "no resting order either");
      assert.equal((await positions(sql))[0].status, "open");
      return legs;
    };

    for (
      const [name, point, soldBy] of [
        ["falls through the stop", { bid: 2990, ask: 2990.5 }, "stop_loss"],
        ["rises to the target", { bid: 3012, ask: 3012.5 }, "take_profit"],
      ] as const
    ) {
      await t.step(`the price ${name} while no function runs; the venue sells, the next burst closes`, async () => {
        await reset();
        await enterAndProtect();
        // Every function stopped: nothing of ours runs while the venue's price moves.
        sim.market.setQuote("okx", ETH, point);
        const [fired] = okx.algoOrders(account).filter((a) => a.createdAt >= since);
        assert.deepEqual([fired.state, fired.actualSide], ["effective", soldBy === "take_profit" ? "tp" : "sl"]);
        assert.deepEqual(openAtVenue(), [], "the venue closed the position by itself");
        await burst(stack, shortBurst);
        const after = await rows(sql);
        const sold = after.find((o) => o.purpose === soldBy)!;
        const sibling = after.find((o) => o.purpose !== soldBy && o.purpose !== "entry")!;
        assert.equal(sold.order_status, "filled");
        assert.equal(sold.exchange_order_id, fired.orderId, "the fired leg's row holds the order the algo created");
        assert.equal(sibling.order_status, "cancelled");
        assert.equal(after.filter((o) => o.purpose === "exit").length, 0, "no market exit");
        const entryIds = after.filter((o) => o.purpose === "entry").map((o) => o.client_order_id);
        const { pnl, exitTrades } = pnlFromSim(entryIds, [sold.exchange_order_id!]);
        close(num(sold.fee_cost), exitTrades.reduce((s, x) => s + x.fee, 0), "leg fee");
        close(num(sold.filled), exitTrades.reduce((s, x) => s + x.amount, 0), "leg fill");
        if (soldBy === "take_profit") {
          assert.ok(exitTrades.every((x) => x.price >= num(sold.price)), "the target is a limit: never below it");
        }
        const [position] = await positions(sql);
        assert.equal(position.status, "closed");
        assert.equal(position.exit_reason, soldBy);
        close(num(position.realized_pnl), pnl, "positions.realized_pnl vs the simulator's fills");
        assert.deepEqual(openAtVenue(), [], "no order left open");
        assert.deepEqual(liveAlgos(), [], "no algo left live");
        // The fault: a function outage while the price crossed a leg.
        await report(`outage_then_${soldBy}`, 1);
      });
    }

    await t.step(
      "a crash between the fill and the protection: the next burst protects before its first quote",
      async () => {
        // Burst 1 without protection stands in for a burst killed after the fill, before the algo was sent.
        await reset({ exit_protection: false });
        setPath(sim, "okx", ETH, [...rising(3000, 10), dip]);
        await burst(stack, entryBurst);
        assert.equal((await positions(sql))[0].status, "open");
        assert.equal(liveAlgos().length, 0);
        await sql`update public.bot_settings set exit_protection = true where id = 1`;
        const before = sim.requestLog.lastId();
        await burst(stack, shortBurst);
        const log = sim.requestLog.list({ afterId: before }).filter((e) => e.venue === "okx");
        const placed = log.findIndex((e) => e.method === "POST" && e.path.endsWith("/trade/order-algo"));
        const firstQuote = log.findIndex((e) => e.path.includes("/market/ticker"));
        assert.ok(placed >= 0, "the algo was sent");
        assert.ok(
          firstQuote === -1 || placed < firstQuote,
          `protected (request ${placed}) before the first quote (${firstQuote})`,
        );
        assert.equal(liveAlgos().length, 1);
        await report("crash_between_fill_and_protection", 1);
      },
    );

    await t.step(
      "the time stop with protection resting: the algo cancelled first, one market exit, no double sell",
      async () => {
        await reset({ time_stop_seconds: 1 });
        setPath(sim, "okx", ETH, [...rising(3000, 10), dip]);
        await burst(stack, { ...entryBurst, duration_ms: burstBudgetMs(ROUND_TRIP_TICKS, 1000) });
        const after = await rows(sql);
        assert.deepEqual(after.map((o) => [o.purpose, o.order_status]).sort(), [
          ["entry", "filled"],
          ["exit", "filled"],
          ["stop_loss", "cancelled"],
          ["take_profit", "cancelled"],
        ]);
        assert.ok(after.every((o) => !/insufficient/i.test(o.last_error ?? "")), "no InsufficientFunds");
        const [algo] = okx.algoOrders(account).filter((a) => a.createdAt >= since);
        assert.equal(algo.state, "canceled", "the algo was cancelled, never fired");
        const eth = okx.balance(account, "ETH");
        assert.ok(eth.free >= 0 && eth.locked === 0, `ETH at the venue: ${JSON.stringify(eth)}`);
        const sold = after.filter((o) => o.purpose !== "entry").reduce((s, o) => s + num(o.filled), 0);
        const [entry] = after.filter((o) => o.purpose === "entry");
        assert.ok(sold <= num(entry.filled), `sold ${sold} of ${entry.filled}`);
        const [position] = await positions(sql);
        assert.deepEqual([position.status, position.exit_reason], ["closed", "time_stop"]);
        assert.deepEqual(openAtVenue(), []);
        assert.deepEqual(liveAlgos(), []);
        await report("time_stop_with_protection_resting", 0);
      },
    );
  });
});

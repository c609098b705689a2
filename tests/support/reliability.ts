/**
 * Helpers for the reliability tests (tests/e2e/reliability_*_test.ts): a recording HTTP proxy that can hold or cut
 * traffic at a chosen moment (between a function and the simulator, or between a function and PostgREST), scripted
 * price paths, table snapshots compared with the simulator's own books, and the parsable count line that
 * docs/RELIABILITY.md is built from.
 */
import assert from "node:assert/strict";
import type { PricePoint, SimOrder, VenueId } from "../../dev/sim/types.ts";
import type { Simulator } from "../../dev/sim/server.ts";
import type { Sql } from "./sql.ts";
import { keyHeaders } from "./stack.ts";

// ---- recording proxy ------------------------------------------------------------------------------------------

/** One request that went through the proxy (the body as text; the venues' bodies are small). */
export interface ProxiedRequest {
  seq: number;
  method: string;
  /** Path and query as the client sent them (e.g. `/binance/api/v3/order`, `/rest/v1/orders?select=*`). */
  path: string;
  body: string;
  /** Upstream status, once it answered (undefined while held before forwarding, 0 when the upstream failed). */
  status?: number;
}

export type RequestMatcher = (request: ProxiedRequest) => boolean;

/**
 * A hold on the next request that matches. `arrived` resolves when the request reached the proxy (phase "request":
 * it is not forwarded yet) or when the upstream answered it (phase "response": the upstream did the work, the
 * client has not heard back). `release()` lets it continue; `fail()` drops it with a 502 instead.
 */
export interface Hold {
  readonly arrived: Promise<ProxiedRequest>;
  release(): void;
  fail(): void;
}

export interface RecordingProxy {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** Where requests go; may be set after start (a stack's gateway URL is known only once the stack runs). */
  upstream: string;
  readonly requests: readonly ProxiedRequest[];
  /** Holds the next matching request before it is forwarded ("request") or after the upstream answered ("response"). */
  hold(phase: "request" | "response", match: RequestMatcher): Hold;
  /**
   * The next matching request is forwarded (the upstream does the work), but the client gets `answer` instead of
   * the upstream's response: a body garbled on the way back, for instance.
   */
  replaceNextResponse(match: RequestMatcher, answer: { status: number; body: string; contentType?: string }): void;
  /** Stops listening and drops open connections: the next connection attempt is refused, as for a dead host. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): void;
  readonly isCut: boolean;
  stop(): Promise<void>;
}

interface PendingHold {
  phase: "request" | "response";
  match: RequestMatcher;
  arrived: PromiseWithResolvers<ProxiedRequest>;
  gate: PromiseWithResolvers<"release" | "fail">;
  taken: boolean;
}

const HOP_BY_HOP = ["connection", "keep-alive", "transfer-encoding", "content-length", "host", "accept-encoding"];

/** How long a held request waits at most before it is released anyway, so no test can wedge on a forgotten hold. */
const MAX_HOLD_MS = 60_000;

/**
 * Starts a loopback HTTP proxy in front of `upstream` (an origin). Everything is forwarded unchanged except the
 * hop-by-hop headers; each request is recorded with its body.
 */
export function startRecordingProxy(upstream = "http://127.0.0.1:1"): RecordingProxy {
  const requests: ProxiedRequest[] = [];
  const holds: PendingHold[] = [];
  const replacements: { match: RequestMatcher; answer: { status: number; body: string; contentType?: string } }[] = [];
  let seq = 0;
  let controller = new AbortController();
  let server: Deno.HttpServer<Deno.NetAddr>;
  let cut = false;

  async function waitGate(hold: PendingHold): Promise<"release" | "fail"> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"release">((resolve) => timer = setTimeout(() => resolve("release"), MAX_HOLD_MS));
    try {
      return await Promise.race([hold.gate.promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  function takeHold(phase: PendingHold["phase"], request: ProxiedRequest): PendingHold | undefined {
    const hold = holds.find((h) => !h.taken && h.phase === phase && h.match(request));
    if (hold) hold.taken = true;
    return hold;
  }

  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const body = req.method === "GET" || req.method === "HEAD" ? "" : await req.text();
    const record: ProxiedRequest = { seq: ++seq, method: req.method, path: url.pathname + url.search, body };
    requests.push(record);

    const before = takeHold("request", record);
    if (before) {
      before.arrived.resolve({ ...record });
      if (await waitGate(before) === "fail") return new Response("held and dropped", { status: 502 });
    }
    const headers = new Headers(req.headers);
    for (const name of HOP_BY_HOP) headers.delete(name);
    let answer: Response;
    let answerBody: ArrayBuffer;
    try {
      answer = await fetch(new URL(record.path, proxy.upstream), {
        method: req.method,
        headers,
        body: body === "" ? undefined : body,
        redirect: "manual",
      });
      answerBody = await answer.arrayBuffer();
    } catch {
      record.status = 0;
      return new Response("proxy: upstream unreachable", { status: 502 });
    }
    record.status = answer.status;
    const replacement = replacements.findIndex((r) => r.match(record));
    if (replacement >= 0) {
      const [{ answer: fake }] = replacements.splice(replacement, 1);
      return new Response(fake.body, {
        status: fake.status,
        headers: { "content-type": fake.contentType ?? "application/json" },
      });
    }
    const after = takeHold("response", record);
    if (after) {
      after.arrived.resolve({ ...record });
      if (await waitGate(after) === "fail") return new Response("held and dropped", { status: 502 });
    }
    const outHeaders = new Headers(answer.headers);
    for (const name of HOP_BY_HOP) outHeaders.delete(name);
    const nullBody = answer.status === 204 || answer.status === 304;
    return new Response(nullBody ? null : answerBody, { status: answer.status, headers: outHeaders });
  }

  function listen(port: number): Deno.HttpServer<Deno.NetAddr> {
    controller = new AbortController();
    return Deno.serve({ hostname: "127.0.0.1", port, signal: controller.signal, onListen: () => {} }, handle);
  }

  server = listen(0);
  const port = server.addr.port;

  const proxy: RecordingProxy = {
    origin: `http://127.0.0.1:${port}`,
    upstream,
    get requests() {
      return requests;
    },
    get isCut() {
      return cut;
    },
    hold(phase, match) {
      const pending: PendingHold = {
        phase,
        match,
        arrived: Promise.withResolvers(),
        gate: Promise.withResolvers(),
        taken: false,
      };
      holds.push(pending);
      return {
        arrived: pending.arrived.promise,
        release: () => pending.gate.resolve("release"),
        fail: () => pending.gate.resolve("fail"),
      };
    },
    replaceNextResponse(match, answer) {
      replacements.push({ match, answer });
    },
    async cut() {
      if (cut) return;
      cut = true;
      // Held requests answer 502 so the server can finish; then nothing listens on the port.
      for (const hold of holds) hold.gate.resolve("fail");
      controller.abort();
      await server.finished;
    },
    restore() {
      if (!cut) return;
      server = listen(port);
      cut = false;
    },
    async stop() {
      for (const hold of holds) {
        hold.gate.resolve("release");
        hold.arrived.reject(new Error("proxy stopped before the request arrived"));
        hold.arrived.promise.catch(() => {});
      }
      if (!cut) {
        controller.abort();
        await server.finished;
        cut = true;
      }
    },
  };
  return proxy;
}

/** Waits for a hold with a bound: a request that never comes fails the test instead of hanging it. */
export async function arrivedWithin(hold: Hold, ms: number, what: string): Promise<ProxiedRequest> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no matching request within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([hold.arrived, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ---- order creation requests as the venues see them ---------------------------------------------------------------

export interface CreateOrderRequest {
  venue: VenueId;
  clientOrderId: string;
  side: string;
  status?: number;
}

/** Binance spot order placement (ccxt sends the signed parameters as a form body) and OKX's place-order. */
export function isCreateOrder(request: Pick<ProxiedRequest, "method" | "path">): boolean {
  if (request.method !== "POST") return false;
  const path = request.path.split("?")[0];
  return path.endsWith("/api/v3/order") || path.endsWith("/api/v5/trade/order");
}

/** Every order placement among `requests` (a proxy's, or a slice of them), with the client order id it carried. */
export function createOrderRequests(requests: readonly ProxiedRequest[]): CreateOrderRequest[] {
  return requests.filter(isCreateOrder).map((request) => {
    if (request.path.includes("/api/v3/order")) {
      const form = new URLSearchParams(request.body || request.path.split("?")[1] || "");
      return {
        venue: "binance" as const,
        clientOrderId: form.get("newClientOrderId") ?? "",
        side: (form.get("side") ?? "").toLowerCase(),
        status: request.status,
      };
    }
    const body = JSON.parse(request.body) as { clOrdId?: string; side?: string };
    return { venue: "okx" as const, clientOrderId: body.clOrdId ?? "", side: body.side ?? "", status: request.status };
  });
}

/** Client order ids that were sent more than once (a resend of the same order): must always be empty. */
export function resentClientIds(creates: readonly CreateOrderRequest[]): string[] {
  const seen = new Map<string, number>();
  for (const c of creates) seen.set(c.clientOrderId, (seen.get(c.clientOrderId) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
}

// ---- scenario helpers -----------------------------------------------------------------------------------------------

/**
 * Starts a scripted path that moves one point per quote request of the burst (`advance: "read"`), not with the
 * clock: however slowly the function starts or ticks on a busy machine, each tick sees the next point, in order, and
 * the last one holds. `sim.market.step` moves it on when no burst is reading.
 */
export function setPath(sim: Simulator, venue: VenueId, symbol: string, points: PricePoint[]): void {
  sim.market.setPath(venue, symbol, points, "read");
}

/**
 * The burst budget (duration_ms) for a scenario that needs `ticks` ticks, plus `waitMs` of the bot's own timers (an
 * entry timeout, a time stop). The burst runs on the wall clock and stops when its budget is spent, so this is the
 * one bound a scenario cannot script away: it allows 2 s of start-up and 500 ms per tick, five times the 100 ms tick
 * (a loaded 2-core machine was seen at about 300 ms).
 */
export function burstBudgetMs(ticks: number, waitMs = 0): number {
  return 2_000 + ticks * 500 + waitMs;
}

/** Ticks a round trip on `entryThen` needs: its 12 points, then one to send the exit. */
export const ROUND_TRIP_TICKS = 13;
/** Ticks until the momentum signal (momentum_min_samples 5) has its samples, and one to act on it. */
export const SIGNAL_TICKS = 6;

/** `n` points rising 0.01 % each from `start`, with a spread of 0.2 % (wide enough for every latency band). */
export function rising(start: number, n: number): PricePoint[] {
  return Array.from({ length: n }, (_, i) => ({ mid: start * (1 + 0.0001 * i), spread: start * 0.002 }));
}

/** Rising, then the ask comes down to the start (a resting buy fills as maker), then `last` holds. */
export function entryThen(start: number, last: PricePoint): PricePoint[] {
  return [...rising(start, 10), { bid: start - 0.1, ask: start }, last];
}

/**
 * Empties the trading tables and sets the scenario settings (fast ticks, testnet unless said otherwise). Exits are the
 * burst's (exit_protection = false) unless a scenario asks for protection on the venue: the scenarios written before
 * it test bot-managed exits.
 */
export async function resetTables(sql: Sql, settings: Record<string, string | number | boolean> = {}): Promise<void> {
  await sql`delete from public.trade_logs`;
  await sql`delete from public.orders`;
  await sql`delete from public.armed_orders`;
  await sql`delete from public.positions`;
  await sql`delete from public.function_runs`;
  await sql`update public.bot_settings set mode = 'testnet', trading_enabled = true, live_trading_enabled = false,
            burst_tick_ms = 100, entry_timeout_seconds = 15, time_stop_seconds = 180, max_trades_per_day = 250,
            max_daily_loss_usd = 50, paper_starting_usdt = 10000, exit_protection = false,
            market_data = 'poll' where id = 1`;
  if (Object.keys(settings).length > 0) await sql`update public.bot_settings set ${sql(settings)} where id = 1`;
}

/** Calls trade-burst through the gateway with the server key (a secret key in apikey, or the legacy bearer). */
export async function invokeBurst(
  gatewayUrl: string,
  serverKey: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> & { venues?: VenueResult[] } }> {
  const res = await fetch(`${gatewayUrl}/functions/v1/trade-burst`, {
    method: "POST",
    headers: { "content-type": "application/json", ...keyHeaders(serverKey) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, body: parsed };
}

/** The parts of a venue's burst summary these tests read. */
export interface VenueResult {
  venue: string;
  status: "ran" | "skipped" | "error";
  skip_reason?: string;
  error?: string;
  ticks: number;
  quote_errors: number;
  orders_sent: number;
  positions_opened: number;
  positions_closed: number;
  notes: string[];
  duration_ms: number;
  reconcile?: { ordersChecked: number; notes: Record<string, number> };
  armed?: { checked: number; adopted: number; retired: number; left_armed: number };
}

// ---- the tables against the simulator ------------------------------------------------------------------------------

export interface OrderRowText {
  client_order_id: string;
  exchange_order_id: string | null;
  venue: string;
  side: string;
  purpose: string;
  amount: string;
  filled: string;
  cost: string | null;
  fee_cost: string | null;
  order_status: string;
  position_id: string | null;
  last_error: string | null;
}

export async function orderRows(sql: Sql): Promise<OrderRowText[]> {
  return await sql<OrderRowText[]>`
    select client_order_id, exchange_order_id, venue, side, purpose, amount::text, filled::text, cost::text,
           fee_cost::text, order_status, position_id::text, last_error
    from public.orders order by created_at, client_order_id`;
}

export interface PositionRowText {
  id: string;
  venue: string;
  symbol: string;
  status: string;
  entry_qty: string;
  exit_qty: string;
  realized_pnl: string | null;
  exit_reason: string | null;
}

export async function positionRows(sql: Sql): Promise<PositionRowText[]> {
  return await sql<PositionRowText[]>`
    select id::text, venue, symbol, status, entry_qty::text, exit_qty::text, realized_pnl::text, exit_reason
    from public.positions order by opened_at`;
}

/** The simulator's order status in our vocabulary. */
const SIM_STATUS: Record<SimOrder["status"], string> = {
  new: "open",
  partially_filled: "partially_filled",
  filled: "filled",
  canceled: "cancelled",
  expired: "expired",
};

export interface Reconciliation {
  /** Orders the simulator holds for the account (placed since `sinceMs`). */
  simOrders: SimOrder[];
  /** Simulator orders with no `orders` row: lost track of. */
  lost: string[];
  /** Rows whose status or fill disagree with the simulator. */
  mismatched: string[];
  /** Client order ids that appear more than once at the venue (a doubled order). */
  doubled: string[];
}

/**
 * Compares the simulator's book for the venue's demo account with the orders table: every order the venue holds
 * must be a row with the same status, fill, and exchange id. `feeTolerance` (default 1e-9): Binance's API reports a
 * commission to 8 decimals while the simulator keeps the unrounded fee, so a fee read from the API may differ from
 * the simulator's below 1e-8.
 */
export async function compareWithSimulator(
  sql: Sql,
  sim: Simulator,
  venue: VenueId,
  sinceMs = 0,
  { feeTolerance = 1e-9 }: { feeTolerance?: number } = {},
): Promise<Reconciliation> {
  const account = sim.engines[venue].listAccounts()[0].id;
  const simOrders = sim.engines[venue].allOrders(account).filter((o) => o.createdAt >= sinceMs);
  const rows = new Map((await orderRows(sql)).filter((r) => r.venue === venue).map((r) => [r.client_order_id, r]));
  const lost: string[] = [];
  const mismatched: string[] = [];
  const counts = new Map<string, number>();
  for (const order of simOrders) {
    counts.set(order.clientOrderId, (counts.get(order.clientOrderId) ?? 0) + 1);
    const row = rows.get(order.clientOrderId);
    if (!row) {
      lost.push(order.clientOrderId);
      continue;
    }
    const problems: string[] = [];
    if (row.order_status !== SIM_STATUS[order.status]) {
      problems.push(`status ${row.order_status} vs ${SIM_STATUS[order.status]}`);
    }
    if (Math.abs(Number(row.filled) - order.filled) > 1e-9) problems.push(`filled ${row.filled} vs ${order.filled}`);
    if (row.exchange_order_id !== order.orderId) problems.push(`id ${row.exchange_order_id} vs ${order.orderId}`);
    if (order.filled > 0 && Math.abs(Number(row.fee_cost) - order.feeTotal) > feeTolerance) {
      problems.push(`fee ${row.fee_cost} vs ${order.feeTotal}`);
    }
    if (problems.length > 0) mismatched.push(`${order.clientOrderId}: ${problems.join(", ")}`);
  }
  const doubled = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  return { simOrders, lost, mismatched, doubled };
}

/** Asserts a reconciliation is clean and returns it. */
export async function assertTablesMatchSimulator(
  sql: Sql,
  sim: Simulator,
  venue: VenueId,
  sinceMs = 0,
): Promise<Reconciliation> {
  const result = await compareWithSimulator(sql, sim, venue, sinceMs);
  assert.deepEqual(result.lost, [], "every order the simulator holds is in orders");
  assert.deepEqual(result.mismatched, [], "status, fill, fee and id agree with the simulator");
  assert.deepEqual(result.doubled, [], "no client order id placed twice");
  return result;
}

/** Polls `check` until it returns a value (not undefined), at most `attempts` times `intervalMs` apart. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  options: { attempts?: number; intervalMs?: number } = {},
): Promise<T> {
  const attempts = options.attempts ?? 100;
  for (let i = 0; i < attempts; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
  throw new Error(`${what}: not true after ${attempts} checks`);
}

// ---- the counts docs/RELIABILITY.md is built from ------------------------------------------------------------------

export interface ReliabilityCounts {
  /** Faults the test injected (simulator faults that hit, kills, cuts, holds). */
  faults_injected: number;
  /** Calls the system refused or skipped on purpose (lease held, breaker open, budget spent, 5xx answers). */
  calls_refused: number;
  /** Orders the venue holds that the tables lost track of. */
  orders_lost: number;
  /** Client order ids sent to (or held by) the venue more than once. */
  orders_doubled: number;
  /** Rows retention deleted (bounded growth only). */
  rows_pruned?: number;
}

/** Prints one parsable line per scenario: `RELIABILITY {"file":…,"scenario":…,…}`. */
export function reportCounts(file: string, scenario: string, counts: ReliabilityCounts): void {
  console.log(`RELIABILITY ${JSON.stringify({ file, scenario, ...counts })}`);
}

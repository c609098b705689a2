/**
 * A counting proxy the bench puts between the functions and the gateway (the functions' SUPABASE_URL points here).
 * Every table access of the functions goes through supabase-js → `/rest/v1`, so each request here is one database
 * round trip as the function experiences it. The stack has no counter of its own, and pg_stat_statements would
 * count statements (PostgREST runs several per request: role switch, claims, the query), not round trips.
 *
 * The proxy reads each answer in full before passing it on, so `respondedAt` is when the function could have it.
 * It costs one extra loopback hop per request (well under a millisecond), which the report mentions.
 */
import { LOOPBACK } from "../stack/net.ts";

export interface DbRequest {
  id: number;
  method: string;
  /** `/rest/v1/orders`, `/rest/v1/rpc/acquire_venue_lease`, … */
  path: string;
  /** table or `rpc/<name>` */
  resource: string;
  arrivedAt: number;
  respondedAt: number;
  status: number;
  /**
   * For an insert into `orders` or a batched write that records an order (`apply_burst_writes`: the track-before-send
   * write), or an armed entry's `record_armed_entry` (written after the send; `armed` true): what it recorded.
   */
  orderInsert?: { venue: string; purpose: string; clientOrderId: string; symbol?: string; armed?: boolean };
}

export interface DbProxy {
  url: string;
  log(afterId?: number): DbRequest[];
  lastId(): number;
  stop(): Promise<void>;
}

const HOP_BY_HOP = ["connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer", "host"];

/** `rest/v1/<resource>` of a path, or the path itself for anything else. */
export function restResource(path: string): string {
  const match = /^\/rest\/v1\/(.+)$/.exec(path);
  return match ? match[1] : path;
}

/** The venue, purpose and client order id of an `orders` insert body (an object or a one-row array), if present. */
export function orderInsertOf(body: unknown): DbRequest["orderInsert"] {
  const row = Array.isArray(body) ? body[0] : body;
  if (!row || typeof row !== "object") return undefined;
  const { venue, purpose, client_order_id: clientOrderId, symbol } = row as Record<string, unknown>;
  if (typeof venue !== "string" || typeof purpose !== "string" || typeof clientOrderId !== "string") return undefined;
  return { venue, purpose, clientOrderId, ...(typeof symbol === "string" ? { symbol } : {}) };
}

/** The order an armed entry's record_armed_entry call writes (its `p_order`), marked armed. */
export function armedRecordOf(body: unknown): DbRequest["orderInsert"] {
  const order = body && typeof body === "object" ? (body as Record<string, unknown>).p_order : undefined;
  const found = orderInsertOf(order);
  return found ? { ...found, armed: true } : undefined;
}

/**
 * The order a burst's batched write (`apply_burst_writes`) records before its send: its first new entry or exit.
 * Protection legs are left out: they go out on the venues' list endpoints, which no latency here pairs with.
 */
export function batchRecordOf(body: unknown): DbRequest["orderInsert"] {
  const orders = body && typeof body === "object" ? (body as Record<string, unknown>).p_new_orders : undefined;
  if (!Array.isArray(orders)) return undefined;
  return orders.map(orderInsertOf).find((o) => o !== undefined && (o.purpose === "entry" || o.purpose === "exit"));
}

export function startDbProxy(upstream: string): DbProxy {
  const target = new URL(upstream);
  const entries: DbRequest[] = [];
  let nextId = 1;
  const client = Deno.createHttpClient({});
  const server = Deno.serve({ hostname: LOOPBACK, port: 0, onListen: () => {} }, async (request) => {
    const arrivedAt = performance.now();
    const url = new URL(request.url);
    const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
    const headers = new Headers(request.headers);
    for (const name of HOP_BY_HOP) headers.delete(name);
    headers.set("accept-encoding", "identity");
    const upstreamResponse = await fetch(new URL(url.pathname + url.search, target), {
      method: request.method,
      headers,
      body,
      redirect: "manual",
      client,
    });
    const answer = await upstreamResponse.arrayBuffer();
    const entry: DbRequest = {
      id: nextId++,
      method: request.method,
      path: url.pathname,
      resource: restResource(url.pathname),
      arrivedAt,
      respondedAt: performance.now(),
      status: upstreamResponse.status,
    };
    const readers: Record<string, (body: unknown) => DbRequest["orderInsert"]> = {
      orders: orderInsertOf,
      "rpc/record_armed_entry": armedRecordOf,
      "rpc/apply_burst_writes": batchRecordOf,
    };
    const reader = readers[entry.resource];
    if (request.method === "POST" && reader && body) {
      try {
        entry.orderInsert = reader(JSON.parse(new TextDecoder().decode(body)));
      } catch {
        // not JSON: nothing to note
      }
    }
    entries.push(entry);
    const responseHeaders = new Headers(upstreamResponse.headers);
    for (const name of [...HOP_BY_HOP, "content-length", "content-encoding"]) responseHeaders.delete(name);
    // 204/205/304 answers carry no body, and Response refuses one (even empty) for them.
    const nullBody = [101, 204, 205, 304].includes(upstreamResponse.status);
    return new Response(nullBody ? null : answer, { status: upstreamResponse.status, headers: responseHeaders });
  });
  return {
    url: `http://${LOOPBACK}:${server.addr.port}`,
    log: (afterId = 0) => entries.filter((e) => e.id > afterId).map((e) => ({ ...e })),
    lastId: () => nextId - 1,
    stop: async () => {
      await server.shutdown();
      client.close();
    },
  };
}

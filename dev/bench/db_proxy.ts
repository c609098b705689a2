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
   * The orders a request recorded: an insert into `orders` or the entries and exits a batched write records before
   * their send (`apply_burst_writes` new orders), and armed entries' rows, written after their send (`armed` true:
   * `record_armed_entry`, or the armed entries of a batched write).
   */
  orderInserts?: OrderInsert[];
}

export interface OrderInsert {
  venue: string;
  purpose: string;
  clientOrderId: string;
  symbol?: string;
  armed?: boolean;
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
export function orderInsertOf(body: unknown): OrderInsert | undefined {
  const row = Array.isArray(body) ? body[0] : body;
  if (!row || typeof row !== "object") return undefined;
  const { venue, purpose, client_order_id: clientOrderId, symbol } = row as Record<string, unknown>;
  if (typeof venue !== "string" || typeof purpose !== "string" || typeof clientOrderId !== "string") return undefined;
  return { venue, purpose, clientOrderId, ...(typeof symbol === "string" ? { symbol } : {}) };
}

const field = (body: unknown, name: string) =>
  body && typeof body === "object" ? (body as Record<string, unknown>)[name] : undefined;

const armed = (order: unknown): OrderInsert[] => {
  const found = orderInsertOf(order);
  return found ? [{ ...found, armed: true }] : [];
};

/** The order an armed entry's record_armed_entry call writes (its `p_order`), marked armed. */
export function armedRecordOf(body: unknown): OrderInsert[] {
  return armed(field(body, "p_order"));
}

/**
 * The orders a burst's batched write (`apply_burst_writes`) records: its armed entries (marked armed), then the new
 * entries and exits it records before their send. Protection legs are left out: they go out on the venues' list
 * endpoints, which no latency here pairs with.
 */
export function batchRecordOf(body: unknown): OrderInsert[] {
  const armedEntries = field(body, "p_armed_entries");
  const newOrders = field(body, "p_new_orders");
  return [
    ...(Array.isArray(armedEntries) ? armedEntries.flatMap((entry) => armed(field(entry, "order"))) : []),
    ...(Array.isArray(newOrders) ? newOrders.map(orderInsertOf) : []).filter((o): o is OrderInsert =>
      o !== undefined && (o.purpose === "entry" || o.purpose === "exit")
    ),
  ];
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
    const readers: Record<string, (body: unknown) => OrderInsert[]> = {
      orders: (body) => [orderInsertOf(body)].filter((o) => o !== undefined),
      "rpc/record_armed_entry": armedRecordOf,
      "rpc/apply_burst_writes": batchRecordOf,
    };
    const reader = readers[entry.resource];
    if (request.method === "POST" && reader && body) {
      try {
        const inserts = reader(JSON.parse(new TextDecoder().decode(body)));
        if (inserts.length > 0) entry.orderInserts = inserts;
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

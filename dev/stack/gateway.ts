/**
 * The local stand-in for Supabase's API gateway: `/rest/v1/*` → PostgREST and `/functions/v1/<name>` → that
 * function's process, so `createClient(gatewayUrl, key)` from supabase-js behaves as against a hosted project; with
 * seeded users, `/auth/v1/*` → a minimal GoTrue stand-in (auth.ts: password sign-in, the user, refresh, logout).
 */

import { constantTimeEqual, verifyJwt } from "./keys.ts";
import { withApiCors } from "./cors.ts";
import { LOOPBACK } from "./net.ts";

export interface GatewayRoutes {
  postgrestUrl: string;
  jwtSecret: string;
  /** The project's opaque API keys and what PostgREST should see for them. */
  apiKeys: RestApiKeys;
  /**
   * Where a function listens; undefined means no such function (404). `region` is what the caller asked for with
   * `x-region` or `?forceFunctionRegion=` (null: none), as hosted Supabase reads it; a stack without the region
   * model ignores it. "down": calls routed to that region are dropped (503), a region outage.
   */
  functionTarget(name: string, region: string | null): URL | undefined | "down";
  /** The function's `verify_jwt` from config.toml. */
  verifyJwt(name: string): boolean;
  /** `/auth/v1` (auth.ts), given the path after it; without it `/auth/v1` is a 404, as on a stack with no Auth. */
  auth?: (request: Request, path: string) => Promise<Response>;
}

export interface GatewayOptions extends GatewayRoutes {
  /** Default 0: the OS picks a free port. */
  port?: number;
}

export interface Gateway {
  url: string;
  port: number;
  /** Stops accepting requests and closes upstream connections. Idempotent. */
  stop(): Promise<void>;
}

// Connection-level headers describe one hop and must not be copied to the next one.
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"];

function json(status: number, body: unknown): Response {
  return Response.json(body, { status });
}

/**
 * How `/rest/v1` maps the `apikey` header to a role, as hosted Supabase does: `sb_secret_…` → service_role,
 * `sb_publishable_…` → anon (each swapped for a role JWT only the gateway holds, since PostgREST knows only JWTs), a
 * user's JWT in `Authorization` wins over either. Legacy JWT keys pass through to PostgREST unless disabled.
 */
export interface RestApiKeys {
  publishable: readonly string[];
  secret: readonly string[];
  /** Role JWTs the gateway puts in `Authorization` for an opaque key. */
  anonToken: string;
  serviceRoleToken: string;
  /** false: a "new keys only" project, where a JWT in `apikey` (a legacy key) is refused. */
  legacyKeysEnabled: boolean;
}

function includesKey(keys: readonly string[], candidate: string): boolean {
  // Every key is compared (no early exit), each in constant time: the answer time says nothing about the keys.
  let found = false;
  for (const key of keys) found = constantTimeEqual(key, candidate) || found;
  return found;
}

/** Whether `apikey` is one of the project's keys: an opaque one, or (legacy keys on) a valid anon/service_role JWT. */
export async function isProjectKey(apikey: string | undefined, keys: RestApiKeys, jwtSecret: string): Promise<boolean> {
  if (apikey === undefined) return false;
  if (apikey.startsWith("sb_")) return includesKey(keys.secret, apikey) || includesKey(keys.publishable, apikey);
  if (!keys.legacyKeysEnabled) return false;
  try {
    const claims = await verifyJwt(jwtSecret, apikey);
    return claims.role === "anon" || claims.role === "service_role";
  } catch {
    return false;
  }
}

/** The Authorization header PostgREST should get, or the refusal the gateway answers with. */
export function restAuthorization(
  headers: Headers,
  keys: RestApiKeys,
): { authorization: string | undefined } | { refusal: Response } {
  const refuse = (message: string) => ({ refusal: json(401, { message }) });
  const apikey = headers.get("apikey")?.trim() || undefined;
  const authorization = headers.get("authorization") ?? undefined;
  const bearer = bearerToken(headers);
  if (apikey === undefined) {
    if (!keys.legacyKeysEnabled) return refuse("No API key found in request");
    // Legacy behaviour kept for raw callers: the Authorization JWT goes through and PostgREST verifies it.
    return { authorization };
  }
  if (apikey.startsWith("sb_")) {
    const role = includesKey(keys.secret, apikey)
      ? "service_role"
      : includesKey(keys.publishable, apikey)
      ? "anon"
      : undefined;
    if (!role) return refuse("Invalid API key");
    // supabase-js sends the key in both headers; a different sb_ key in Authorization is a mistake, not a user.
    if (bearer !== undefined && bearer.startsWith("sb_") && !constantTimeEqual(bearer, apikey)) {
      return refuse("Invalid API key in Authorization header");
    }
    if (bearer !== undefined && !bearer.startsWith("sb_")) return { authorization };
    return { authorization: `Bearer ${role === "service_role" ? keys.serviceRoleToken : keys.anonToken}` };
  }
  if (!keys.legacyKeysEnabled) return refuse("Legacy API keys are disabled");
  // Like Supabase's Kong: the legacy apikey doubles as the bearer token when no Authorization is sent.
  return { authorization: authorization ?? `Bearer ${apikey}` };
}

function bearerToken(headers: Headers): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(headers.get("authorization") ?? "");
  return match?.[1];
}

async function forward(request: Request, target: URL, client: Deno.HttpClient, headers: Headers): Promise<Response> {
  for (const name of HOP_BY_HOP) headers.delete(name);
  headers.delete("host");
  // Ask upstream for plain bodies: fetch would decompress but keep content-encoding, and the client would decode twice.
  headers.set("accept-encoding", "identity");
  const upstream = await fetch(target, {
    method: request.method,
    headers,
    body: request.body,
    redirect: "manual",
    client,
  });
  const responseHeaders = new Headers(upstream.headers);
  for (const name of HOP_BY_HOP) responseHeaders.delete(name);
  return new Response(upstream.body, {
    status: upstream.status,
    statusText: upstream.statusText,
    headers: responseHeaders,
  });
}

/** The request handler on its own, so it can be tested or mounted without a server. */
export function createGatewayHandler(
  routes: GatewayRoutes,
  client: Deno.HttpClient,
): (request: Request) => Promise<Response> {
  const postgrest = new URL(routes.postgrestUrl);
  return async (request) => {
    const url = new URL(request.url);

    const rest = /^\/rest\/v1(\/.*)?$/.exec(url.pathname);
    if (rest) {
      const target = new URL((rest[1] ?? "/") + url.search, postgrest);
      const headers = new Headers(request.headers);
      const resolved = restAuthorization(headers, routes.apiKeys);
      if ("refusal" in resolved) return resolved.refusal;
      if (resolved.authorization === undefined) headers.delete("authorization");
      else headers.set("authorization", resolved.authorization);
      try {
        return await forward(request, target, client, headers);
      } catch (error) {
        return json(502, { error: "PostgREST is not reachable", detail: String(error) });
      }
    }

    const auth = /^\/auth\/v1(\/.*)?$/.exec(url.pathname);
    if (auth && routes.auth) return await routes.auth(request, auth[1] ?? "/");

    const fn = /^\/functions\/v1\/([A-Za-z0-9_-]+)(\/.*)?$/.exec(url.pathname);
    if (fn) {
      const name = fn[1];
      const region = request.headers.get("x-region")?.trim() || url.searchParams.get("forceFunctionRegion") || null;
      const origin = routes.functionTarget(name, region);
      if (origin === "down") return json(503, { error: `function ${name}: region ${region} is not answering` });
      if (!origin) return json(404, { error: `function ${name} not found` });
      if (routes.verifyJwt(name)) {
        const token = bearerToken(request.headers);
        if (!token) return json(401, { msg: "Missing authorization header" });
        try {
          await verifyJwt(routes.jwtSecret, token);
        } catch {
          // Bad signature, malformed and expired tokens all look the same to the caller, as on hosted Supabase.
          return json(401, { msg: "Invalid JWT" });
        }
      }
      // The function sees `/<name>/…` as its path, as in Supabase's edge runtime.
      const target = new URL(`/${name}${fn[2] ?? ""}${url.search}`, origin);
      try {
        return await forward(request, target, client, new Headers(request.headers));
      } catch (error) {
        return json(502, { error: `function ${name} is not reachable`, detail: String(error) });
      }
    }

    return json(404, { error: `no route for ${url.pathname}` });
  };
}

export function startGateway(options: GatewayOptions): Gateway {
  // No idle keep-alive pool. Ten concurrent bursts once got a rare "PostgREST is not reachable" here (cause not pinned
  // down); reusing a pooled connection the upstream is closing is the usual suspect, and a fresh loopback connection
  // per request costs well under a millisecond.
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  const handler = createGatewayHandler(options, client);
  const server = Deno.serve({ hostname: LOOPBACK, port: options.port ?? 0, onListen: () => {} }, withApiCors(handler));
  const port = server.addr.port;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${LOOPBACK}:${port}`,
    port,
    stop() {
      stopping ??= server.shutdown().finally(() => client.close());
      return stopping;
    },
  };
}

/**
 * Helpers for the security tests (issue 7): which functions exist, calling them with any header/body/method, a
 * fingerprint of every public table (to prove "writes nothing"), the callers that must be refused, the bad bodies each
 * function must refuse, and a scan for secret values in text.
 */

import { fileURLToPath } from "node:url";
import { mintJwt, randomApiKey, randomJwtSecret } from "../../dev/stack/keys.ts";
import type { Sql } from "./sql.ts";
import { keyHeaders, serverKey, type Stack } from "./stack.ts";

export const FUNCTIONS_DIR = fileURLToPath(new URL("../../supabase/functions", import.meta.url));

/** Every function folder (skips `_shared` and any `_`/`.` folder), sorted; whether or not it has an index.ts yet. */
export async function functionFolders(dir: string = FUNCTIONS_DIR): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory && !entry.name.startsWith("_") && !entry.name.startsWith(".")) names.push(entry.name);
  }
  return names.sort();
}

/** The folders among `names` that have an index.ts (the stack can serve only those). */
export async function withIndexTs(names: readonly string[], dir: string = FUNCTIONS_DIR): Promise<string[]> {
  const found: string[] = [];
  for (const name of names) {
    try {
      if ((await Deno.stat(`${dir}/${name}/index.ts`)).isFile) found.push(name);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return found;
}

// ---- calling a function ----------------------------------------------------------------------------------------

export interface CallInit {
  /** Default POST. */
  method?: string;
  /**
   * The whole Authorization header; null sends none. When neither this nor `apikey` is given: the stack's server key
   * (`Bearer <service role key>` with legacy keys, `apikey: <secret key>` without).
   */
  authorization?: string | null;
  /** The `apikey` header. */
  apikey?: string;
  body?: BodyInit | null;
  /** Default `application/json`; null sends none. */
  contentType?: string | null;
}

export interface CallResult {
  status: number;
  contentType: string | null;
  /** The raw response text (kept for secret scans). */
  text: string;
  /** The parsed JSON answer, or undefined when the answer is not JSON. */
  json: Record<string, unknown> | undefined;
}

/** Calls `/functions/v1/<name>` through the gateway and reads the whole answer. */
export async function callFunction(stack: Stack, name: string, init: CallInit = {}): Promise<CallResult> {
  const headers = new Headers(
    init.authorization === undefined && init.apikey === undefined ? keyHeaders(serverKey(stack)) : {},
  );
  if (init.authorization) headers.set("authorization", init.authorization);
  if (init.apikey !== undefined) headers.set("apikey", init.apikey);
  const contentType = init.contentType === undefined ? "application/json" : init.contentType;
  if (contentType !== null) headers.set("content-type", contentType);
  const response = await fetch(`${stack.gatewayUrl}/functions/v1/${name}`, {
    method: init.method ?? "POST",
    headers,
    body: init.body ?? null,
  });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) json = parsed;
  } catch {
    json = undefined;
  }
  return { status: response.status, contentType: response.headers.get("content-type"), text, json };
}

/** Short text of a call for assertion messages (the answer is capped: some bodies are large). */
export function describeCall(result: CallResult): string {
  return `HTTP ${result.status} ${result.text.length > 400 ? `${result.text.slice(0, 400)}…` : result.text}`;
}

/**
 * A body the function accepts and that finishes quickly: the shortest burst, one latency sample. Unknown functions
 * get `{}` (the contract says the body is optional).
 */
export function minimalValidBody(name: string): Record<string, unknown> {
  switch (name) {
    case "trade-burst":
      return { duration_ms: 1000 };
    case "latency-sample":
      return { samples: 1, spacing_ms: 0 };
    default:
      return {};
  }
}

// ---- table fingerprints ----------------------------------------------------------------------------------------

export interface TableState {
  rows: number;
  /** md5 of every row's text, in a stable order: any insert, update or delete changes it. */
  digest: string;
}
export type TablesSnapshot = Record<string, TableState>;

/** Every ordinary or partitioned table in `public`, sorted. */
export async function publicTables(sql: Sql): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    select c.relname as name from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
    order by c.relname`;
  return rows.map((r) => r.name);
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Row count and content digest of every public table, in one query. */
export async function snapshotTables(sql: Sql): Promise<TablesSnapshot> {
  const tables = await publicTables(sql);
  const parts = tables.map((table) =>
    `select '${table.replaceAll("'", "''")}' as name, count(*)::int as rows,
            md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) as digest
     from public.${quoteIdent(table)} t`
  );
  const rows = await sql.unsafe<{ name: string; rows: number; digest: string }[]>(parts.join("\nunion all\n"));
  return Object.fromEntries(rows.map((r) => [r.name, { rows: r.rows, digest: r.digest }]));
}

/** Names of the tables whose rows differ (added, removed or changed), e.g. `orders (0 → 2 rows)`. */
export function changedTables(before: TablesSnapshot, after: TablesSnapshot): string[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names.flatMap((name) => {
    const a = before[name];
    const b = after[name];
    if (a && b && a.digest === b.digest && a.rows === b.rows) return [];
    return [
      `${name} (${a?.rows ?? "none"} → ${b?.rows ?? "none"} rows${a && b && a.rows === b.rows ? ", changed" : ""})`,
    ];
  });
}

/** Every row of every public table as JSON text, per table (for secret scans). */
export async function dumpPublicRows(sql: Sql): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of await publicTables(sql)) {
    const [row] = await sql.unsafe<{ rows: string }[]>(
      `select coalesce(json_agg(t)::text, '[]') as rows from public.${quoteIdent(table)} t`,
    );
    out[table] = row.rows;
  }
  return out;
}

// ---- callers that must be refused -------------------------------------------------------------------------------

export interface RefusedCaller {
  label: string;
  /** The whole Authorization header, null for none. */
  authorization: string | null;
  /** The `apikey` header, if any. */
  apikey?: string;
  /** Statuses that count as a correct refusal. */
  allowed: readonly number[];
}

function base64url(text: string): string {
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Every kind of caller that is not the service role, with the statuses the contract allows for each. */
export async function refusedCallers(stack: Stack): Promise<RefusedCaller[]> {
  const serviceClaims = { iss: "supabase", role: "service_role" };
  const now = Date.now();
  const expired = await mintJwt(stack.jwtSecret, serviceClaims, {
    issuedAt: new Date(now - 2 * 3_600_000),
    expiresAt: new Date(now - 3_600_000),
  });
  const wrongSecret = await mintJwt(randomJwtSecret(), serviceClaims);
  // Correctly signed service-role claims, but not the project's key: the contract accepts only that exact key.
  const reminted = await mintJwt(stack.jwtSecret, { ...serviceClaims, sub: "someone-with-the-jwt-secret" });
  const unsigned = `${base64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${
    base64url(JSON.stringify({ ...serviceClaims, exp: Math.floor(now / 1000) + 3600 }))
  }.`;
  return [
    { label: "no Authorization header", authorization: null, allowed: [401] },
    { label: "an empty bearer token", authorization: "Bearer ", allowed: [401] },
    { label: "the anon key", authorization: `Bearer ${stack.anonKey}`, allowed: [401, 403] },
    {
      label: "a signed-in (authenticated) user's JWT",
      authorization: `Bearer ${stack.authenticatedKey}`,
      allowed: [403],
    },
    // verify_jwt is off (a secret key is not a JWT), so these reach the handler: a credential, but not the key → 403.
    { label: "an expired service-role JWT", authorization: `Bearer ${expired}`, allowed: [403] },
    {
      label: "service-role claims signed with the wrong secret",
      authorization: `Bearer ${wrongSecret}`,
      allowed: [403],
    },
    { label: "service-role claims with alg none (unsigned)", authorization: `Bearer ${unsigned}`, allowed: [403] },
    { label: "a garbage token", authorization: "Bearer not.a.jwt-at-all", allowed: [403] },
    { label: "a 16 KB garbage token", authorization: `Bearer ${"A".repeat(16 * 1024)}`, allowed: [403, 431] },
    { label: "the publishable key in apikey", authorization: null, apikey: stack.publishableKey, allowed: [403] },
    { label: "the secret key in the wrong header", authorization: `Bearer ${stack.secretKey}`, allowed: [403] },
    { label: "another project's secret key", authorization: null, apikey: randomApiKey("secret"), allowed: [403] },
    {
      label: "the service role key under the Basic scheme",
      authorization: `Basic ${serverKey(stack)}`,
      allowed: [401],
    },
    {
      label: "a re-minted service-role JWT that is not the project key",
      authorization: `Bearer ${reminted}`,
      allowed: [401, 403],
    },
  ];
}

// ---- bodies that must be refused ---------------------------------------------------------------------------------

export interface BodyCase {
  label: string;
  body: BodyInit | null;
  /** Default application/json; null sends none. */
  contentType?: string | null;
  /** Default POST. */
  method?: string;
  /** The field the error must name (an issue path or the message); unset for body-level refusals. */
  field?: string;
  /** Statuses that count as a correct refusal; default any 4xx. */
  allowed?: readonly number[];
}

/** `[[[…]]]`, `depth` levels, built without recursion. */
export function nestedArrays(depth: number): string {
  return "[".repeat(depth) + "]".repeat(depth);
}

/** `{"a":{"a":…{}…}}`, `depth` levels. */
export function nestedObjects(depth: number): string {
  return '{"a":'.repeat(depth) + "{}" + "}".repeat(depth);
}

/** `{"<field>": <raw JSON text>}`: raw, so numbers JSON.stringify would round (or refuse) go out as written. */
function withField(field: string, rawValue: string): string {
  return `{${JSON.stringify(field)}:${rawValue}}`;
}

const MB = 1024 * 1024;

/** A body of `bytes` bytes sent as a stream, so no content-length tells the function its size up front. */
export function streamedBody(bytes: number, chunkBytes = 64 * 1024): ReadableStream<Uint8Array> {
  const chunk = new TextEncoder().encode("x".repeat(chunkBytes));
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent === 0) {
        controller.enqueue(new TextEncoder().encode('{"padding":"'));
      }
      if (sent >= bytes) {
        controller.enqueue(new TextEncoder().encode('"}'));
        controller.close();
        return;
      }
      controller.enqueue(chunk);
      sent += chunk.byteLength;
    },
  });
}

/** Bad bodies every function must refuse, whatever its fields. `validBody` is a body it would otherwise accept. */
export function genericBodyCases(validBody: string): BodyCase[] {
  const big = `{"padding":"${"x".repeat(2 * MB)}"}`;
  return [
    // not JSON
    { label: "non-JSON text", body: "this is not json", field: "(body)" },
    { label: "truncated JSON", body: '{"venues":', field: "(body)" },
    { label: "JSON with single quotes", body: "{'venues': ['okx']}", field: "(body)" },
    { label: "two JSON values", body: "{} {}", field: "(body)" },
    { label: "a NaN literal", body: '{"samples": NaN}', field: "(body)" },
    { label: "invalid UTF-8 bytes", body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), field: "(body)" },
    // JSON, but not an object
    { label: "a JSON array", body: "[]", field: "(body)" },
    { label: "a JSON array of an object", body: `[${validBody}]`, field: "(body)" },
    { label: "a JSON string", body: '"{}"', field: "(body)" },
    { label: "JSON null", body: "null", field: "(body)" },
    { label: "a JSON number", body: "42", field: "(body)" },
    { label: "JSON true", body: "true", field: "(body)" },
    // unknown keys
    { label: "an unknown key", body: '{"unexpected_field": 1}', field: "unexpected_field" },
    { label: "a __proto__ key", body: '{"__proto__": {"admin": true}}', field: "__proto__" },
    { label: "a constructor key", body: '{"constructor": {"prototype": {}}}', field: "constructor" },
    // deep nesting
    { label: "10 000 levels of nested arrays", body: nestedArrays(10_000) },
    {
      label: "7 000 levels of arrays under an unknown key",
      body: withField("deep", nestedArrays(7_000)),
      field: "deep",
    },
    { label: "2 000 levels of nested objects", body: nestedObjects(2_000), field: "a" },
    // size
    { label: "a 2 MB body (with content-length)", body: big },
    { label: "a 2 MB body streamed without content-length", body: streamedBody(2 * MB) },
    // transport
    { label: "a valid body sent as text/plain", body: validBody, contentType: "text/plain", allowed: [400, 415] },
    {
      label: "a valid body sent as form data",
      body: validBody,
      contentType: "application/x-www-form-urlencoded",
      allowed: [400, 415],
    },
    { label: "GET instead of POST", body: null, method: "GET", allowed: [400, 405] },
    { label: "PUT instead of POST", body: validBody, method: "PUT", allowed: [400, 405] },
    { label: "DELETE instead of POST", body: null, method: "DELETE", allowed: [400, 405] },
  ];
}

const MAX_SAFE_PLUS_2 = "9007199254740993";

/** Bad values for a `venues` field (array of known venue ids). */
function venuesCases(): BodyCase[] {
  return [
    { label: "venues: a string", body: withField("venues", '"binance"'), field: "venues" },
    { label: "venues: a number", body: withField("venues", "1"), field: "venues" },
    { label: "venues: an object", body: withField("venues", '{"0":"okx"}'), field: "venues" },
    { label: "venues: null", body: withField("venues", "null"), field: "venues" },
    { label: "venues: empty", body: withField("venues", "[]"), field: "venues" },
    { label: "venues: an unknown venue", body: withField("venues", '["binance","kraken"]'), field: "venues" },
    { label: "venues: upper case", body: withField("venues", '["BINANCE"]'), field: "venues" },
    { label: "venues: a number inside", body: withField("venues", "[1]"), field: "venues" },
    { label: "venues: 1e308", body: withField("venues", "1e308"), field: "venues" },
    {
      label: "venues: MAX_SAFE_INTEGER + 2 inside",
      body: withField("venues", `[${MAX_SAFE_PLUS_2}]`),
      field: "venues",
    },
    { label: "venues: too many", body: withField("venues", '["binance","okx","binance"]'), field: "venues" },
    { label: "venues: 5 000 levels of arrays", body: withField("venues", nestedArrays(5_000)), field: "venues" },
  ];
}

/** Bad values for a positive integer field. */
function countCases(field: string, validExample: number): BodyCase[] {
  const one = (label: string, raw: string): BodyCase => ({
    label: `${field}: ${label}`,
    body: withField(field, raw),
    field,
  });
  return [
    one("a numeric string", JSON.stringify(String(validExample))),
    one("a boolean", "true"),
    one("null", "null"),
    one("an array", `[${validExample}]`),
    one("an object", `{"value":${validExample}}`),
    one("a fraction", `${validExample}.5`),
    one("negative", `-${validExample}`),
    one("1e308", "1e308"),
    one("1e309 (Infinity once parsed)", "1e309"),
    one("MAX_SAFE_INTEGER + 2", MAX_SAFE_PLUS_2),
    one("-1e308", "-1e308"),
  ];
}

/** Per-function cases for the fields each body schema knows (the contract's bodies). */
export const FIELD_CASES: Readonly<Record<string, () => BodyCase[]>> = {
  "balance-sync": () => venuesCases(),
  "latency-sample": () => [
    ...venuesCases(),
    ...countCases("samples", 1),
    { label: "samples: zero", body: withField("samples", "0"), field: "samples" },
    { label: "samples: above the cap", body: withField("samples", "1000000"), field: "samples" },
    ...countCases("spacing_ms", 10),
  ],
  "trade-burst": () => [
    ...venuesCases(),
    { label: "venues: a duplicate", body: withField("venues", '["okx","okx"]'), field: "venues" },
    ...countCases("duration_ms", 1000),
    { label: "duration_ms: zero", body: withField("duration_ms", "0"), field: "duration_ms" },
    { label: "duration_ms: one hour", body: withField("duration_ms", "3600000"), field: "duration_ms" },
    { label: "symbols: a string", body: withField("symbols", '"BTC/USDT"'), field: "symbols" },
    { label: "symbols: empty", body: withField("symbols", "[]"), field: "symbols" },
    { label: "symbols: lower case", body: withField("symbols", '["btc/usdt"]'), field: "symbols" },
    { label: "symbols: a number inside", body: withField("symbols", "[1]"), field: "symbols" },
    { label: "symbols: a duplicate", body: withField("symbols", '["BTC/USDT","BTC/USDT"]'), field: "symbols" },
    {
      label: "symbols: SQL in a symbol",
      body: withField("symbols", JSON.stringify(["BTC/USDT'); delete from orders; --"])),
      field: "symbols",
    },
    {
      label: "symbols: 51 symbols",
      body: withField("symbols", JSON.stringify(Array.from({ length: 51 }, (_, i) => `C${i}/USDT`))),
      field: "symbols",
    },
    { label: "symbols: one not in bot_settings", body: withField("symbols", '["DOGE/USDT"]'), field: "symbols" },
  ],
};

/** Generic cases plus the function's field cases (none for a function this file does not know yet). */
export function bodyCasesFor(name: string): BodyCase[] {
  return [...genericBodyCases(JSON.stringify(minimalValidBody(name))), ...(FIELD_CASES[name]?.() ?? [])];
}

/** True when the answer names `field`: an issue whose path is the field (or inside it), or the error message. */
export function namesField(answer: Record<string, unknown> | undefined, field: string): boolean {
  if (!answer) return false;
  const issues = Array.isArray(answer.issues) ? answer.issues : [];
  const inField = (path: string) =>
    path === field || path.startsWith(`${field}.`) || path.startsWith(`${field}[`) ||
    path.split(", ").includes(field);
  if (issues.some((i) => typeof i?.path === "string" && inField(i.path))) return true;
  return typeof answer.error === "string" && answer.error.includes(field);
}

// ---- secrets ------------------------------------------------------------------------------------------------------

export interface NamedSecret {
  name: string;
  value: string;
}

/**
 * The strings that betray a secret: the value, its URL- and JSON-escaped forms, and its last 16 characters (a
 * truncated or partly masked value still leaks; for a JWT the end is the signature, which no other key shares).
 */
export function secretNeedles(secret: NamedSecret): string[] {
  const value = secret.value;
  const forms = [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)];
  if (value.length >= 24) forms.push(value.slice(-16));
  return [...new Set(forms)];
}

/** Which secrets appear in `text`: `["OKX_PASSPHRASE", …]`, empty when none. */
export function leakedSecrets(text: string, secrets: readonly NamedSecret[]): string[] {
  return secrets.filter((s) => secretNeedles(s).some((needle) => text.includes(needle))).map((s) => s.name);
}

/** A random secret-looking value (hex), unique per test run so a match can only be a leak. */
export function randomSecret(bytes = 24): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Every file in the stack's log folder (function logs, PostgREST), by file name. */
export async function stackLogFiles(stack: Stack): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const entry of Deno.readDir(stack.logDir)) {
    if (entry.isFile) out[entry.name] = await Deno.readTextFile(`${stack.logDir}/${entry.name}`);
  }
  return out;
}

/**
 * Signatures for the venues' private streams, with WebCrypto (no ccxt): Binance's WebSocket API signs the request's
 * params sorted by name (`k=v&...`) as HMAC-SHA256 hex; OKX's login signs `timestamp + "GET" + "/users/self/verify"`
 * as base64 HMAC-SHA256. The keys are the ones the exchange layer holds (env credentials).
 */

async function hmacSha256(secret: string, message: string): Promise<Uint8Array> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
}

/** Binance: the payload every signed WebSocket API request signs (params without `signature`, sorted by name). */
export function binancePayload(params: Readonly<Record<string, string | number>>): string {
  return Object.keys(params).filter((k) => k !== "signature").sort().map((k) => `${k}=${params[k]}`).join("&");
}

export async function binanceSignature(secret: string, params: Readonly<Record<string, string | number>>) {
  const mac = await hmacSha256(secret, binancePayload(params));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** OKX: the login `sign` for a timestamp in Unix seconds. */
export async function okxLoginSignature(secret: string, timestampSeconds: string): Promise<string> {
  const mac = await hmacSha256(secret, `${timestampSeconds}GET/users/self/verify`);
  return btoa(String.fromCharCode(...mac));
}

// OKX v5 request authentication, as the venue checks it:
//   OK-ACCESS-SIGN = base64(HMAC-SHA256(secret, timestamp + METHOD + requestPath(+ "?" + query) + body))
// with OK-ACCESS-KEY, OK-ACCESS-TIMESTAMP (ISO 8601 with milliseconds, UTC) and OK-ACCESS-PASSPHRASE.

import { timingSafeEqual } from "node:crypto";
import type { VenueEngine } from "./engine.ts";
import type { Account } from "./types.ts";
import {
  expiredTimestamp,
  invalidKey,
  invalidSignature,
  invalidTimestamp,
  missingHeader,
  wrongPassphrase,
} from "./okx_errors.ts";

/** OKX refuses a request whose timestamp is more than 30 seconds away from server time. */
export const MAX_TIMESTAMP_SKEW_MS = 30_000;

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** base64(HMAC-SHA256(secret, message)): the OK-ACCESS-SIGN value. */
export async function okxSignature(secret: string, message: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
  return btoa(String.fromCharCode(...mac));
}

function sameText(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a);
  const right = new TextEncoder().encode(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export interface SignedRequest {
  method: string;
  /** path plus `?query` exactly as sent, e.g. `/api/v5/trade/order?instId=BTC-USDT&ordId=1` */
  requestPath: string;
  /** raw body text ("" for GET) */
  body: string;
  headers: Headers;
}

/**
 * Checks the four OK-ACCESS headers and returns the account. Throws OkxApiError with OKX's code in OKX's order:
 * missing headers, timestamp format and skew, unknown key, passphrase, then the signature.
 */
export async function authenticateOkx(request: SignedRequest, engine: VenueEngine, now: number): Promise<Account> {
  const key = request.headers.get("ok-access-key") ?? "";
  const sign = request.headers.get("ok-access-sign") ?? "";
  const timestamp = request.headers.get("ok-access-timestamp") ?? "";
  const passphrase = request.headers.get("ok-access-passphrase") ?? "";
  if (key === "") throw missingHeader("OK-ACCESS-KEY", "50103");
  if (sign === "") throw missingHeader("OK-ACCESS-SIGN", "50106");
  if (timestamp === "") throw missingHeader("OK-ACCESS-TIMESTAMP", "50107");
  if (passphrase === "") throw missingHeader("OK-ACCESS-PASSPHRASE", "50104");

  const sentAt = ISO_TIMESTAMP.test(timestamp) ? Date.parse(timestamp) : NaN;
  if (Number.isNaN(sentAt)) throw invalidTimestamp();
  if (Math.abs(now - sentAt) > MAX_TIMESTAMP_SKEW_MS) throw expiredTimestamp();

  const account = engine.accountByApiKey(key);
  if (!account) throw invalidKey();
  if (!sameText(passphrase, account.passphrase ?? "")) throw wrongPassphrase();

  const expected = await okxSignature(
    account.secret,
    timestamp + request.method.toUpperCase() + request.requestPath + request.body,
  );
  if (!sameText(sign, expected)) throw invalidSignature();
  return account;
}

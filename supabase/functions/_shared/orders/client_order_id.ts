/**
 * Our client order ids: short, unique, and legal on every venue we trade.
 * Binance allows `^[a-zA-Z0-9-_]{1,36}$`, OKX's clOrdId alphanumerics up to 32 characters; the common ground is
 * alphanumerics only, at most 32. Shape: `sb` + base-36 milliseconds (8–9 chars) + 12 random base-36 characters,
 * 22–23 characters in all, so ids sort roughly by creation time and collide with negligible probability.
 */

const PREFIX = "sb";
const RANDOM_CHARS = 12;
const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/** Every id we generate matches this; anything else in the orders table was not made by us. */
export const CLIENT_ORDER_ID_PATTERN = /^sb[0-9a-z]{20,30}$/;

/** A fresh client order id for `nowMs`. `random` fills bytes (crypto by default; tests may pass their own). */
export function newClientOrderId(
  nowMs: number,
  random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
): string {
  if (!Number.isFinite(nowMs) || nowMs < 0) throw new RangeError(`nowMs must be a time >= 0, got ${nowMs}`);
  const bytes = random(new Uint8Array(RANDOM_CHARS));
  let tail = "";
  for (const byte of bytes) tail += ALPHABET[byte % ALPHABET.length];
  return `${PREFIX}${Math.floor(nowMs).toString(36)}${tail}`;
}

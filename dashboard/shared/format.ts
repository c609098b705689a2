/**
 * Numbers and times as a trader reads them, for the web dashboard: fixed decimals per quote asset, signed PnL,
 * ages ("42 s ago"), UTC with the local time beside it. Pure; the terminal dashboard keeps its own compact forms.
 */

export const MISSING = "—";

/** Decimals a quote asset is counted in: stablecoins in cents, BTC in satoshis, ETH to the gwei-ish 6th place. */
const QUOTE_DECIMALS: Record<string, number> = { USDT: 2, USDC: 2, USD: 2, FDUSD: 2, EUR: 2, BTC: 8, ETH: 6, BNB: 6 };

export function quoteDecimals(quote: string): number {
  return QUOTE_DECIMALS[quote.toUpperCase()] ?? 4;
}

/** The quote asset of "BTC/USDT" ("USDT"); USDT when the symbol has no slash. */
export function quoteOf(symbol: string): string {
  const slash = symbol.indexOf("/");
  return slash >= 0 ? symbol.slice(slash + 1).split(":")[0] : "USDT";
}

function finite(value: number | null | undefined): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/** Thousands grouped with a thin space-free comma, decimals fixed: 10,250.50. */
export function amount(value: number | null | undefined, decimals: number): string {
  if (!finite(value)) return MISSING;
  return value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** Money in a quote asset: 10,250.50 for USDT. */
export function money(value: number | null | undefined, quote = "USDT"): string {
  return amount(value, quoteDecimals(quote));
}

/**
 * A price in its quote asset: cents for USDT prices of 1 and above, more places below 1 (a 0.0825 coin must not
 * read 0.08).
 */
export function price(value: number | null | undefined, quote = "USDT"): string {
  if (!finite(value)) return MISSING;
  const base = quoteDecimals(quote);
  const decimals = Math.abs(value) >= 1 || value === 0 ? base : Math.max(base, 6);
  return amount(value, decimals);
}

/** A base-asset quantity: up to 8 places, trailing zeros dropped (0.2, 0.01234). */
export function quantity(value: number | null | undefined): string {
  if (!finite(value)) return MISSING;
  return value.toLocaleString("en-US", { maximumFractionDigits: 8 });
}

export type Tone = "pos" | "neg" | "flat";

/** Signed PnL with its tone: "+1.80", "−0.40" (a real minus sign), "0.00". */
export function pnl(value: number | null | undefined, quote = "USDT"): { text: string; tone: Tone } {
  if (!finite(value)) return { text: MISSING, tone: "flat" };
  const text = money(Math.abs(value), quote);
  if (Number(text.replaceAll(",", "")) === 0) return { text, tone: "flat" };
  return value > 0 ? { text: `+${text}`, tone: "pos" } : { text: `\u2212${text}`, tone: "neg" };
}

/** A ratio as a percentage: 0.625 → "62.5 %". */
export function percent(ratio: number | null | undefined, decimals = 1): string {
  return finite(ratio) ? `${(ratio * 100).toFixed(decimals)} %` : MISSING;
}

/** Milliseconds: "21 ms", "1.2 s" from 1000 on. */
export function millis(value: number | null | undefined): string {
  if (!finite(value)) return MISSING;
  return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
}

/** Seconds between two instants as "42 s", "12 min", "3 h 5 min", "2 d"; "never" without a start. */
export function duration(seconds: number | null | undefined): string {
  if (!finite(seconds)) return MISSING;
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 48 * 3600) {
    const minutes = Math.floor((s % 3600) / 60);
    return `${Math.floor(s / 3600)} h${minutes ? ` ${minutes} min` : ""}`;
  }
  return `${Math.floor(s / 86400)} d`;
}

/** "42 s ago", "in 5 s" for a time ahead of the clock, "never" for none. */
export function ago(iso: string | null | undefined, now: Date): string {
  if (!iso) return "never";
  const ms = now.getTime() - Date.parse(iso);
  if (!Number.isFinite(ms)) return MISSING;
  return ms < -1000 ? `in ${duration(-ms / 1000)}` : `${duration(ms / 1000)} ago`;
}

/** "2026-12-01 21:40:05 UTC". */
export function utc(iso: string | null | undefined): string {
  if (!iso) return MISSING;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? MISSING : `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** "HH:MM:SS" in UTC, for dense tables (the full UTC and local time go in the cell's title). */
export function utcClock(iso: string | null | undefined): string {
  if (!iso) return MISSING;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? MISSING : date.toISOString().slice(11, 19);
}

/** UTC and the reader's local time, for a tooltip: "2026-12-01 21:40:05 UTC · 22:40:05 local". */
export function utcAndLocal(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return MISSING;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return MISSING;
  const local = date.toLocaleTimeString("en-GB", { hour12: false, timeZone });
  return `${utc(iso)} · ${local} local`;
}

/**
 * Dust on the dashboards: base left in the wallet by closed positions (below one lot step or the venue's minimums),
 * valued at the market price recorded when it was left (the burst's bid, or the last exit fill), summed per venue.
 * Dust that no price was at hand for is counted apart as unvalued, never at cost. Pure.
 */

/** One row of public.dust_holdings(mode): a venue and symbol. */
export interface DustRow {
  venue: string;
  symbol: string;
  positions: number;
  dust_qty: number;
  dust_cost_usd: number;
  valued_qty: number;
  dust_value_usd: number;
  unvalued_positions: number;
  unvalued_qty: number;
  last_px: number | null;
  last_priced_at: string | null;
  unassessed_positions: number;
}

export interface VenueDust {
  venue: string;
  /** Per symbol, as read. */
  symbols: DustRow[];
  /** USDT value of the valued dust (at the recorded prices). */
  valueUsd: number;
  /** The entry outlay the dust carries (not in realized PnL). */
  costUsd: number;
  /** Positions whose dust has no price: their value is unknown, not zero. */
  unvaluedPositions: number;
  /** Positions closed before the dust books existed. */
  unassessedPositions: number;
}

export function dustByVenue(rows: readonly DustRow[]): Map<string, VenueDust> {
  const out = new Map<string, VenueDust>();
  for (const row of rows) {
    const venue = out.get(row.venue) ??
      { venue: row.venue, symbols: [], valueUsd: 0, costUsd: 0, unvaluedPositions: 0, unassessedPositions: 0 };
    venue.symbols.push(row);
    venue.valueUsd += row.dust_value_usd;
    venue.costUsd += row.dust_cost_usd;
    venue.unvaluedPositions += row.unvalued_positions;
    venue.unassessedPositions += row.unassessed_positions;
    out.set(row.venue, venue);
  }
  return out;
}

/**
 * The venue's value as the books say: USDT plus its dust at market. Null when some dust is unvalued or was never
 * assessed (the total is then not known), or the balance is unknown.
 */
export function balanceWithDust(balanceUsdt: number | null, dust: VenueDust | undefined): number | null {
  if (balanceUsdt === null) return null;
  if (!dust) return balanceUsdt;
  return dust.unvaluedPositions > 0 || dust.unassessedPositions > 0 ? null : balanceUsdt + dust.valueUsd;
}

/** "0.0001 ETH ≈ 0.30 USDT at 3011.00 (12:03 UTC)", or "0.0001 ETH unvalued (no price when it was left)". */
export function dustText(row: DustRow, fmt: { qty: (n: number) => string; usd: (n: number) => string }): string {
  const base = row.symbol.split("/")[0];
  const parts: string[] = [];
  if (row.valued_qty > 0) {
    const at = row.last_priced_at ? ` (${row.last_priced_at.slice(11, 16)} UTC)` : "";
    parts.push(
      `${fmt.qty(row.valued_qty)} ${base} ≈ ${fmt.usd(row.dust_value_usd)} USDT` +
        (row.last_px !== null ? ` at ${fmt.usd(row.last_px)}${at}` : ""),
    );
  }
  if (row.unvalued_qty > 0) parts.push(`${fmt.qty(row.unvalued_qty)} ${base} unvalued (no price when it was left)`);
  if (row.unassessed_positions > 0) {
    parts.push(`${row.unassessed_positions} older position(s) not assessed for dust`);
  }
  return parts.join("; ");
}

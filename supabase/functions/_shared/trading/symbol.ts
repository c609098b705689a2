/**
 * The one shape of a symbol everywhere (settings, request bodies, rows read back): ccxt's unified spot symbol,
 * BASE/QUOTE in capitals or digits, 2 to 20 characters each. The tables check the same pattern
 * (`orders_symbol_unified`, `positions_symbol_unified`).
 */
export const SYMBOL_PATTERN = /^[A-Z0-9]{2,20}\/[A-Z0-9]{2,20}$/;

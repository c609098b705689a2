/**
 * The one reader of numbers that arrive as text: Postgres `numeric` columns through PostgREST (a JSON number, or a
 * string for big or precise values) and venues' answers (ccxt passes some fields through as strings). A plain decimal
 * or exponent string becomes a number; anything else ("", "abc", "0x10", null, booleans) is left as it is, so a zod
 * number check refuses it by name, unlike `z.coerce.number()`, which would turn "" and null into 0.
 */
import { z } from "zod";

const NUMERIC_TEXT = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** The number `text` spells, or null when it is not a plain numeric string. */
export function parseNumericText(text: string): number | null {
  return NUMERIC_TEXT.test(text) ? Number(text) : null;
}

/** A numeric string as a number; every other value unchanged (a zod preprocess step). */
export function numberFromText(value: unknown): unknown {
  return typeof value === "string" ? parseNumericText(value) ?? value : value;
}

/** `inner` (a zod number schema) that also accepts numeric strings. */
export function numeric<T extends z.ZodType>(inner: T) {
  return z.preprocess(numberFromText, inner);
}

import type { Json } from "./database.types.ts";

/**
 * A value for a jsonb column. Summaries and exchange answers are plain data, but their TypeScript types (interfaces,
 * `unknown`) do not say so; a JSON round trip makes the value exactly what the column will hold (no `undefined`, no
 * Date objects, NaN as null), so the type is earned rather than asserted.
 */
export function toJson(value: unknown): Json {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

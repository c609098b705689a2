/**
 * One short line for logs and `last_error` columns: class name and message, no stack, capped. Exchange errors are
 * already redacted when translated (exchange/translate.ts), so this adds no secrets.
 */
export function describeError(error: unknown, maxChars = 500): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}

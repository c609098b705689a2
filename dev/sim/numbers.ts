// Number helpers: the engine keeps plain numbers, rounded so float dust never breaks a comparison.

/** Amounts closer than this are equal. */
export const DUST = 1e-9;

/** Rounds to 10 decimals: enough for every asset here, and removes float noise. */
export function clean(x: number): number {
  return Number(x.toFixed(10));
}

/** True when `value` is a whole multiple of `step` (within float noise). */
export function isMultipleOf(value: number, step: number): boolean {
  if (step <= 0) return true;
  const ratio = value / step;
  return Math.abs(ratio - Math.round(ratio)) < 1e-7;
}

/** Rounds down to a multiple of `step`. */
export function floorToStep(value: number, step: number): number {
  if (step <= 0) return value;
  return clean(Math.floor(value / step + 1e-9) * step);
}

/** Rounds to the nearest multiple of `step`. */
export function roundToStep(value: number, step: number): number {
  return clean(Math.round(value / step) * step);
}

/** The number of decimals in a step like 0.001 (3), for formatting. */
export function decimalsOf(step: number): number {
  if (step >= 1) return 0;
  return Math.max(0, Math.round(-Math.log10(step)));
}

/**
 * Exact decimal arithmetic for order sizing and PnL.
 *
 * Why: binary floats cannot hold 0.1 or 0.00001 exactly, so `Math.floor(0.3 / 0.1)` is 2 and
 * `Math.floor(1.15 / 0.00001)` is 114999. Exchanges reject amounts that are not whole multiples of the lot step, so
 * every step computation here works on integers (`units / 10^scale`, held in a bigint) built from the shortest
 * decimal text of each number, which is the value a human (and the exchange's JSON) meant.
 */

/** An exact decimal: `units / 10^scale`, scale >= 0. */
export interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

/** Thrown when a value cannot be read as a finite decimal number. */
export class InvalidDecimalError extends Error {
  constructor(readonly value: unknown) {
    super(`not a finite decimal number: ${String(value)}`);
    this.name = "InvalidDecimalError";
  }
}

/** Thrown when dividing by an exact zero. */
export class DivisionByZeroError extends Error {
  constructor(readonly what: string) {
    super(`division by zero: ${what}`);
    this.name = "DivisionByZeroError";
  }
}

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** Reads a number (through its shortest round-trip text), a numeric string or a Decimal. */
export function decimal(value: number | string | Decimal): Decimal {
  if (typeof value === "object") return value;
  if (typeof value === "number" && !Number.isFinite(value)) throw new InvalidDecimalError(value);
  const text = String(value).trim();
  const match = DECIMAL_TEXT.exec(text);
  if (!match) throw new InvalidDecimalError(value);
  const [, sign, whole = "", fraction = "", exponent = "0"] = match;
  if (whole.length === 0 && fraction.length === 0) throw new InvalidDecimalError(value);
  const magnitude = BigInt(`${whole}${fraction}`);
  let units = sign === "-" ? -magnitude : magnitude;
  let scale = fraction.length - Number(exponent);
  if (scale < 0) {
    units *= pow10(-scale);
    scale = 0;
  }
  return normalize({ units, scale });
}

/** Drops trailing zeros so equal values have one representation. */
function normalize(d: Decimal): Decimal {
  let { units, scale } = d;
  while (scale > 0 && units % 10n === 0n) {
    units /= 10n;
    scale -= 1;
  }
  return { units, scale };
}

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.units * pow10(scale - a.scale), b.units * pow10(scale - b.scale), scale];
}

export function add(a: number | string | Decimal, b: number | string | Decimal): Decimal {
  const [x, y, scale] = align(decimal(a), decimal(b));
  return normalize({ units: x + y, scale });
}

export function sub(a: number | string | Decimal, b: number | string | Decimal): Decimal {
  const [x, y, scale] = align(decimal(a), decimal(b));
  return normalize({ units: x - y, scale });
}

export function mul(a: number | string | Decimal, b: number | string | Decimal): Decimal {
  const x = decimal(a);
  const y = decimal(b);
  return normalize({ units: x.units * y.units, scale: x.scale + y.scale });
}

/** -1, 0 or 1. */
export function compare(a: number | string | Decimal, b: number | string | Decimal): -1 | 0 | 1 {
  const [x, y] = align(decimal(a), decimal(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Sum of a list (0 for an empty list). */
export function sum(values: readonly (number | string | Decimal)[]): Decimal {
  return values.reduce<Decimal>((acc, v) => add(acc, v), { units: 0n, scale: 0 });
}

function floorBigDiv(x: bigint, y: bigint): bigint {
  const q = x / y; // bigint division truncates toward zero
  return (x % y !== 0n) && ((x < 0n) !== (y < 0n)) ? q - 1n : q;
}

/** floor(a / b) as an integer. */
export function floorDiv(a: number | string | Decimal, b: number | string | Decimal): bigint {
  const [x, y] = align(decimal(a), decimal(b));
  if (y === 0n) throw new DivisionByZeroError(`${toDecimalString(a)} / 0`);
  return floorBigDiv(x, y);
}

/** ceil(a / b) as an integer. */
export function ceilDiv(a: number | string | Decimal, b: number | string | Decimal): bigint {
  const [x, y] = align(decimal(a), decimal(b));
  if (y === 0n) throw new DivisionByZeroError(`${toDecimalString(a)} / 0`);
  return -floorBigDiv(-x, y);
}

/** a / b floored to `scale` decimal places (default 18: far below any price or lot step). */
export function divide(a: number | string | Decimal, b: number | string | Decimal, scale = 18): Decimal {
  const x = decimal(a);
  const y = decimal(b);
  if (y.units === 0n) throw new DivisionByZeroError(`${toDecimalString(x)} / 0`);
  // a/b = (xu / 10^xs) / (yu / 10^ys); scaled by 10^scale: xu * 10^(scale + ys) / (yu * 10^xs)
  const numerator = x.units * pow10(scale + y.scale);
  const denominator = y.units * pow10(x.scale);
  return normalize({ units: floorBigDiv(numerator, denominator), scale });
}

/** Plain decimal text, never exponent notation: "0.00001", "-12.5", "0". */
export function toDecimalString(value: number | string | Decimal): string {
  const d = decimal(value);
  const negative = d.units < 0n;
  const digits = (negative ? -d.units : d.units).toString().padStart(d.scale + 1, "0");
  const whole = digits.slice(0, digits.length - d.scale);
  const fraction = digits.slice(digits.length - d.scale);
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}

/** Nearest float of the exact value (the only lossy step, done last). */
export function toNumber(value: number | string | Decimal): number {
  return Number(toDecimalString(value));
}

/** Largest multiple of `step` that is <= value. `step` must be > 0. */
export function floorToStep(value: number | string, step: number | string): number {
  return toNumber(mul(floorDiv(value, step).toString(), step));
}

/** Smallest multiple of `step` that is >= value. `step` must be > 0. */
export function ceilToStep(value: number | string, step: number | string): number {
  return toNumber(mul(ceilDiv(value, step).toString(), step));
}

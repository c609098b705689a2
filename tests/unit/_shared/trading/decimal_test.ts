import assert from "node:assert/strict";
import {
  add,
  ceilDiv,
  ceilToStep,
  compare,
  decimal,
  divide,
  DivisionByZeroError,
  floorDiv,
  floorToStep,
  InvalidDecimalError,
  mul,
  sub,
  sum,
  toDecimalString,
  toNumber,
} from "../../../../supabase/functions/_shared/trading/decimal.ts";

Deno.test("decimal reads numbers and numeric text exactly", async (t) => {
  await t.step("shortest float text, exponents and signs", () => {
    assert.equal(toDecimalString(0.1), "0.1");
    assert.equal(toDecimalString(1e-7), "0.0000001");
    assert.equal(toDecimalString(1.5e21), "1500000000000000000000");
    assert.equal(toDecimalString("-12.50"), "-12.5");
    assert.equal(toDecimalString("1E+2"), "100");
    assert.equal(toDecimalString(".5"), "0.5");
    assert.equal(toDecimalString(-0), "0");
  });

  await t.step("equal values have one representation", () => {
    assert.deepEqual(decimal("1.000"), decimal(1));
    assert.deepEqual(decimal("0.00001"), decimal(1e-5));
  });

  await t.step("garbage, NaN and Infinity are refused", () => {
    for (const bad of ["", "abc", "1.2.3", "--1", NaN, Infinity, "."]) {
      assert.throws(() => decimal(bad), InvalidDecimalError, String(bad));
    }
  });
});

Deno.test("decimal arithmetic has none of the binary float errors", async (t) => {
  await t.step("0.1 + 0.2 is 0.3", () => {
    assert.equal(toNumber(add(0.1, 0.2)), 0.3);
    assert.equal(compare(add(0.1, 0.2), 0.3), 0);
  });

  await t.step("sub, mul, sum", () => {
    assert.equal(toDecimalString(sub(0.3, 0.1)), "0.2");
    assert.equal(toDecimalString(mul(0.00001, 3)), "0.00003");
    assert.equal(toDecimalString(mul(43123.45, 0.01391)), "599.8471895");
    assert.equal(toDecimalString(sum([0.1, 0.1, 0.1])), "0.3");
    assert.equal(toDecimalString(sum([])), "0");
  });

  await t.step("floor and ceil division, negatives included", () => {
    assert.equal(floorDiv(0.3, 0.1), 3n);
    assert.equal(floorDiv(1.15, 0.00001), 115000n);
    assert.equal(floorDiv(0.29999, 0.1), 2n);
    assert.equal(ceilDiv(0.30001, 0.1), 4n);
    assert.equal(ceilDiv(0.3, 0.1), 3n);
    assert.equal(floorDiv(-0.5, 1), -1n);
    assert.equal(ceilDiv(-0.5, 1), 0n);
  });

  await t.step("divide floors to the requested scale", () => {
    assert.equal(toDecimalString(divide(1, 3, 5)), "0.33333");
    assert.equal(toDecimalString(divide(10, 4)), "2.5");
    assert.throws(() => divide(1, 0), DivisionByZeroError);
    assert.throws(() => floorDiv(1, "0.000"), DivisionByZeroError);
  });
});

Deno.test("floorToStep and ceilToStep land exactly on the grid", async (t) => {
  await t.step("classic float traps", () => {
    // Math.floor(0.3 / 0.1) * 0.1 would give 0.2; Math.floor(4.35 / 0.01) * 0.01 would give 4.34
    assert.equal(floorToStep(0.3, 0.1), 0.3);
    assert.equal(floorToStep(4.35, 0.01), 4.35);
    assert.equal(floorToStep(1.15, 0.00001), 1.15);
    assert.equal(floorToStep(0.0003, 0.0001), 0.0003);
  });

  await t.step("off-grid values go down, or up for ceil", () => {
    assert.equal(floorToStep(0.123456789, 0.00001), 0.12345);
    assert.equal(ceilToStep(0.123451, 0.00001), 0.12346);
    assert.equal(floorToStep(43123.456, 0.01), 43123.45);
    assert.equal(ceilToStep(43123.451, 0.01), 43123.46);
    assert.equal(floorToStep(7, 5), 5);
  });

  await t.step("values below one step", () => {
    assert.equal(floorToStep(0.000009, 0.00001), 0);
    assert.equal(ceilToStep(0.000009, 0.00001), 0.00001);
  });
});

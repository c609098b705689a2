import assert from "node:assert/strict";
import {
  AccountSuspended,
  AuthenticationError,
  BadRequest,
  BadResponse,
  BadSymbol,
  DDoSProtection,
  ExchangeError,
  ExchangeNotAvailable,
  InsufficientFunds,
  InvalidNonce,
  InvalidOrder,
  NetworkError,
  OnMaintenance,
  OrderNotFound,
  PermissionDenied,
  RateLimitExceeded,
  RequestTimeout,
} from "ccxt";
import {
  FinalExchangeError,
  isRetryableExchangeError,
  NeedsHumanError,
  RateLimitedError,
  TemporaryExchangeError,
} from "../../../../supabase/functions/_shared/exchange/errors.ts";
import {
  redactMessage,
  retryAfterMsFromHeaders,
  translateCcxtError,
} from "../../../../supabase/functions/_shared/exchange/translate.ts";

Deno.test("ccxt errors map to our four classes", async (t) => {
  const cases: [Error, abstract new (...args: never[]) => Error][] = [
    [new NetworkError("socket hang up"), TemporaryExchangeError],
    [new RequestTimeout("timed out"), TemporaryExchangeError],
    [new ExchangeNotAvailable("502 Bad Gateway"), TemporaryExchangeError],
    [new OnMaintenance("system maintenance"), TemporaryExchangeError],
    [new InvalidNonce("timestamp outside recvWindow"), TemporaryExchangeError],
    [new BadResponse("garbled"), TemporaryExchangeError],
    [new RateLimitExceeded("429"), RateLimitedError],
    [new DDoSProtection("418 banned"), RateLimitedError],
    [new InvalidOrder("LOT_SIZE"), FinalExchangeError],
    [new OrderNotFound("no such order"), FinalExchangeError],
    [new InsufficientFunds("balance"), FinalExchangeError],
    [new BadSymbol("no market"), FinalExchangeError],
    [new BadRequest("bad param"), FinalExchangeError],
    [new ExchangeError("generic"), FinalExchangeError],
    [new AuthenticationError("invalid key"), NeedsHumanError],
    [new PermissionDenied("no trade permission"), NeedsHumanError],
    [new AccountSuspended("suspended"), NeedsHumanError],
  ];
  for (const [input, expected] of cases) {
    await t.step(`${input.constructor.name} → ${expected.name}`, () => {
      const out = translateCcxtError(input, { venue: "binance", operation: "fetchBalances" });
      assert.ok(out instanceof expected, `${input.constructor.name} became ${out.name}`);
      assert.equal(out.venue, "binance");
      assert.equal(out.operation, "fetchBalances");
      assert.equal(out.source, input.constructor.name);
      assert.equal(out.cause, input);
      assert.equal(
        isRetryableExchangeError(out),
        expected === TemporaryExchangeError || expected === RateLimitedError,
      );
    });
  }
});

Deno.test("non-ccxt errors: fetch failures are temporary, anything else final", () => {
  assert.ok(translateCcxtError(new TypeError("error sending request: fetch failed")) instanceof TemporaryExchangeError);
  assert.ok(translateCcxtError(new DOMException("aborted", "AbortError")) instanceof TemporaryExchangeError);
  assert.ok(translateCcxtError(new RangeError("bad arithmetic")) instanceof FinalExchangeError);
  assert.ok(translateCcxtError("a string") instanceof FinalExchangeError);
});

Deno.test("an already translated error passes through unchanged", () => {
  const ours = new FinalExchangeError("x");
  assert.equal(translateCcxtError(ours), ours);
});

Deno.test("a rate limit reads Retry-After from the last response headers", async (t) => {
  await t.step("delta seconds", () => {
    const out = translateCcxtError(new RateLimitExceeded("429"), { responseHeaders: { "Retry-After": "2" } });
    assert.ok(out instanceof RateLimitedError);
    assert.equal(out.retryAfterMs, 2000);
  });
  await t.step("HTTP date, relative to now", () => {
    const now = Date.UTC(2024, 0, 1, 0, 0, 0);
    const headers = { "retry-after": new Date(now + 3000).toUTCString() };
    assert.equal(retryAfterMsFromHeaders(headers, now), 3000);
  });
  await t.step("absent or junk → undefined", () => {
    const out = translateCcxtError(new RateLimitExceeded("429"), { responseHeaders: {} });
    assert.equal((out as RateLimitedError).retryAfterMs, undefined);
    assert.equal(retryAfterMsFromHeaders({ "Retry-After": "soon" }), undefined);
    assert.equal(retryAfterMsFromHeaders(undefined), undefined);
  });
});

Deno.test("messages never carry secrets or signed query strings", () => {
  const error = new AuthenticationError(
    'binance GET https://api.binance.com/api/v3/account?timestamp=1&signature=abcdef0123 401 {"msg":"key KEY-123456 bad"}',
  );
  const out = translateCcxtError(error, { secrets: ["KEY-123456", undefined] });
  assert.doesNotMatch(out.message, /signature=|abcdef0123/);
  assert.doesNotMatch(out.message, /KEY-123456/);
  assert.match(out.message, /\[redacted\]/);
  assert.match(out.message, /api\/v3\/account/);
  assert.ok(redactMessage("x".repeat(2000)).length < 600, "long messages are capped");
});

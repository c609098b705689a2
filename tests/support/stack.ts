/**
 * Shared helpers for end-to-end tests: one local stack per test file (start it in the file's test, run the cases as
 * steps, always stop it), and supabase-js clients that keep no session state and start no timers.
 */

import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { fileURLToPath } from "node:url";
import { type Stack, type StackOptions, startStack } from "../../dev/stack/stack.ts";

export type { Stack, StackOptions };

/** The fixture functions (`echo`, `echo-open`) and their config.toml, for tests of the stack itself. */
export const FIXTURE_FUNCTIONS_DIR = fileURLToPath(new URL("../fixtures/functions", import.meta.url));
export const FIXTURE_CONFIG_TOML = `${FIXTURE_FUNCTIONS_DIR}/config.toml`;

/** Starts a stack, runs `body` with it, and stops it whatever happens (so sanitizers see no leftovers). */
export async function withStack<T>(options: StackOptions, body: (stack: Stack) => Promise<T>): Promise<T> {
  const stack = await startStack(options);
  try {
    return await body(stack);
  } finally {
    await stack.stop();
  }
}

/** Registers one Deno test that owns a stack; cases go in `t.step` so they share it. */
export function stackTest(
  name: string,
  options: StackOptions,
  body: (t: Deno.TestContext, stack: Stack) => Promise<void>,
): void {
  Deno.test({ name, sanitizeOps: true, sanitizeResources: true }, (t) => withStack(options, (stack) => body(t, stack)));
}

/** A supabase-js client for the gateway that acts with `key` (anon, authenticated or service role). */
export function gatewayClient(stack: Stack, key: string): SupabaseClient {
  return createClient(stack.gatewayUrl, key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
}

/** The key a server-side client uses in this stack's mode: the legacy service role JWT, or the secret key. */
export function serverKey(stack: Stack): string {
  return stack.serviceRoleKey ?? stack.secretKey;
}

/** The public key in this stack's mode: the legacy anon JWT, or the publishable key. */
export function clientKey(stack: Stack): string {
  return stack.anonKey ?? stack.publishableKey;
}

/**
 * How a call presents `key` to a function: an opaque key (`sb_…`) in `apikey`, a JWT as `Authorization: Bearer`
 * (the legacy service role key, or any other JWT a test tries).
 */
export function keyHeaders(key: string): Record<string, string> {
  return key.startsWith("sb_") ? { apikey: key } : { authorization: `Bearer ${key}` };
}

/** The suites that run in both key modes name their tests with this. */
export function modeLabel(stack: { keyMode: string } | string): string {
  return typeof stack === "string" ? stack : stack.keyMode;
}

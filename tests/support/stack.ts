/**
 * Shared helpers for end-to-end tests: one local stack per test file (start it in the file's test, run the cases as
 * steps, always stop it), and supabase-js clients that keep no session state and start no timers.
 */

import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { fileURLToPath } from "node:url";
import { KEY_MODES, type KeyMode, type Stack, type StackOptions, startStack } from "../../dev/stack/stack.ts";
import type { Database } from "../../supabase/functions/_shared/database.types.ts";

export type { Stack, StackOptions };

/**
 * STACK_KEY_MODE=new-only runs a file's stacks without legacy keys (scripts/test.sh does that for the function
 * suites); unset, a stack has both kinds of keys. An explicit `keyMode` option wins.
 */
export function envKeyMode(): KeyMode | undefined {
  const value = Deno.env.get("STACK_KEY_MODE");
  if (value === undefined || value === "") return undefined;
  if (!(KEY_MODES as readonly string[]).includes(value)) {
    throw new Error(`STACK_KEY_MODE must be one of ${KEY_MODES.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value as KeyMode;
}

/** The fixture functions (`echo`, `echo-open`) and their config.toml, for tests of the stack itself. */
export const FIXTURE_FUNCTIONS_DIR = fileURLToPath(new URL("../fixtures/functions", import.meta.url));
export const FIXTURE_CONFIG_TOML = `${FIXTURE_FUNCTIONS_DIR}/config.toml`;

/** Starts a stack, runs `body` with it, and stops it whatever happens (so sanitizers see no leftovers). */
export async function withStack<T>(options: StackOptions, body: (stack: Stack) => Promise<T>): Promise<T> {
  const keyMode = options.keyMode ?? envKeyMode();
  const stack = await startStack(keyMode ? { ...options, keyMode } : options);
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
  const mode = options.keyMode ?? envKeyMode();
  Deno.test(
    { name: mode ? `${name} [${mode}]` : name, sanitizeOps: true, sanitizeResources: true },
    (t) => withStack(options, (stack) => body(t, stack)),
  );
}

/** A supabase-js client for the gateway that acts with `key` (anon, authenticated or service role). */
export function gatewayClient(stack: Stack, key: string): SupabaseClient<Database> {
  return createClient<Database>(stack.gatewayUrl, key, {
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

/** supabase-js as a signed-in user: the publishable key in `apikey`, the user's JWT as the session (both modes). */
export function userClient(stack: Stack, accessToken: string = stack.authenticatedKey): SupabaseClient<Database> {
  return createClient<Database>(stack.gatewayUrl, stack.publishableKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    accessToken: () => Promise.resolve(accessToken),
  });
}

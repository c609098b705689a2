/**
 * The keys a Supabase project hands out: the JWT secret and the legacy HS256 JWT keys (anon, service_role) minted
 * with jose, and the new opaque API keys (`sb_publishable_…`, `sb_secret_…`), which are not JWTs: the gateway maps
 * them to a role.
 */

import { jwtVerify, SignJWT } from "jose";

export interface StackKeys {
  jwtSecret: string;
  /** `sb_publishable_…`: acts as anon on /rest/v1. */
  publishableKey: string;
  /** `sb_secret_…`: acts as service_role on /rest/v1; the functions' callers present it in `apikey`. */
  secretKey: string;
  /** `role: anon`, the public key. */
  anonKey: string;
  /** `role: service_role`, bypasses RLS. */
  serviceRoleKey: string;
  /** A signed-in user: `role: authenticated`, `sub` = authenticatedUserId, `aud: authenticated`. */
  authenticatedKey: string;
  authenticatedUserId: string;
  authenticatedEmail: string;
}

/** Hosted Supabase keys are valid for about ten years; ours too, so a long-running stack never sees them expire. */
const KEY_LIFETIME_SECONDS = 10 * 365 * 24 * 3600;

/** 32 random bytes, base64url: 43 characters (PostgREST wants at least 32). */
export function randomJwtSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export interface MintOptions {
  /** Expiry as a Date (in the past makes an expired token). Default: now + ten years. */
  expiresAt?: Date;
  /** Issued-at. Default: now. */
  issuedAt?: Date;
}

/** Signs arbitrary claims with HS256. Use a different secret or a past expiresAt to build invalid tokens for tests. */
export async function mintJwt(
  secret: string,
  claims: Record<string, unknown>,
  options: MintOptions = {},
): Promise<string> {
  const issuedAt = options.issuedAt ?? new Date();
  const expiresAt = options.expiresAt ?? new Date(issuedAt.getTime() + KEY_LIFETIME_SECONDS * 1000);
  return await new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt(Math.floor(issuedAt.getTime() / 1000))
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(new TextEncoder().encode(secret));
}

/** Verifies an HS256 token (signature and expiry); returns its claims or throws jose's error. */
export async function verifyJwt(secret: string, token: string): Promise<Record<string, unknown>> {
  const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ["HS256"] });
  return payload;
}

/** Equal-time comparison (time depends on the lengths only, not on where the strings differ). */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a);
  const right = new TextEncoder().encode(b);
  const length = Math.max(left.length, right.length);
  let diff = left.length ^ right.length;
  for (let i = 0; i < length; i++) diff |= (left[i] ?? 0) ^ (right[i] ?? 0);
  return diff === 0;
}

/** An opaque API key like hosted ones: the prefix and 32 random bytes, base64url. */
export function randomApiKey(kind: "publishable" | "secret"): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const body = btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  return `sb_${kind}_${body}`;
}

export async function mintStackKeys(jwtSecret: string = randomJwtSecret()): Promise<StackKeys> {
  if (jwtSecret.length < 32) throw new Error(`jwtSecret must be at least 32 characters, got ${jwtSecret.length}`);
  const authenticatedUserId = crypto.randomUUID();
  const authenticatedEmail = `user-${authenticatedUserId.slice(0, 8)}@example.test`;
  const [anonKey, serviceRoleKey, authenticatedKey] = await Promise.all([
    mintJwt(jwtSecret, { iss: "supabase", role: "anon" }),
    mintJwt(jwtSecret, { iss: "supabase", role: "service_role" }),
    mintJwt(jwtSecret, {
      iss: "supabase",
      role: "authenticated",
      aud: "authenticated",
      sub: authenticatedUserId,
      email: authenticatedEmail,
    }),
  ]);
  return {
    jwtSecret,
    publishableKey: randomApiKey("publishable"),
    secretKey: randomApiKey("secret"),
    anonKey,
    serviceRoleKey,
    authenticatedKey,
    authenticatedUserId,
    authenticatedEmail,
  };
}

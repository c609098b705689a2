/** JWT secret and the HS256 API keys a Supabase project hands out, minted with jose. */

import { jwtVerify, SignJWT } from "jose";

export interface StackKeys {
  jwtSecret: string;
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
  return { jwtSecret, anonKey, serviceRoleKey, authenticatedKey, authenticatedUserId, authenticatedEmail };
}

/**
 * A minimal stand-in for Supabase Auth (GoTrue) on the local gateway's `/auth/v1`: just enough for supabase-js'
 * e-mail + password sign-in against seeded users, so a page's sign-in form can be tested end to end.
 *
 * - `POST /auth/v1/token?grant_type=password` `{ email, password }` → GoTrue's session body (access_token: an HS256
 *   JWT signed with the stack's JWT secret and GoTrue's claims, expires_in, expires_at, refresh_token, user);
 *   wrong credentials → 400 `invalid_credentials` ("Invalid login credentials"), as GoTrue answers.
 * - `POST /auth/v1/token?grant_type=refresh_token` `{ refresh_token }` → a new session; a refresh token is used once.
 * - `GET /auth/v1/user` with the access token → the user; a bad or expired token → 403 `bad_jwt`.
 * - `POST /auth/v1/logout` → 204, and the user's refresh tokens stop working.
 *
 * Not here: sign-up, magic links / OTP, password recovery, MFA, OAuth, admin endpoints (404 `not_found`, naming the
 * path). Every call needs the project's API key in `apikey`, as on hosted.
 */

import { z } from "zod";
import { constantTimeEqual, mintJwt, verifyJwt } from "./keys.ts";

export interface AuthUser {
  id: string;
  email: string;
  password: string;
}

export interface AuthOptions {
  jwtSecret: string;
  /** The gateway's own URL, for the tokens' `iss` (`<url>/auth/v1`, as GoTrue sets it). */
  issuerBase: () => string;
  users: readonly AuthUser[];
  /** Whether the request's `apikey` is one of the project's keys. */
  validApiKey: (apikey: string | undefined) => Promise<boolean>;
  /** Access token lifetime. Default 3600 s (GoTrue's default `jwt_expiry`). */
  expiresInSeconds?: number;
  now?: () => Date;
}

const passwordGrant = z.object({ email: z.string().min(1), password: z.string().min(1) });
const refreshGrant = z.object({ refresh_token: z.string().min(1) });

/** GoTrue's error body: `{ code, error_code, msg }`. */
function authError(status: number, errorCode: string, msg: string): Response {
  return Response.json({ code: status, error_code: errorCode, msg }, { status });
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function createAuthHandler(options: AuthOptions): (request: Request, path: string) => Promise<Response> {
  const now = options.now ?? (() => new Date());
  const expiresIn = options.expiresInSeconds ?? 3600;
  const createdAt = now().toISOString();
  /** refresh token → user id; each is used once. */
  const refreshTokens = new Map<string, string>();

  const userBody = (user: AuthUser, signedInAt: string | null) => ({
    id: user.id,
    aud: "authenticated",
    role: "authenticated",
    email: user.email,
    email_confirmed_at: createdAt,
    phone: "",
    confirmed_at: createdAt,
    last_sign_in_at: signedInAt,
    app_metadata: { provider: "email", providers: ["email"] },
    user_metadata: {},
    identities: [],
    created_at: createdAt,
    updated_at: signedInAt ?? createdAt,
    is_anonymous: false,
  });

  async function session(user: AuthUser): Promise<Response> {
    const issued = now();
    const iat = Math.floor(issued.getTime() / 1000);
    const accessToken = await mintJwt(options.jwtSecret, {
      iss: `${options.issuerBase()}/auth/v1`,
      sub: user.id,
      aud: "authenticated",
      email: user.email,
      phone: "",
      app_metadata: { provider: "email", providers: ["email"] },
      user_metadata: {},
      role: "authenticated",
      aal: "aal1",
      amr: [{ method: "password", timestamp: iat }],
      session_id: crypto.randomUUID(),
      is_anonymous: false,
    }, { issuedAt: issued, expiresAt: new Date((iat + expiresIn) * 1000) });
    const refreshToken = randomToken();
    refreshTokens.set(refreshToken, user.id);
    return Response.json({
      access_token: accessToken,
      token_type: "bearer",
      expires_in: expiresIn,
      expires_at: iat + expiresIn,
      refresh_token: refreshToken,
      user: userBody(user, issued.toISOString()),
    });
  }

  /** Every user is compared, each in constant time: the answer time does not say which e-mail exists. */
  function checkCredentials(email: string, password: string): AuthUser | undefined {
    let found: AuthUser | undefined;
    for (const user of options.users) {
      const emailMatches = constantTimeEqual(user.email.toLowerCase(), email.trim().toLowerCase());
      const passwordMatches = constantTimeEqual(user.password, password);
      if (emailMatches && passwordMatches) found = user;
    }
    return found;
  }

  async function bearerUser(request: Request): Promise<AuthUser | undefined> {
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1];
    if (!token) return undefined;
    try {
      const claims = await verifyJwt(options.jwtSecret, token);
      return options.users.find((user) => user.id === claims.sub);
    } catch {
      return undefined;
    }
  }

  async function body(request: Request): Promise<unknown> {
    try {
      return await request.json();
    } catch {
      return undefined;
    }
  }

  return async (request, path) => {
    if (!(await options.validApiKey(request.headers.get("apikey")?.trim() || undefined))) {
      return Response.json({ message: "Invalid API key" }, { status: 401 });
    }
    const url = new URL(request.url);
    if (path === "/token" && request.method === "POST") {
      const grant = url.searchParams.get("grant_type");
      if (grant === "password") {
        const parsed = passwordGrant.safeParse(await body(request));
        if (!parsed.success) return authError(400, "validation_failed", "An email address and a password are required");
        const user = checkCredentials(parsed.data.email, parsed.data.password);
        return user ? await session(user) : authError(400, "invalid_credentials", "Invalid login credentials");
      }
      if (grant === "refresh_token") {
        const parsed = refreshGrant.safeParse(await body(request));
        const userId = parsed.success ? refreshTokens.get(parsed.data.refresh_token) : undefined;
        const user = options.users.find((u) => u.id === userId);
        if (!parsed.success || !user) {
          return authError(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
        }
        refreshTokens.delete(parsed.data.refresh_token);
        return await session(user);
      }
      return authError(400, "validation_failed", `grant_type ${grant ?? "(none)"} is not supported by the local stack`);
    }
    if (path === "/user" && request.method === "GET") {
      const user = await bearerUser(request);
      return user
        ? Response.json(userBody(user, null))
        : authError(403, "bad_jwt", "invalid JWT: unable to parse or verify signature, token is expired or invalid");
    }
    if (path === "/logout" && request.method === "POST") {
      const user = await bearerUser(request);
      if (!user) return authError(403, "bad_jwt", "invalid JWT: unable to parse or verify signature");
      for (const [token, id] of refreshTokens) if (id === user.id) refreshTokens.delete(token);
      return new Response(null, { status: 204 });
    }
    return authError(404, "not_found", `${request.method} /auth/v1${path} is not supported by the local stack`);
  };
}

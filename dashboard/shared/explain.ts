/**
 * Turns what went wrong while reading the project into a plain message that says what to fix: a wrong project URL,
 * a wrong key, an expired session, a user who is not a member. Never a stack trace. Pure.
 */

/** One failed read, as supabase-js reports it (status 0 when the request never got an answer). */
export interface ReadFailure {
  /** Table or RPC that was read. */
  what: string;
  status: number;
  code?: string;
  message: string;
}

export class ReadFailedError extends Error {
  constructor(readonly failure: ReadFailure) {
    super(`cannot read ${failure.what}: ${failure.code ? `${failure.code}: ` : ""}${failure.message}`);
    this.name = "ReadFailedError";
  }
}

export type Problem =
  | "unreachable"
  | "not_a_project"
  | "bad_key"
  | "session_expired"
  | "not_member"
  | "not_ready"
  | "bad_config"
  | "unknown";

export interface Explanation {
  problem: Problem;
  title: string;
  /** What to do about it, in one or two sentences. */
  fix: string;
  /** The underlying message, shown small for whoever debugs it. */
  detail: string;
}

const EXPIRED = /jwt expired|token is expired|exp" claim|session.*expired/i;
const BAD_KEY = /invalid api key|no api key|jws|jwt|signature|invalid.*token|unauthorized|apikey/i;

export function explainFailure(failure: ReadFailure, projectUrl: string): Explanation {
  const detail = `${failure.what}: ${failure.status ? `HTTP ${failure.status} ` : ""}${
    failure.code ? `${failure.code} ` : ""
  }${failure.message}`.trim();
  if (failure.status === 0) {
    return {
      problem: "unreachable",
      title: `Cannot reach ${projectUrl}`,
      fix: "Check the project URL (https://<project-ref>.supabase.co, or the local gateway the demo printed) " +
        "and that the project is running.",
      detail,
    };
  }
  if (EXPIRED.test(failure.message)) {
    return {
      problem: "session_expired",
      title: "Your session has expired",
      fix: "Sign in again (for the local demo: open the dashboard URL the demo printed at start-up).",
      detail,
    };
  }
  if (failure.status === 401 || (failure.status === 403 && BAD_KEY.test(failure.message))) {
    return {
      problem: "bad_key",
      title: "The project refused the key",
      fix: "Check the publishable key (Project Settings → API Keys) matches this project URL; " +
        "never use a secret or service role key here.",
      detail,
    };
  }
  if (failure.code === "42501" || failure.status === 403) {
    return {
      problem: "not_member",
      title: "You are signed in but not a member of this bot",
      fix: "Ask an operator to add you to public.members (as viewer or operator).",
      detail,
    };
  }
  if (failure.code === "PGRST202" || failure.code === "PGRST205" || failure.code === "42P01") {
    return {
      problem: "not_ready",
      title: "This project does not have the bot's tables or functions",
      fix: "Apply the migrations (supabase db push), or check that the URL is this bot's project.",
      detail,
    };
  }
  if (failure.status === 404) {
    return {
      problem: "not_a_project",
      title: `${projectUrl} answered, but not as a Supabase project`,
      fix: "Use the project's API URL (https://<project-ref>.supabase.co), without /rest/v1 or a path.",
      detail,
    };
  }
  return {
    problem: "unknown",
    title: `Reading ${failure.what} failed`,
    fix: "The dashboard retries at the next refresh; if it keeps failing, the detail below says why.",
    detail,
  };
}

/** Anything thrown while loading: our typed failures are explained, anything else is shown as its message. */
export function explainError(error: unknown, projectUrl: string): Explanation {
  if (error instanceof ReadFailedError) return explainFailure(error.failure, projectUrl);
  if (error instanceof ConfigError) {
    return { problem: "bad_config", title: "The dashboard is not configured right", fix: error.message, detail: "" };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    problem: "unknown",
    title: "Something went wrong while reading the project",
    fix: "The dashboard retries at the next refresh.",
    detail: message,
  };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Reads a JWT's payload without verifying it (the project verifies; we only look at role and expiry). */
export function jwtClaims(token: string): Record<string, unknown> | null {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    const base64 = parts[1].replaceAll("-", "+").replaceAll("_", "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    const claims = JSON.parse(atob(padded));
    return claims && typeof claims === "object" ? claims as Record<string, unknown> : null;
  } catch {
    return null;
  }
}

/**
 * The key a page may carry: a publishable key (`sb_publishable_…`) or a legacy anon JWT. A secret key
 * (`sb_secret_…`) or a service_role JWT would give every visitor full access, so it is refused with that reason.
 */
export function checkPublishableKey(key: string): void {
  const trimmed = key.trim();
  if (!trimmed) throw new ConfigError("The publishable key is empty: set it (Project Settings → API Keys).");
  if (trimmed.startsWith("sb_secret_")) {
    throw new ConfigError(
      "This is a secret key (sb_secret_…): it must never be in a web page. Use the publishable key.",
    );
  }
  if (trimmed.startsWith("sb_publishable_")) return;
  const claims = jwtClaims(trimmed);
  if (!claims) {
    throw new ConfigError("The publishable key is not a key: expected sb_publishable_… or the legacy anon JWT.");
  }
  if (claims.role !== "anon") {
    throw new ConfigError(
      `The key has role ${JSON.stringify(claims.role)}: only the publishable (anon) key may be in a web page.`,
    );
  }
}

/** The project URL as supabase-js wants it: http(s), no trailing slash, no /rest/v1. */
export function checkProjectUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new ConfigError(
      `The project URL ${JSON.stringify(url)} is not a URL: expected https://<project-ref>.supabase.co`,
    );
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new ConfigError(`The project URL must start with https:// (got ${parsed.protocol})`);
  }
  if (/\/(rest|auth|functions)\/v1/.test(parsed.pathname)) {
    throw new ConfigError("The project URL must be the project's base URL, without /rest/v1 or /auth/v1.");
  }
  return parsed.origin + parsed.pathname.replace(/\/+$/, "");
}

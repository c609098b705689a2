/**
 * The dashboard command: options from flags or env, then either one render (`--once`) or a refresh loop that ends on
 * the abort signal (Ctrl-C). A failed read is shown in place of the screen and retried at the next refresh.
 */

import { parseArgs } from "node:util";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { render } from "./render.ts";
import { loadSnapshot } from "./snapshot.ts";
import type { Database } from "../../supabase/functions/_shared/database.types.ts";

export const USAGE =
  `Usage: deno run -A scripts/dashboard.ts [--url URL] [--key KEY] [--token JWT] [--once] [--interval SECONDS]

  --url        project or local gateway URL (default: env SUPABASE_URL)
  --key        the project's publishable key, sb_publishable_… (or the legacy anon key) (default: env SUPABASE_KEY)
  --token      a member's access token, the JWT of their signed-in session (default: env SUPABASE_ACCESS_TOKEN);
               only members (see docs/DEPLOY.md) read anything. Legacy projects: a member's JWT as --key works too.
  --once       print one screen and exit
  --interval   seconds between refreshes (default 5, 1-3600)
`;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface DashboardOptions {
  url: string;
  key: string;
  /** The member's session token, sent as `Authorization: Bearer`; undefined: the key alone. */
  accessToken?: string;
  once: boolean;
  intervalSeconds: number;
}

/** Flags win over env; every problem names the flag or variable to fix. */
export function parseDashboardArgs(
  args: readonly string[],
  env: (name: string) => string | undefined,
): DashboardOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        url: { type: "string" },
        key: { type: "string" },
        token: { type: "string" },
        once: { type: "boolean", default: false },
        interval: { type: "string" },
        help: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  if (values.help) throw new UsageError("");
  const url = values.url ?? env("SUPABASE_URL");
  if (!url) throw new UsageError("--url (or env SUPABASE_URL) is required");
  try {
    const protocol = new URL(url).protocol;
    if (protocol !== "http:" && protocol !== "https:") throw new Error(protocol);
  } catch {
    throw new UsageError(`--url must be an http(s) URL, got ${JSON.stringify(url)}`);
  }
  const key = values.key ?? env("SUPABASE_KEY");
  if (!key) {
    throw new UsageError("--key (or env SUPABASE_KEY) is required: the project's publishable key");
  }
  const accessToken = values.token ?? (env("SUPABASE_ACCESS_TOKEN") || undefined);
  const intervalText = values.interval ?? "5";
  const intervalSeconds = Number(intervalText);
  if (!Number.isInteger(intervalSeconds) || intervalSeconds < 1 || intervalSeconds > 3600) {
    throw new UsageError(
      `--interval must be a whole number of seconds from 1 to 3600, got ${JSON.stringify(intervalText)}`,
    );
  }
  return { url, key, ...(accessToken ? { accessToken } : {}), once: values.once, intervalSeconds };
}

/** A read timeout, so a hung project shows as an error instead of a frozen screen. */
export const READ_TIMEOUT_MS = 10_000;

/**
 * No retries: the refresh loop is the retry, and an unreachable project should say so at once. With `accessToken`
 * the reads run as that signed-in user (RLS lets members only); the key goes in `apikey`.
 */
export function dashboardClient(
  url: string,
  key: string,
  fetchImpl?: typeof fetch,
  accessToken?: string,
): SupabaseClient<Database> {
  return createClient<Database>(url, key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    db: { retry: false, timeout: READ_TIMEOUT_MS },
    ...(accessToken ? { accessToken: () => Promise.resolve(accessToken) } : {}),
    global: fetchImpl ? { fetch: fetchImpl } : undefined,
  });
}

/** Clears the terminal and homes the cursor, so each refresh redraws in place. */
const CLEAR_SCREEN = "\x1b[2J\x1b[H";

export interface RunDashboardDeps {
  client: SupabaseClient<Database>;
  write: (text: string) => void;
  now?: () => Date;
  /** Waits between refreshes; resolves early when the signal aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** One screen: the rendered snapshot, or the error that stopped it. Returns false when the read failed. */
/**
 * The settings row always exists (the migrations seed it and nobody may delete it), so a read that returns no row
 * means row level security hid it: the session is signed in but not a member.
 */
export const NOT_A_MEMBER = "dashboard: signed in, but not a member of this project, so every table reads empty. " +
  "An operator adds you in public.members (docs/DEPLOY.md, step 4b).\n";

export async function renderOnce(
  client: SupabaseClient<Database>,
  now: () => Date,
): Promise<{ ok: boolean; text: string }> {
  try {
    const snapshot = await loadSnapshot(client, { now: now() });
    if (snapshot.settings === null) return { ok: false, text: NOT_A_MEMBER };
    return { ok: true, text: render(snapshot, now()) };
  } catch (error) {
    return { ok: false, text: `dashboard: ${error instanceof Error ? error.message : String(error)}\n` };
  }
}

/** `--once`: one screen, exit code 0 or 1. Else redraws every interval until `signal` aborts; exit code 0. */
export async function runDashboard(
  options: DashboardOptions,
  deps: RunDashboardDeps,
  signal: AbortSignal,
): Promise<number> {
  const now = deps.now ?? (() => new Date());
  if (options.once) {
    const screen = await renderOnce(deps.client, now);
    deps.write(screen.text);
    return screen.ok ? 0 : 1;
  }
  while (!signal.aborted) {
    const screen = await renderOnce(deps.client, now);
    deps.write(CLEAR_SCREEN + screen.text + `\n(refreshing every ${options.intervalSeconds}s; Ctrl-C to quit)\n`);
    await deps.sleep(options.intervalSeconds * 1000, signal);
  }
  return 0;
}

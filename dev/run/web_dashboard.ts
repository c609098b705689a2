/**
 * The demo's web dashboard: built from dashboard/web, served on loopback, and opened already signed in as a seeded
 * operator. The local stack has no Auth server, so there is no sign-in to go through: the demo makes a fixed user an
 * operator in public.members and mints that user a session JWT with the stack's JWT secret (what Supabase Auth would
 * issue), which the page receives in the URL fragment (`#session=…`, never sent to any server) and uses as its access
 * token. The page itself gets the publishable key only.
 */

import type { SupabaseClient } from "@supabase/supabase-js";
import { buildDashboard } from "../../dashboard/web/build.ts";
import { serveDashboard } from "../../dashboard/web/serve.ts";
import { mintJwt } from "../stack/keys.ts";
import type { Stack } from "../stack/stack.ts";

/** Fixed, so reruns on the same data folder keep one operator row. */
export const DEMO_OPERATOR_ID = "00000000-0000-4000-8000-00000000de30";
export const DEMO_OPERATOR_EMAIL = "demo-operator@example.test";
/** As long as the longest demo run (--duration is at most a day). */
const SESSION_LIFETIME_MS = 24 * 3600_000;

export interface WebDashboard {
  /** Opens signed in: the page URL with the session in its fragment. */
  url: string;
  stop(): Promise<void>;
}

export async function startWebDashboard(
  stack: Pick<Stack, "gatewayUrl" | "publishableKey" | "jwtSecret">,
  service: SupabaseClient,
  dataDir: string,
  now = new Date(),
): Promise<WebDashboard> {
  const { error } = await service.from("members").upsert({ user_id: DEMO_OPERATOR_ID, role: "operator" });
  if (error) throw new Error(`could not add the demo operator to public.members: ${error.message}`);
  const session = await mintJwt(stack.jwtSecret, {
    iss: "supabase",
    role: "authenticated",
    aud: "authenticated",
    sub: DEMO_OPERATOR_ID,
    email: DEMO_OPERATOR_EMAIL,
  }, { issuedAt: now, expiresAt: new Date(now.getTime() + SESSION_LIFETIME_MS) });
  const dir = `${dataDir}/dashboard-web`;
  await buildDashboard(dir);
  const server = serveDashboard({
    dir,
    config: { supabaseUrl: stack.gatewayUrl, publishableKey: stack.publishableKey },
  });
  return { url: `${server.url}#session=${session}`, stop: () => server.stop() };
}

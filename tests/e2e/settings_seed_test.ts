import assert from "node:assert/strict";
import { loadSettings } from "../../supabase/functions/_shared/db.ts";
import { DEFAULT_SETTINGS } from "../../supabase/functions/_shared/settings.ts";
import { gatewayClient, serverKey, stackTest } from "../support/stack.ts";

// The defaults live twice on purpose: in the bot_settings migration (what a fresh project starts with) and in
// settings.ts (what the code and its unit tests call the defaults). This keeps the two from drifting apart.
stackTest("the seeded bot_settings row, read the way the functions read it, equals DEFAULT_SETTINGS", {
  functions: false,
}, async (_t, stack) => {
  const seeded = await loadSettings(gatewayClient(stack, serverKey(stack)));
  assert.equal(typeof seeded.updated_at, "string", "the seed stamps updated_at");
  assert.deepEqual({ ...seeded, updated_at: null }, { ...DEFAULT_SETTINGS });
});

/**
 * The region columns of `bot_settings` (issue 18), read on their own so the main settings schema stays untouched,
 * and the platform's answer to "where am I running" (SB_REGION on hosted Supabase; absent locally unless the stack
 * models regions).
 */
import { z } from "zod";
import { type Db, DbError, must } from "../db.ts";
import { numeric } from "../numeric_text.ts";
import { VENUES } from "../exchange/venues.ts";

export const REGION_PATTERN = /^[a-z]{2}-[a-z]+-[0-9]{1,2}$/;
const region = z.string().regex(REGION_PATTERN, "must be a region name like ap-northeast-1");

export const regionSettingsSchema = z.object({
  candidate_regions: z.array(region).max(16),
  project_region: region.nullable(),
  home_region_overrides: z.partialRecord(z.enum(VENUES), region),
  home_region_min_samples: numeric(z.number().int().min(1).max(1000)),
  home_region_margin_pct: numeric(z.number().min(0).lt(100)),
  home_region_max_age_seconds: numeric(z.number().int().min(10).max(86_400)),
});
export type RegionSettings = z.infer<typeof regionSettingsSchema>;

export const REGION_SETTINGS_COLUMNS =
  "candidate_regions, project_region, home_region_overrides, home_region_min_samples, home_region_margin_pct, " +
  "home_region_max_age_seconds";

export class InvalidRegionSettingsError extends Error {
  override name = "InvalidRegionSettingsError";
  constructor(readonly field: string, problem: string) {
    super(`bot_settings.${field} ${problem}`);
  }
}

export function parseRegionSettings(row: unknown): RegionSettings {
  const parsed = regionSettingsSchema.safeParse(row);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidRegionSettingsError(issue.path.join(".") || "(row)", issue.message);
  }
  return parsed.data;
}

export async function loadRegionSettings(db: Db): Promise<RegionSettings> {
  const row = must(
    "select bot_settings regions",
    await db.from("bot_settings").select(REGION_SETTINGS_COLUMNS).eq("id", 1).maybeSingle(),
  );
  if (!row) throw new DbError("select bot_settings regions", "the settings row (id = 1) is missing");
  return parseRegionSettings(row);
}

/** Candidates in settings order, then the project's own region, without repeats. */
export function candidateRegions(settings: RegionSettings): string[] {
  const all = [...settings.candidate_regions, ...(settings.project_region ? [settings.project_region] : [])];
  return [...new Set(all)];
}

/** SB_REGION as the platform reports it, or null when it does not (or reports something that is not a region). */
export function regionFromEnv(source: Record<string, string | undefined>): string | null {
  const value = source.SB_REGION?.trim().toLowerCase() ?? "";
  return REGION_PATTERN.test(value) ? value : null;
}

import assert from "node:assert/strict";
import {
  candidateRegions,
  InvalidRegionSettingsError,
  parseRegionSettings,
  regionFromEnv,
} from "../../../../supabase/functions/_shared/regions/region_settings.ts";

const ROW = {
  candidate_regions: ["ap-northeast-1", "eu-central-1"],
  project_region: "eu-central-1",
  home_region_overrides: { okx: "ap-southeast-1" },
  home_region_min_samples: 10,
  home_region_margin_pct: "15",
  home_region_max_age_seconds: 150,
};

Deno.test("SB_REGION: a region name, or null when absent or not a region", () => {
  assert.equal(regionFromEnv({ SB_REGION: " AP-NORTHEAST-1 " }), "ap-northeast-1");
  assert.equal(regionFromEnv({}), null);
  assert.equal(regionFromEnv({ SB_REGION: "" }), null);
  assert.equal(regionFromEnv({ SB_REGION: "local" }), null);
});

Deno.test("region settings parse PostgREST's numeric text and name the bad field", () => {
  const settings = parseRegionSettings(ROW);
  assert.equal(settings.home_region_margin_pct, 15);
  assert.deepEqual(settings.home_region_overrides, { okx: "ap-southeast-1" });
  assert.throws(
    () => parseRegionSettings({ ...ROW, home_region_overrides: { okx: "Singapore" } }),
    (error) => error instanceof InvalidRegionSettingsError && error.field === "home_region_overrides.okx",
  );
  assert.throws(
    () => parseRegionSettings({ ...ROW, candidate_regions: ["tokyo"] }),
    (error) => error instanceof InvalidRegionSettingsError && error.field === "candidate_regions.0",
  );
});

Deno.test("candidates: the settings' list, then the project region, without repeats", () => {
  assert.deepEqual(candidateRegions(parseRegionSettings(ROW)), ["ap-northeast-1", "eu-central-1"]);
  assert.deepEqual(candidateRegions(parseRegionSettings({ ...ROW, project_region: "us-east-1" })), [
    "ap-northeast-1",
    "eu-central-1",
    "us-east-1",
  ]);
  assert.deepEqual(candidateRegions(parseRegionSettings({ ...ROW, candidate_regions: [], project_region: null })), []);
});

import assert from "node:assert/strict";
import {
  decideHomeRegion,
  type HomeRegionPolicy,
  median,
  type RegionSample,
} from "../../../../supabase/functions/_shared/regions/home_region.ts";

const NOW = new Date("2026-12-01T12:00:00Z");
const TOKYO = "ap-northeast-1";
const SINGAPORE = "ap-southeast-1";
const FRANKFURT = "eu-central-1";

const settled = (region: string) => ({ region, settled: true });

const policy: HomeRegionPolicy = {
  candidates: [TOKYO, SINGAPORE, FRANKFURT],
  minSamples: 3,
  marginPct: 20,
  maxAgeMs: 60_000,
  override: null,
};

/** `count` successful samples of `ms` from `region`, `ageMs` old. */
function samples(region: string, ms: number, count = 3, ageMs = 1_000): RegionSample[] {
  return Array.from({ length: count }, () => ({
    region,
    success: true,
    latencyMs: ms,
    ts: new Date(NOW.getTime() - ageMs),
  }));
}

Deno.test("median of odd and even lists, none for an empty one", () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([]), null);
});

Deno.test("the first choice is the candidate with the lowest median", () => {
  const d = decideHomeRegion(
    [...samples(FRANKFURT, 200), ...samples(TOKYO, 6), ...samples(SINGAPORE, 70)],
    policy,
    null,
    NOW,
  );
  assert.equal(d.region, TOKYO);
  assert.equal(d.changed, true);
  assert.equal(d.medianMs, 6);
  assert.equal(d.samples, 3);
  assert.equal(d.source, "measured");
});

Deno.test("min samples: a region with too few fresh samples cannot be chosen", () => {
  const d = decideHomeRegion([...samples(TOKYO, 6, 2), ...samples(FRANKFURT, 200)], policy, null, NOW);
  assert.equal(d.region, FRANKFURT);
  const none = decideHomeRegion(samples(TOKYO, 6, 2), policy, null, NOW);
  assert.equal(none.region, null);
  assert.equal(none.changed, false);
  assert.match(none.reason, /no candidate has 3 fresh samples/);
});

Deno.test("failed and stale samples do not count", () => {
  const failed: RegionSample[] = Array.from({ length: 5 }, () => ({
    region: TOKYO,
    success: false,
    latencyMs: null,
    ts: NOW,
  }));
  const stale = samples(TOKYO, 6, 5, 61_000);
  const d = decideHomeRegion([...failed, ...stale, ...samples(SINGAPORE, 70)], policy, null, NOW);
  assert.equal(d.region, SINGAPORE);
  assert.equal(d.stats.find((s) => s.region === TOKYO)?.samples, 0);
});

Deno.test("hysteresis: a challenger inside the margin does not move the home region", () => {
  // 85 is 15% below 100: not enough for a 20% margin.
  const kept = decideHomeRegion([...samples(FRANKFURT, 100), ...samples(TOKYO, 85)], policy, settled(FRANKFURT), NOW);
  assert.equal(kept.region, FRANKFURT);
  assert.equal(kept.changed, false);
  assert.match(kept.reason, /kept by hysteresis/);
  // 79 is 21% below 100: it moves.
  const moved = decideHomeRegion([...samples(FRANKFURT, 100), ...samples(TOKYO, 79)], policy, settled(FRANKFURT), NOW);
  assert.equal(moved.region, TOKYO);
  assert.equal(moved.changed, true);
  assert.match(moved.reason, /switched/);
  // Exactly at the margin (80 = 100 - 20%) is not "more than" the margin.
  const edge = decideHomeRegion([...samples(FRANKFURT, 100), ...samples(TOKYO, 80)], policy, settled(FRANKFURT), NOW);
  assert.equal(edge.region, FRANKFURT);
});

Deno.test("a home region without fresh samples (it stopped answering) falls back to the best other one", () => {
  const d = decideHomeRegion(
    [...samples(TOKYO, 6, 3, 61_000), ...samples(SINGAPORE, 70), ...samples(FRANKFURT, 200)],
    policy,
    settled(TOKYO),
    NOW,
  );
  assert.equal(d.region, SINGAPORE);
  assert.equal(d.changed, true);
  assert.match(d.reason, /ap-northeast-1 has 0 fresh samples/);
});

Deno.test("with no eligible region at all the current home is kept", () => {
  const d = decideHomeRegion([], policy, settled(TOKYO), NOW);
  assert.equal(d.region, TOKYO);
  assert.equal(d.changed, false);
});

Deno.test("a current home that is no longer a candidate is replaced", () => {
  const d = decideHomeRegion(
    [...samples("us-east-1", 1), ...samples(SINGAPORE, 70)],
    policy,
    settled("us-east-1"),
    NOW,
  );
  assert.equal(d.region, SINGAPORE);
  assert.match(d.reason, /not a candidate/);
});

Deno.test("override wins over measurements and over hysteresis", () => {
  const d = decideHomeRegion(samples(TOKYO, 6), { ...policy, override: FRANKFURT }, settled(TOKYO), NOW);
  assert.equal(d.region, FRANKFURT);
  assert.equal(d.source, "override");
  assert.equal(d.changed, true);
});

Deno.test("ties go to the earlier candidate, whatever the sample order", () => {
  const a = decideHomeRegion([...samples(SINGAPORE, 50), ...samples(TOKYO, 50)], policy, null, NOW);
  const b = decideHomeRegion([...samples(TOKYO, 50), ...samples(SINGAPORE, 50)], policy, null, NOW);
  assert.equal(a.region, TOKYO);
  assert.equal(b.region, TOKYO);
  // And a tie with the current home keeps it.
  const kept = decideHomeRegion([...samples(SINGAPORE, 50), ...samples(TOKYO, 50)], policy, settled(SINGAPORE), NOW);
  assert.equal(kept.region, SINGAPORE);
});

Deno.test("a provisional home (chosen before every sampled region had enough samples) is not protected", () => {
  // Round in flight: Tokyo decided first, Singapore's samples were not in yet.
  const first = decideHomeRegion([...samples(TOKYO, 50), ...samples(SINGAPORE, 30, 1)], policy, null, NOW);
  assert.equal(first.region, TOKYO);
  assert.equal(first.settled, false, "Singapore has samples but not enough");
  // Singapore's call then sees both: 30 vs 50 beats a provisional Tokyo even inside... any margin.
  const next = decideHomeRegion(
    [...samples(TOKYO, 50), ...samples(SINGAPORE, 45)],
    policy,
    { region: TOKYO, settled: false },
    NOW,
  );
  assert.equal(next.region, SINGAPORE, "45 < 50 moves a provisional home although it is inside the 20% margin");
  assert.equal(next.settled, true);
  // The same figures against a settled Tokyo: kept.
  assert.equal(
    decideHomeRegion([...samples(TOKYO, 50), ...samples(SINGAPORE, 45)], policy, settled(TOKYO), NOW).region,
    TOKYO,
  );
});

Deno.test("a region with no fresh samples at all (down) does not keep a choice provisional", () => {
  const d = decideHomeRegion([...samples(TOKYO, 50), ...samples(SINGAPORE, 30)], policy, null, NOW);
  assert.equal(d.settled, true, "Frankfurt never answered: it does not count");
});

Deno.test("fallbacks: the other eligible regions, best median first; a region kept by hysteresis is not among them", () => {
  const fresh = [
    ...samples(FRANKFURT, 200),
    ...samples(TOKYO, 60),
    ...samples(SINGAPORE, 55),
    ...samples("us-east-1", 9, 2),
  ];
  const first = decideHomeRegion(fresh, policy, null, NOW);
  assert.equal(first.region, SINGAPORE);
  // N. Virginia has too few samples to be a fallback.
  assert.deepEqual(first.fallbacks, [TOKYO, FRANKFURT]);
  const kept = decideHomeRegion(fresh, policy, settled(TOKYO), NOW);
  assert.equal(kept.region, TOKYO, kept.reason);
  assert.deepEqual(kept.fallbacks, [SINGAPORE, FRANKFURT]);
  const pinned = decideHomeRegion(fresh, { ...policy, override: FRANKFURT }, null, NOW);
  assert.deepEqual(pinned.fallbacks, [SINGAPORE, TOKYO]);
});

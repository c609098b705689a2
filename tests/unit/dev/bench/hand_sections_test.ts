import assert from "node:assert/strict";
import { carryHandSections } from "../../../../dev/bench/hand_sections.ts";

const previous = [
  "# Benchmarks",
  "",
  "old intro",
  "",
  "## Machine",
  "",
  "old machine",
  "",
  "## Targets (hand-written)",
  "",
  "kept table",
  "",
  "## 1. Cold start",
  "",
  "old figures",
  "",
  "## 7. Placement",
  "",
  "old placement",
  "",
  "## 8. Streams (hand-added)",
  "",
  "kept streams",
  "",
].join("\n");

Deno.test("hand sections are carried over after the generated section they followed; the rest is regenerated", () => {
  const generated = "# Benchmarks\n\nnew intro\n\n## Machine\n\nnew machine\n\n## 1. Cold start\n\nnew figures\n\n" +
    "## 6. Placement\n\nnew placement\n";
  const out = carryHandSections(previous, generated);
  assert.equal(
    out,
    "# Benchmarks\n\nnew intro\n\n## Machine\n\nnew machine\n\n## Targets (hand-written)\n\nkept table\n\n" +
      "## 1. Cold start\n\nnew figures\n\n## 6. Placement\n\nnew placement\n\n## 8. Streams (hand-added)\n\n" +
      "kept streams\n",
  );
});

Deno.test("a hand section whose anchor is gone goes to the end; one already generated is not repeated", () => {
  const generated = "# B\n\n## Machine\n\nm\n\n## 8. Streams (hand-added)\n\nregenerated\n";
  const out = carryHandSections(previous, generated);
  assert.equal(
    out,
    "# B\n\n## Machine\n\nm\n\n## Targets (hand-written)\n\nkept table\n\n## 8. Streams (hand-added)\n\nregenerated\n",
  );
  assert.equal(carryHandSections("# none\n", generated), generated);
});

/**
 * docs/BENCHMARKS.md holds a few sections written by hand (their heading says "hand-written" or "hand-added": a
 * before/after table, figures from another bench). `deno task bench` regenerates the rest; these are carried over from
 * the previous file verbatim, each after the generated section it followed (matched by heading without its number),
 * or at the end when that section is gone.
 */

const HAND = /hand-(written|added)/i;

interface Section {
  heading: string;
  text: string;
}

/** The part before the first `## ` heading, then one entry per `## ` section (its heading line and body). */
function split(markdown: string): { preamble: string; sections: Section[] } {
  const parts = markdown.split(/^(?=## )/m);
  const preamble = parts[0]!.startsWith("## ") ? "" : parts.shift()!;
  return {
    preamble,
    sections: parts.map((text) => ({ heading: text.slice(0, text.indexOf("\n") >>> 0).trim(), text })),
  };
}

const key = (heading: string) => heading.replace(/^##\s+(\d+\.\s+)?/, "").trim();

function withNewline(text: string): string {
  return text.endsWith("\n\n") ? text : text.endsWith("\n") ? `${text}\n` : `${text}\n\n`;
}

export function carryHandSections(previous: string, generated: string): string {
  const old = split(previous).sections;
  const out = split(generated);
  const sections = [...out.sections];
  let anchorIndex = -1;
  let lastAnchorKey: string | null = null;
  for (const section of old) {
    if (!HAND.test(section.heading)) {
      lastAnchorKey = key(section.heading);
      anchorIndex = sections.findIndex((s) => key(s.heading) === lastAnchorKey);
      continue;
    }
    if (sections.some((s) => s.heading === section.heading)) continue;
    const at = lastAnchorKey === null ? 0 : anchorIndex === -1 ? sections.length : anchorIndex + 1;
    sections.splice(at, 0, section);
    if (anchorIndex !== -1 || lastAnchorKey === null) anchorIndex = at;
  }
  return out.preamble + sections.map((s) => withNewline(s.text)).join("").replace(/\n+$/, "\n");
}

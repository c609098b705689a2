/** Text helpers for the terminal dashboard: numbers, ages and aligned tables, all pure. */

export const MISSING = "-";

/** `value` with `digits` decimals, or "-" when unknown. */
export function fixed(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined || !Number.isFinite(value) ? MISSING : value.toFixed(digits);
}

/** Signed money: "+1.25", "-0.40", "0.00". */
export function signed(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return MISSING;
  const text = Math.abs(value).toFixed(digits);
  if (Number(text) === 0) return text;
  return value > 0 ? `+${text}` : `-${text}`;
}

/** Milliseconds as "12ms", or "-". */
export function ms(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? MISSING : `${Math.round(value)}ms`;
}

/** A compact age: "45s", "12m", "3h", "2d"; "never" for no time at all. */
export function age(fromIso: string | null | undefined, now: Date): string {
  if (!fromIso) return "never";
  const seconds = Math.round((now.getTime() - Date.parse(fromIso)) / 1000);
  if (!Number.isFinite(seconds)) return MISSING;
  if (seconds < 0) return "in future";
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 120 * 60) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 48 * 3600) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

/** "HH:MM:SS" in UTC. */
export function clockTime(iso: string | null | undefined): string {
  return iso ? new Date(iso).toISOString().slice(11, 19) : MISSING;
}

/** Cuts a cell to `max` characters, marking the cut with "…". Newlines become spaces. */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(0, max - 1))}…`;
}

export type Align = "left" | "right";

export interface Column {
  header: string;
  align?: Align;
  /** Longer cells are clipped. */
  max?: number;
}

/** Aligned columns separated by two spaces; trailing spaces trimmed. */
export function table(columns: readonly Column[], rows: readonly (readonly string[])[]): string[] {
  const cells = rows.map((row) => columns.map((column, i) => clip(row[i] ?? "", column.max ?? 40)));
  const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((row) => row[i].length)));
  const line = (row: readonly string[]) =>
    row.map((cell, i) => columns[i].align === "right" ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))
      .join("  ").trimEnd();
  return [line(columns.map((column) => column.header)), ...cells.map(line)];
}

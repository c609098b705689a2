/**
 * Settings as a burst sees them: the whole row is read and validated once per burst; then at most once per
 * `maxAgeMs` (one tick) only the Start/Stop switch and the row's `updated_at` are read (one small round trip, shared
 * by the venues ticking together), so the dashboard's Stop halts new entries within about one tick. Any other change
 * to the row (its `updated_at` moves) is picked up by reading the whole row again.
 *
 * A prepared tick waits for that read (`refresh`); a round between preparations does not (`latest`): it decides on the
 * switch as last read and starts the next read beside it, so no database round trip sits between a pushed top and
 * the order it calls for. Both start that read early, once the last one is PREFETCH_AT of maxAgeMs old, so the
 * prepared tick a tick later finds it done instead of waiting for it with the tops that arrive meanwhile.
 *
 * The mode a burst started in is the mode it trades in to the end (its clients and executor were built for it): a
 * mode change stops new entries for the rest of the burst, and the next burst starts in the new mode.
 */
import { z } from "zod";
import { type Db, DbError, must } from "../_shared/db.ts";
import { InvalidSettingsError, type Settings } from "../_shared/settings.ts";

/** What each tick re-reads. */
export interface TradingSwitch {
  trading_enabled: boolean;
  updated_at: string | null;
}

const tradingSwitchSchema = z.object({
  trading_enabled: z.boolean(),
  updated_at: z.string().nullable(),
});

/** `select trading_enabled, updated_at from bot_settings where id = 1`, validated. */
export async function readTradingSwitch(db: Db): Promise<TradingSwitch> {
  const row = must(
    "select bot_settings trading_enabled",
    await db.from("bot_settings").select("trading_enabled, updated_at").eq("id", 1).maybeSingle(),
  );
  if (!row) throw new DbError("select bot_settings", "the settings row (id = 1) is missing; run the migrations");
  const parsed = tradingSwitchSchema.safeParse(row);
  if (!parsed.success) {
    throw new InvalidSettingsError(parsed.error.issues.map((i) => ({ field: i.path.join("."), message: i.message })));
  }
  return parsed.data;
}

export interface BurstSettingsOptions {
  /** The whole row, validated (db.ts loadSettings). */
  reload: () => Promise<Settings>;
  /** The per-tick switch read; without it every refresh reads the whole row. */
  readSwitch?: () => Promise<TradingSwitch>;
  /** Monotonic ms. */
  nowMs: () => number;
  /** A check younger than this is reused (two venues ticking together share one read). At most one tick. */
  maxAgeMs: number;
}

/** The age, as a share of maxAgeMs, from which the next read starts beside the tick that finds it. */
export const PREFETCH_AT = 0.75;

export class BurstSettings {
  #settings: Settings;
  #checkedAtMs = Number.NEGATIVE_INFINITY;
  #checking: Promise<Settings> | null = null;
  /** When a check last started beside a tick: a failing read is tried again from there, not every round. */
  #startedAtMs = Number.NEGATIVE_INFINITY;
  #modeChanged = false;

  constructor(initial: Settings, private readonly options: BurstSettingsOptions) {
    this.#settings = initial;
  }

  /** The settings as last read (no round trip). */
  get current(): Settings {
    return this.#settings;
  }

  /**
   * A prepared tick: the switch (and the row when it changed), waited for when the last read is older than maxAgeMs;
   * younger, it is answered at once (and the next read may start beside it, `latest`).
   */
  async refresh(): Promise<Settings> {
    if (this.options.nowMs() - this.#checkedAtMs < this.options.maxAgeMs) return this.latest();
    return await this.#startCheck();
  }

  /**
   * A round: the settings as last read, without waiting; from PREFETCH_AT of maxAgeMs on, the next read starts in the
   * background (a failed one is tried again that long after it started). Its failure is left to the next prepared
   * tick, whose `refresh` reads again and throws.
   */
  latest(): Settings {
    const now = this.options.nowMs();
    const due = this.options.maxAgeMs * PREFETCH_AT;
    if (this.#checking === null && now - Math.max(this.#checkedAtMs, this.#startedAtMs) >= due) {
      this.#startedAtMs = now;
      this.#startCheck().catch(() => {});
    }
    return this.#settings;
  }

  #startCheck(): Promise<Settings> {
    this.#checking ??= this.#check().finally(() => (this.#checking = null));
    return this.#checking;
  }

  async #check(): Promise<Settings> {
    const { readSwitch, reload } = this.options;
    // The read's age counts from its start: a tick that starts one tick after the last read reads again.
    const startedAt = this.options.nowMs();
    const known = this.#settings;
    if (!readSwitch) {
      this.#adopt(await reload());
    } else {
      const flag = await readSwitch();
      if (flag.updated_at !== known.updated_at) this.#adopt(await reload());
      else if (flag.trading_enabled !== known.trading_enabled) {
        this.#adopt({ ...known, trading_enabled: flag.trading_enabled });
      }
    }
    this.#checkedAtMs = startedAt;
    return this.#settings;
  }

  #adopt(next: Settings): void {
    const mode = this.#settings.mode;
    if (next.mode !== mode) this.#modeChanged = true;
    // Trade on in the burst's own mode; a changed mode stops new entries until the next burst, and so does live
    // mode losing its settings opt-in.
    const liveOptInLost = mode === "live" && !next.live_trading_enabled;
    this.#settings = { ...next, mode, trading_enabled: next.trading_enabled && !this.#modeChanged && !liveOptInLost };
  }
}

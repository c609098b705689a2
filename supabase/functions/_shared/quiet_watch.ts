/**
 * Liveness of a WebSocket stream: after half of `stallMs` without a message it sends a probe (the venue answers it),
 * after `stallMs` it reports a stall. Its one timer sleeps until the next moment either can happen, rather than
 * ticking at a fixed rate: waking the process costs far more than a message does, and a stream that speaks often
 * then costs one wake per half `stallMs`, not four. A message only moves a timestamp.
 */
export interface QuietWatchOptions {
  stallMs: number;
  nowMs: () => number;
  /** True while the socket is open; a socket still connecting is not quiet. */
  listening: () => boolean;
  probe: () => void;
  stalled: (quietMs: number) => void;
}

export class QuietWatch {
  #lastHeardAt = 0;
  #probed = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(private readonly options: QuietWatchOptions) {}

  /** A message (or a new socket's open) was heard now. */
  heard(): void {
    this.#lastHeardAt = this.options.nowMs();
    this.#probed = false;
  }

  /** Quiet for longer than `stallMs`. */
  get stale(): boolean {
    return this.options.nowMs() - this.#lastHeardAt > this.options.stallMs;
  }

  start(): void {
    this.#stopped = false;
    this.#arm(this.options.stallMs / 2);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    if (this.#stopped) return;
    // At least 10 ms: a fake clock or a clock step must not spin the timer.
    this.#timer = setTimeout(() => this.#check(), Math.max(10, Math.ceil(ms)));
  }

  #check(): void {
    const { stallMs, nowMs, listening } = this.options;
    if (!listening()) return this.#arm(stallMs / 2);
    const quietMs = nowMs() - this.#lastHeardAt;
    if (quietMs > stallMs) {
      this.options.stalled(quietMs);
      // The stream opens another socket; its open counts as heard.
      return this.#arm(stallMs / 2);
    }
    if (quietMs > stallMs / 2 && !this.#probed) {
      this.#probed = true;
      this.options.probe();
    }
    // Next: the probe when none went out, else the stall; just past the moment, so the check finds it due.
    const due = this.#lastHeardAt + (this.#probed ? stallMs : stallMs / 2) + 1;
    this.#arm(due - nowMs());
  }
}

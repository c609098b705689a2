/**
 * One venue's book-top stream for a burst, over a plain WebSocket: keeps only the latest top per symbol, wakes
 * waiters when a top arrives, and replaces the socket when it drops, stalls (nothing for `stallMs`, a probe sent at
 * half that) or sends garbage. Replacements are bounded (`maxReconnects`); after that the stream stays down and the
 * burst keeps polling over REST. While the stream is not `up`, its tops are not offered (the caller polls).
 */
import type { Quote } from "../trading/quote.ts";
import type { StreamProtocol } from "./protocols.ts";
import { QuietWatch } from "../quiet_watch.ts";
import { waitForAny, Wakeups } from "../wakeups.ts";

export interface QuoteStreamOptions {
  url: string;
  protocol: StreamProtocol;
  symbols: readonly string[];
  /** No message for this long: the socket is replaced. */
  stallMs?: number;
  maxReconnects?: number;
  nowMs?: () => number;
  /** Opens a socket (tests may wrap it); the global WebSocket by default. */
  connect?: (url: string) => WebSocket;
}

export interface QuoteStreamStats {
  messages: number;
  tops: number;
  /** tops equal to the symbol's last one (not offered as changed) */
  repeats: number;
  garbage: number;
  drops: number;
  stalls: number;
  reconnects: number;
  /** the last reason a socket was replaced */
  last_fault: string | null;
}

export class QuoteStream {
  readonly stats: QuoteStreamStats = {
    messages: 0,
    tops: 0,
    repeats: 0,
    garbage: 0,
    drops: 0,
    stalls: 0,
    reconnects: 0,
    last_fault: null,
  };
  readonly #latest = new Map<string, Quote>();
  readonly #ids: Map<string, string>;
  readonly #stallMs: number;
  readonly #maxReconnects: number;
  readonly #nowMs: () => number;
  #socket: WebSocket | undefined;
  #open = false;
  #closed = false;
  readonly #quiet: QuietWatch;
  #retry: ReturnType<typeof setTimeout> | undefined;
  /** Woken when a changed top arrives, and on close. */
  readonly topArrivals = new Wakeups();
  /** Symbols a top arrived for since the last takeChanged(). */
  readonly #changed = new Set<string>();
  /** Set when the first top arrives after (re)connecting: the stream is up only once it has spoken. */
  #fresh = false;

  constructor(private readonly options: QuoteStreamOptions) {
    this.#ids = options.protocol.ids(options.symbols);
    this.#stallMs = options.stallMs ?? 5_000;
    this.#maxReconnects = options.maxReconnects ?? 5;
    this.#nowMs = options.nowMs ?? (() => performance.now());
    this.#quiet = new QuietWatch({
      stallMs: this.#stallMs,
      nowMs: this.#nowMs,
      listening: () => this.#open && this.#socket !== undefined,
      probe: () => this.#socket?.send(this.options.protocol.probe()),
      stalled: (quietMs) => {
        this.stats.stalls += 1;
        this.#replace(`stalled (${Math.round(quietMs)} ms without a message)`);
      },
    });
  }

  /** The channel subscribed to (protocols.ts). */
  get channel(): string {
    return this.options.protocol.channel;
  }

  /** Open, has delivered a top since connecting, and heard from within `stallMs`. */
  get up(): boolean {
    return this.#open && this.#fresh && !this.#quiet.stale;
  }

  /** The latest tops while up; undefined when down (poll instead). */
  tops(): ReadonlyMap<string, Quote> | undefined {
    return this.up ? this.#latest : undefined;
  }

  start(): void {
    if (this.#socket || this.#closed) return;
    this.#connect();
    this.#quiet.start();
  }

  /** A top arrived that no read has taken yet (takeChanged). */
  hasUnseenTop(): boolean {
    return this.#changed.size > 0 && this.up;
  }

  /** The symbols a top arrived for since the last call; the stream forgets them. */
  takeChanged(): Set<string> {
    const changed = new Set(this.#changed);
    this.#changed.clear();
    return changed;
  }

  /**
   * Resolves true when a top arrives (or `alsoWokenBy` wakes), false after `ms` or on close. One timer serves both
   * sources, and it is cleared whichever ends the wait.
   */
  nextTop(ms: number, alsoWokenBy?: Wakeups): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    return waitForAny(alsoWokenBy ? [this.topArrivals, alsoWokenBy] : [this.topArrivals], ms);
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#quiet.stop();
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.topArrivals.wakeAll();
    const socket = this.#socket;
    this.#socket = undefined;
    this.#open = false;
    if (!socket || socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      // Bounded: a peer that never answers the close does not hold the burst.
      const timer = setTimeout(done, 500);
      socket.addEventListener("close", done);
      socket.close();
    });
  }

  #connect(): void {
    const socket = (this.options.connect ?? ((url) => new WebSocket(url)))(this.options.url);
    this.#socket = socket;
    this.#fresh = false;
    socket.onopen = () => {
      if (socket !== this.#socket) return;
      this.#open = true;
      this.#quiet.heard();
      for (const m of this.options.protocol.subscribe(this.options.symbols)) socket.send(m);
    };
    socket.onmessage = (event) => {
      if (socket !== this.#socket) return;
      this.#onText(typeof event.data === "string" ? event.data : "");
    };
    socket.onclose = () => {
      if (socket !== this.#socket || this.#closed) return;
      this.stats.drops += 1;
      this.#replace("dropped");
    };
    // An error is followed by close; the close replaces the socket.
    socket.onerror = () => {};
  }

  #onText(text: string): void {
    this.stats.messages += 1;
    this.#quiet.heard();
    const parsed = this.options.protocol.parse(text, this.#ids);
    if (parsed.kind === "ignore") return;
    if (parsed.kind === "garbage") {
      this.stats.garbage += 1;
      this.#replace(`garbage (${parsed.why})`);
      return;
    }
    const { symbol, bid, ask } = parsed.top;
    this.stats.tops += 1;
    this.#fresh = true;
    const known = this.#latest.get(symbol);
    // A conflated channel repeats an unchanged top every interval: nothing to decide, so no round is woken for it.
    if (known && known.bid === bid && known.ask === ask) {
      this.stats.repeats += 1;
      return;
    }
    this.#latest.set(symbol, { bid, ask });
    this.#changed.add(symbol);
    this.topArrivals.wakeAll();
  }

  /** Drops the current socket and opens another, unless the budget of replacements is spent. */
  #replace(reason: string): void {
    this.stats.last_fault = reason;
    const old = this.#socket;
    this.#socket = undefined;
    this.#open = false;
    this.#fresh = false;
    this.#latest.clear();
    if (old && old.readyState !== WebSocket.CLOSED) {
      try {
        old.close();
      } catch {
        // already closing
      }
    }
    if (this.#closed || this.stats.reconnects >= this.#maxReconnects) return;
    // 0.25, 0.5, 1, 2, 2 s: five replacements span a few seconds of a venue's outage, then the burst polls.
    const backoffMs = Math.min(2_000, 250 * 2 ** this.stats.reconnects);
    this.stats.reconnects += 1;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (!this.#closed) this.#connect();
    }, backoffMs);
  }
}

/**
 * One venue's book-top stream for a burst, over a plain WebSocket: keeps only the latest top per symbol, wakes
 * waiters when a top arrives, and replaces the socket when it drops, stalls (nothing for `stallMs`, a probe sent at
 * half that) or sends garbage. Replacements are bounded (`maxReconnects`); after that the stream stays down and the
 * burst keeps polling over REST. While the stream is not `up`, its tops are not offered (the caller polls).
 */
import type { Quote } from "../trading/quote.ts";
import type { StreamProtocol } from "./protocols.ts";
import { ReplacedSocket, type SocketSettings, socketSettings, type SocketStats } from "../replaced_socket.ts";
import { waitForAny, Wakeups } from "../wakeups.ts";

export interface QuoteStreamOptions extends SocketSettings {
  protocol: StreamProtocol;
  symbols: readonly string[];
}

export interface QuoteStreamStats extends SocketStats {
  tops: number;
  /** tops equal to the symbol's last one (not offered as changed) */
  repeats: number;
  garbage: number;
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
  readonly #socket: ReplacedSocket;
  /** Woken when a changed top arrives, and on close. */
  readonly topArrivals = new Wakeups();
  /** Symbols a top arrived for since the last takeChanged(). */
  readonly #changed = new Set<string>();
  /** Set when the first top arrives after (re)connecting: the stream is up only once it has spoken. */
  #fresh = false;

  constructor(private readonly options: QuoteStreamOptions) {
    this.#ids = options.protocol.ids(options.symbols);
    this.#socket = new ReplacedSocket({
      ...socketSettings(options),
      stats: this.stats,
      probe: () => options.protocol.probe(),
      opening: () => options.protocol.subscribe(options.symbols),
      message: (text) => this.#onText(text),
      lost: () => {
        this.#fresh = false;
        this.#latest.clear();
      },
    });
  }

  /** The channel subscribed to (protocols.ts). */
  get channel(): string {
    return this.options.protocol.channel;
  }

  /** Open, has delivered a top since connecting, and heard from within `stallMs`. */
  get up(): boolean {
    return this.#fresh && this.#socket.live;
  }

  /** The latest tops while up; undefined when down (poll instead). */
  tops(): ReadonlyMap<string, Quote> | undefined {
    return this.up ? this.#latest : undefined;
  }

  start(): void {
    this.#socket.start();
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
    if (this.#socket.closed) return Promise.resolve(false);
    return waitForAny(alsoWokenBy ? [this.topArrivals, alsoWokenBy] : [this.topArrivals], ms);
  }

  close(): Promise<void> {
    const closing = this.#socket.close();
    this.topArrivals.wakeAll();
    return closing;
  }

  #onText(text: string): void {
    const parsed = this.options.protocol.parse(text, this.#ids);
    if (parsed.kind === "ignore") return;
    if (parsed.kind === "garbage") {
      this.stats.garbage += 1;
      this.#socket.replace(`garbage (${parsed.why})`);
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
}

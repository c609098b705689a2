/// <reference lib="dom" />
/**
 * The page: reads config.json (project URL + publishable key, nothing else), signs in through supabase-js Auth or
 * takes a session handed over in the URL fragment (`#session=<jwt>`, how the local demo opens it: the local stack has
 * no Auth server), checks the user's role, then polls the tables and redraws. Every failure becomes a plain message.
 */

import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import {
  checkProjectUrl,
  checkPublishableKey,
  ConfigError,
  explainError,
  explainFailure,
  type Explanation,
  jwtClaims,
} from "../../shared/explain.ts";
import { LatencyChart, PnlChart } from "./charts.ts";
import { loadRole, loadWebSnapshot, probeProject, type Role, setTradingEnabled, type WebSnapshot } from "./data.ts";
import type { Database } from "../../../supabase/functions/_shared/database.types.ts";
import {
  attentionHtml,
  chartSeries,
  filterOptions,
  filterTrades,
  headerHtml,
  messageHtml,
  ordersHtml,
  performanceHtml,
  positionsHtml,
  riskHtml,
  runsHtml,
  tradesHtml,
  venuesHtml,
} from "./view.ts";

interface PageConfig {
  supabaseUrl: string;
  publishableKey: string;
  refreshSeconds?: number;
}

const SESSION_KEY = "scalper-dashboard-session";
const SIGNIN_NOTE_KEY = "scalper-dashboard-signin-note";
const REFRESH_CHOICES = [5, 10, 30, 60];

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

function show(view: "message" | "signin" | "dashboard"): void {
  $("message").hidden = view !== "message";
  $("signin").hidden = view !== "signin";
  $("dashboard").hidden = view !== "dashboard";
  document.body.dataset.view = view;
}

function showMessage(explanation: Explanation): void {
  $("message").innerHTML = messageHtml(explanation);
  show("message");
}

async function readConfig(): Promise<PageConfig> {
  let response: Response;
  try {
    response = await fetch("./config.json", { cache: "no-store" });
  } catch {
    throw new ConfigError(
      "config.json could not be loaded next to index.html: rebuild with deno task dashboard:build.",
    );
  }
  if (!response.ok) {
    throw new ConfigError(`config.json answered HTTP ${response.status}: rebuild with deno task dashboard:build.`);
  }
  const raw = await response.json().catch(() => null) as Partial<PageConfig> | null;
  if (!raw || typeof raw.supabaseUrl !== "string" || typeof raw.publishableKey !== "string") {
    throw new ConfigError("config.json must have supabaseUrl and publishableKey (strings).");
  }
  checkPublishableKey(raw.publishableKey);
  return { ...raw, supabaseUrl: checkProjectUrl(raw.supabaseUrl), publishableKey: raw.publishableKey.trim() };
}

/** A session handed over in the fragment is moved to sessionStorage at once, so it leaves the address bar. */
function handedSession(): string | null {
  const match = /(?:^#|&)session=([^&]+)/.exec(location.hash);
  if (match) {
    sessionStorage.setItem(SESSION_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(SESSION_KEY);
}

class Dashboard {
  #snapshot: WebSnapshot | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #countdown: ReturnType<typeof setInterval> | undefined;
  #nextAt = 0;
  #refreshSeconds: number;
  #busy = false;
  readonly #latency = new LatencyChart($("latency-chart"));
  readonly #pnl = new PnlChart($("pnl-chart"));

  constructor(
    readonly client: SupabaseClient<Database>,
    readonly config: PageConfig,
    readonly role: Role,
    readonly email: string | null,
    readonly signOut: () => Promise<void>,
  ) {
    this.#refreshSeconds = REFRESH_CHOICES.includes(config.refreshSeconds ?? 0) ? config.refreshSeconds! : 10;
    const select = $<HTMLSelectElement>("refresh-interval");
    select.innerHTML = REFRESH_CHOICES.map((s) =>
      `<option value="${s}"${s === this.#refreshSeconds ? " selected" : ""}>every ${s} s</option>`
    ).join("");
    select.addEventListener("change", () => {
      this.#refreshSeconds = Number(select.value);
      this.refresh();
    });
    $("refresh-now").addEventListener("click", () => this.refresh());
    $("sign-out").addEventListener("click", () => this.signOut());
    for (const id of ["filter-venue", "filter-symbol"]) $(id).addEventListener("change", () => this.#drawTrades());
    $("header").addEventListener("click", (event) => {
      const target = event.target as HTMLElement;
      if (target.id === "trading-switch" && !(target as HTMLButtonElement).disabled) this.#askSwitch();
    });
    $("confirm-yes").addEventListener("click", () => this.#switch());
    $("confirm-no").addEventListener("click", () => $<HTMLDialogElement>("confirm").close());
    document.addEventListener("visibilitychange", () => document.hidden ? this.#pause() : this.refresh());
  }

  /** Reads now, redraws, and schedules the next read (unless the tab is hidden). */
  async refresh(): Promise<void> {
    clearTimeout(this.#timer);
    if (this.#busy) return;
    this.#busy = true;
    try {
      const snapshot = await loadWebSnapshot(this.client, new Date());
      this.#snapshot = snapshot;
      $("error").hidden = true;
      this.#draw();
    } catch (error) {
      const explanation = explainError(error, this.config.supabaseUrl);
      if (!this.#snapshot) {
        showMessage(explanation);
      } else {
        $("error").innerHTML = messageHtml(explanation);
        $("error").hidden = false;
      }
    } finally {
      this.#busy = false;
    }
    if (document.hidden) return this.#pause();
    this.#nextAt = Date.now() + this.#refreshSeconds * 1000;
    this.#timer = setTimeout(() => this.refresh(), this.#refreshSeconds * 1000);
    clearInterval(this.#countdown);
    this.#countdown = setInterval(() => this.#tick(), 1000);
    this.#tick();
  }

  #pause(): void {
    clearTimeout(this.#timer);
    clearInterval(this.#countdown);
    $("next-refresh").textContent = "paused while the tab is hidden";
    document.body.dataset.polling = "paused";
  }

  #tick(): void {
    const left = Math.max(0, Math.round((this.#nextAt - Date.now()) / 1000));
    $("next-refresh").textContent = `next in ${left} s`;
    document.body.dataset.polling = "on";
  }

  #draw(): void {
    const snapshot = this.#snapshot!;
    const now = new Date();
    show("dashboard");
    document.body.dataset.mode = snapshot.settings.mode;
    $("header").innerHTML = headerHtml(snapshot, now, {
      role: this.role,
      email: this.email,
      refreshSeconds: this.#refreshSeconds,
      paused: document.hidden,
    });
    const attention = attentionHtml(snapshot, now);
    $("attention").innerHTML = attention;
    $("attention").hidden = attention === "";
    $("venues-body").innerHTML = venuesHtml(snapshot, now);
    $("risk-body").innerHTML = riskHtml(snapshot);
    $("positions-body").innerHTML = positionsHtml(snapshot, now);
    $("orders-body").innerHTML = ordersHtml(snapshot, now);
    $("runs-body").innerHTML = runsHtml(snapshot, now);
    this.#latency.update(snapshot.latency);
    const options = filterOptions(snapshot.trades);
    this.#fillSelect("filter-venue", "all venues", options.venues);
    this.#fillSelect("filter-symbol", "all symbols", options.symbols);
    this.#drawTrades();
    document.body.dataset.loaded = snapshot.takenAt;
  }

  #fillSelect(id: string, allLabel: string, values: string[]): void {
    const select = $<HTMLSelectElement>(id);
    const current = select.value;
    const escaped = (v: string) => v.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;");
    select.innerHTML = `<option value="">${allLabel}</option>` +
      values.map((v) => `<option value="${escaped(v)}">${escaped(v)}</option>`).join("");
    select.value = values.includes(current) ? current : "";
  }

  #drawTrades(): void {
    if (!this.#snapshot) return;
    const trades = filterTrades(this.#snapshot.trades, {
      venue: $<HTMLSelectElement>("filter-venue").value,
      symbol: $<HTMLSelectElement>("filter-symbol").value,
    });
    $("trades-body").innerHTML = tradesHtml(trades);
    $("performance-body").innerHTML = performanceHtml(trades);
    const series = chartSeries(trades);
    this.#pnl.update(series.cumulative, series.daily);
  }

  #askSwitch(): void {
    const stopping = this.#snapshot?.settings.trading_enabled ?? true;
    $("confirm-text").textContent = stopping
      ? "Stop trading? The bot opens no new position from its next tick; open positions keep their exits."
      : "Start trading? The bot may open positions from its next burst, within the risk limits.";
    $("confirm-yes").textContent = stopping ? "Stop trading" : "Start trading";
    $("confirm-yes").dataset.enabled = String(!stopping);
    $<HTMLDialogElement>("confirm").showModal();
  }

  async #switch(): Promise<void> {
    const enabled = $("confirm-yes").dataset.enabled === "true";
    $<HTMLDialogElement>("confirm").close();
    try {
      await setTradingEnabled(this.client, enabled);
    } catch (error) {
      $("error").innerHTML = messageHtml(explainError(error, this.config.supabaseUrl));
      $("error").hidden = false;
    }
    await this.refresh();
  }
}

async function start(
  client: SupabaseClient<Database>,
  config: PageConfig,
  email: string | null,
  signOut: () => Promise<void>,
) {
  const role = await loadRole(client);
  if (role === null) {
    showMessage({
      problem: "not_member",
      title: "You are signed in, but not a member of this bot",
      fix: `Ask an operator to add you${email ? ` (${email})` : ""} to the bot's members, as viewer or operator.`,
      detail: "",
    });
    return;
  }
  await new Dashboard(client, config, role, email, signOut).refresh();
}

function signInForm(client: SupabaseClient<Database>, config: PageConfig, note?: string): void {
  show("signin");
  $("signin-note").textContent = note ?? "";
  const form = $<HTMLFormElement>("signin-form");
  const say = (text: string) => $("signin-note").textContent = text;
  form.onsubmit = async (event) => {
    event.preventDefault();
    const email = $<HTMLInputElement>("signin-email").value.trim();
    const password = $<HTMLInputElement>("signin-password").value;
    const magic = (event.submitter as HTMLButtonElement | null)?.value === "magic";
    say(magic ? "Sending the link…" : "Signing in…");
    const { error } = magic
      ? await client.auth.signInWithOtp({ email, options: { emailRedirectTo: location.href, shouldCreateUser: false } })
      : await client.auth.signInWithPassword({ email, password });
    if (error) {
      const unreachable = error.name === "AuthRetryableFetchError" || error.status === 0;
      say(
        unreachable
          ? `Cannot reach ${config.supabaseUrl}: check the project URL.`
          : error.status === 404
          ? `${config.supabaseUrl} has no Supabase Auth (no /auth/v1): check the project URL. ` +
            "A local stack has no Auth server; open the URL the demo printed instead."
          : error.message,
      );
      return;
    }
    if (magic) return say(`Check ${email} for the sign-in link.`);
    // Signed in: supabase-js kept the session; a fresh start picks it up with no timers left from the form.
    location.reload();
  };
}

/** Reloads onto the sign-in form with `note` (a reload stops every timer of the dashboard that was running). */
function backToSignIn(note: string): void {
  sessionStorage.setItem(SIGNIN_NOTE_KEY, note);
  location.reload();
}

async function main(): Promise<void> {
  let config: PageConfig;
  try {
    config = await readConfig();
  } catch (error) {
    return showMessage(explainError(error, "the project"));
  }
  try {
    const failure = await probeProject(config.supabaseUrl, config.publishableKey);
    if (failure) return showMessage(explainFailure(failure, config.supabaseUrl));
    const token = handedSession();
    if (token) {
      const claims = jwtClaims(token);
      const exp = typeof claims?.exp === "number" ? claims.exp : null;
      if (exp !== null && exp * 1000 <= Date.now()) {
        sessionStorage.removeItem(SESSION_KEY);
        return showMessage({
          problem: "session_expired",
          title: "Your session has expired",
          fix: "Open the dashboard URL again from the demo's start-up output, or restart the demo.",
          detail: `the session ended ${new Date(exp * 1000).toISOString()}`,
        });
      }
      const client = createClient<Database>(config.supabaseUrl, config.publishableKey, {
        accessToken: () => Promise.resolve(token),
      });
      const email = typeof claims?.email === "string" ? claims.email : null;
      return await start(client, config, email, () => {
        sessionStorage.removeItem(SESSION_KEY);
        location.reload();
        return Promise.resolve();
      });
    }
    const client = createClient<Database>(config.supabaseUrl, config.publishableKey, {
      auth: { persistSession: true, autoRefreshToken: true, detectSessionInUrl: true },
    });
    const { data, error } = await client.auth.getSession();
    if (error || !data.session) {
      const note = sessionStorage.getItem(SIGNIN_NOTE_KEY) ?? (error ? error.message : undefined);
      sessionStorage.removeItem(SIGNIN_NOTE_KEY);
      return signInForm(client, config, note);
    }
    client.auth.onAuthStateChange((event) => {
      // Also what a failed token refresh ends in: the session is gone.
      if (event === "SIGNED_OUT") backToSignIn("Signed out (or the session expired): sign in again.");
    });
    await start(client, config, data.session.user.email ?? null, async () => {
      await client.auth.signOut();
    });
  } catch (error) {
    showMessage(explainError(error, config.supabaseUrl));
  }
}

addEventListener("DOMContentLoaded", () => {
  main().catch((error) => showMessage(explainError(error, "the project")));
});

/// <reference lib="dom" />
/**
 * The two charts, drawn by TradingView's lightweight-charts: latency per venue over the last hour, and the
 * cumulative realized PnL line over daily PnL bars. Charts are created once and fed new data on every refresh.
 */

import {
  type ChartOptions,
  createChart,
  type DeepPartial,
  HistogramSeries,
  type IChartApi,
  type ISeriesApi,
  LineSeries,
  type UTCTimestamp,
} from "lightweight-charts";
import type { ChartPoint } from "../../shared/analytics.ts";
import type { LatencySample } from "./data.ts";

const POSITIVE = "#1a9850";
const NEGATIVE = "#d73027";
const VENUE_COLOURS: Record<string, string> = { binance: "#f0b90b", okx: "#3b82f6" };

function baseOptions(height: number): DeepPartial<ChartOptions> {
  return {
    height,
    autoSize: true,
    layout: { background: { color: "transparent" }, textColor: "#555", attributionLogo: false },
    grid: { vertLines: { color: "#eee" }, horzLines: { color: "#eee" } },
    timeScale: { timeVisible: true, secondsVisible: false },
    rightPriceScale: { borderVisible: false },
  };
}

const ts = (seconds: number) => seconds as UTCTimestamp;

/** Fits the data to the width whenever the box changes size (the first fit happens before layout gives it one). */
function fitOnResize(element: HTMLElement, chart: IChartApi): void {
  new ResizeObserver(() => chart.timeScale().fitContent()).observe(element);
}

export class LatencyChart {
  readonly #chart: IChartApi;
  readonly #series = new Map<string, ISeriesApi<"Line">>();

  constructor(readonly element: HTMLElement) {
    this.#chart = createChart(element, baseOptions(160));
    fitOnResize(element, this.#chart);
  }

  update(samples: readonly LatencySample[]): void {
    const byVenue = new Map<string, { time: UTCTimestamp; value: number }[]>();
    for (const sample of samples) {
      if (!sample.success || sample.latency_ms === null) continue;
      const points = byVenue.get(sample.venue) ?? [];
      const time = ts(Math.floor(Date.parse(sample.ts) / 1000));
      const last = points.at(-1);
      // Several samples in one second: keep the latest (the chart needs strictly increasing times).
      if (last && last.time === time) last.value = sample.latency_ms;
      else if (!last || last.time < time) points.push({ time, value: sample.latency_ms });
      byVenue.set(sample.venue, points);
    }
    let total = 0;
    for (const [venue, points] of byVenue) {
      let series = this.#series.get(venue);
      if (!series) {
        series = this.#chart.addSeries(LineSeries, {
          color: VENUE_COLOURS[venue] ?? "#666",
          lineWidth: 2,
          title: venue,
          priceFormat: { type: "custom", formatter: (v: number) => `${Math.round(v)} ms` },
        });
        this.#series.set(venue, series);
      }
      series.setData(points);
      total += points.length;
    }
    for (const [venue, series] of this.#series) if (!byVenue.has(venue)) series.setData([]);
    this.element.dataset.points = String(total);
    this.#chart.timeScale().fitContent();
  }
}

export class PnlChart {
  readonly #chart: IChartApi;
  readonly #line: ISeriesApi<"Line">;
  readonly #bars: ISeriesApi<"Histogram">;

  constructor(readonly element: HTMLElement) {
    this.#chart = createChart(element, baseOptions(220));
    fitOnResize(element, this.#chart);
    this.#bars = this.#chart.addSeries(HistogramSeries, { priceScaleId: "left", title: "day" });
    this.#line = this.#chart.addSeries(LineSeries, { color: "#2c3e50", lineWidth: 2, title: "cumulative" });
    this.#chart.applyOptions({ leftPriceScale: { visible: true, borderVisible: false } });
  }

  update(cumulative: readonly ChartPoint[], daily: readonly ChartPoint[]): void {
    this.#line.setData(cumulative.map((p) => ({ time: ts(p.time), value: p.value })));
    this.#bars.setData(
      daily.map((p) => ({ time: ts(p.time), value: p.value, color: p.value >= 0 ? POSITIVE : NEGATIVE })),
    );
    this.element.dataset.points = String(cumulative.length);
    this.element.dataset.days = String(daily.length);
    this.#chart.timeScale().fitContent();
  }
}

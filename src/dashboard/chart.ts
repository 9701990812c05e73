/// <reference lib="dom" />
/** @module Spend over time as stacked bars (uPlot), from `/api/usage?group_by=hour,<field>`. */
import { html } from "htm/preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { money } from "./format.ts";
import { DAY, HOUR, type Stack } from "./series.ts";

export const COLORS = ["#2563eb", "#db2777", "#16a34a", "#ea580c", "#7c3aed", "#0891b2", "#ca8a04", "#dc2626", "#64748b"];

/**
 * uPlot has no stacking: each series is drawn as the running sum of itself and every series below it, top edge
 * first, so the smaller sums paint over the larger ones and each bar segment shows one series' share.
 */
export function SpendChart(props: { data: Stack; bucket: "hour" | "day" }) {
  const box = useRef<HTMLDivElement>(null);
  // A layout effect: drawn before the frame that shows the other panels, not one frame and a timer after it.
  useLayoutEffect(() => {
    const el = box.current;
    const { xs, series } = props.data;
    if (!el || xs.length === 0 || series.length === 0) return;
    const sums: number[][] = [];
    let running = xs.map(() => 0);
    for (const s of series) {
      running = running.map((v, i) => v + (s.values[i] ?? 0));
      sums.push(running);
    }
    const order = series.map((_, i) => series.length - 1 - i); // top edge first
    const height = () => (el.clientWidth < 500 ? 200 : 260);
    const bars = uPlot.paths.bars!({ size: [0.8, 40], align: 1 });
    const opts: uPlot.Options = {
      width: el.clientWidth,
      height: height(),
      // Buckets are UTC hours and days (as the API groups them), so the axis is UTC too, whatever the browser's zone.
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      // Each bar starts at its bucket (align 1): the range ends one bucket after the last start, or it is cut off.
      scales: { x: { time: true, range: (_u, min, max) => [min, max + (props.bucket === "hour" ? HOUR : DAY) / 1000] } },
      cursor: { drag: { x: false, y: false } },
      series: [
        { value: (_u, v) => (v === null ? "—" : new Date(v * 1000).toISOString().slice(0, props.bucket === "hour" ? 16 : 10)) },
        ...order.map((i) => ({
          label: series[i]!.name,
          stroke: COLORS[i % COLORS.length]!,
          fill: `${COLORS[i % COLORS.length]!}d0`,
          width: 1,
          paths: bars,
          points: { show: false },
          value: (_u: uPlot, _v: number | null, _s: number, idx: number | null) =>
            idx === null ? "—" : money(String(series[i]!.values[idx] ?? 0)),
        })),
      ],
      axes: [{}, { size: 70, values: (_u, ticks) => ticks.map((t) => money(String(t))) }],
    };
    const plot = new uPlot(opts, [xs, ...order.map((i) => sums[i]!)], el);
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height: height() }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [props.data, props.bucket]);
  const total = props.data.series.reduce((s, x) => s + x.values.reduce((a, b) => a + b, 0), 0);
  return html`<div ref=${box} class="chart" role="img"
    aria-label=${`Spend over time, stacked by group; ${money(String(total))} in this range`}></div>`;
}

// Charts drawn as SVG by hand: a time series (readings, desired vs reported) and bars (kWh).
// Drawn in a fixed viewBox and scaled by CSS, so they need no measuring of the page.

import { html } from './dom.js';

const W = 960;
const H = 260;
const PAD = { left: 56, right: 16, top: 16, bottom: 28 };

/** @param {number} v */
const num = (v) => (Math.abs(v) >= 1000 || Number.isInteger(v) ? String(Math.round(v)) : String(Number(v.toPrecision(3))));
/** @param {number} t */
const clock = (t) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** Rounded-out bounds, never empty. @param {number[]} values */
function bounds(values) {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) [lo, hi] = [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.08;
  return [lo - pad, hi + pad];
}

/**
 * @param {{ series: Array<{ name: string, cls: string, step?: boolean, points: Array<{ t: number, v: number }> }>, unit?: string, label: string }} opts
 */
export function lineChart({ series, unit = '', label }) {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return html`<p class="muted chart-empty">No numeric values yet.</p>`;
  const [t0, t1] = (() => {
    const ts = all.map((p) => p.t);
    const lo = Math.min(...ts);
    const hi = Math.max(...ts);
    return lo === hi ? [lo - 1000, hi + 1000] : [lo, hi];
  })();
  const [v0, v1] = bounds(all.map((p) => p.v));
  const x = (/** @type {number} */ t) => PAD.left + ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (/** @type {number} */ v) => PAD.top + (1 - (v - v0) / (v1 - v0)) * (H - PAD.top - PAD.bottom);
  const path = (/** @type {(typeof series)[number]} */ s) => {
    let d = '';
    s.points.forEach((p, i) => {
      const prev = s.points[i - 1];
      if (i === 0) d += `M${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
      else if (s.step && prev) d += `H${x(p.t).toFixed(1)}V${y(p.v).toFixed(1)}`;
      else d += `L${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
    });
    // A stepped value (desired, reported) holds until something changes it: draw it to the end.
    if (s.step && s.points.length) d += `H${x(t1).toFixed(1)}`;
    return d;
  };
  const ticks = [v0, (v0 + v1) / 2, v1];
  return html`<figure class="chart">
<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${label}">
  ${ticks.map((v) => html`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v)}" y2="${y(v)}"/><text class="axis" x="${PAD.left - 6}" y="${y(v) + 4}" text-anchor="end">${num(v)}</text>`)}
  <text class="axis" x="${PAD.left}" y="${H - 8}">${clock(t0)}</text>
  <text class="axis" x="${W - PAD.right}" y="${H - 8}" text-anchor="end">${clock(t1)}</text>
  ${series.map((s) => {
    const last = s.points[s.points.length - 1];
    return s.points.length
      ? html`<path class="line ${s.cls}" d="${path(s)}"/>${s.points.length <= 120 ? s.points.map((p) => html`<circle class="dot ${s.cls}" cx="${x(p.t)}" cy="${y(p.v)}" r="2.5"><title>${clock(p.t)}: ${num(p.v)} ${unit}</title></circle>`) : ''}${last ? html`<circle class="dot last ${s.cls}" cx="${x(last.t)}" cy="${y(last.v)}" r="4"/>` : ''}`
      : '';
  })}
</svg>
<figcaption>${series.map((s) => html`<span class="key ${s.cls}">${s.name}</span>`)}${unit ? html` <span class="muted">(${unit})</span>` : ''}</figcaption>
</figure>`;
}

/**
 * @param {{ bars: Array<{ label: string, value: number, title: string }>, unit: string, label: string }} opts
 */
export function barChart({ bars, unit, label }) {
  if (bars.length === 0) return html`<p class="muted chart-empty">Nothing measured in this range.</p>`;
  const max = Math.max(...bars.map((b) => b.value), 0) || 1;
  const plotW = W - PAD.left - PAD.right;
  const slot = plotW / bars.length;
  const barW = Math.max(1, slot * 0.8);
  const y = (/** @type {number} */ v) => PAD.top + (1 - v / max) * (H - PAD.top - PAD.bottom);
  const every = Math.ceil(bars.length / 12);
  return html`<figure class="chart">
<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${label}">
  ${[0, max / 2, max].map((v) => html`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v)}" y2="${y(v)}"/><text class="axis" x="${PAD.left - 6}" y="${y(v) + 4}" text-anchor="end">${num(v)}</text>`)}
  ${bars.map((b, i) => {
    const x = PAD.left + i * slot + (slot - barW) / 2;
    return html`<rect class="bar" data-value="${b.value}" x="${x.toFixed(1)}" y="${y(b.value).toFixed(1)}" width="${barW.toFixed(1)}" height="${(y(0) - y(b.value)).toFixed(1)}"><title>${b.title}: ${num(b.value)} ${unit}</title></rect>${i % every === 0 ? html`<text class="axis" x="${(x + barW / 2).toFixed(1)}" y="${H - 8}" text-anchor="middle">${b.label}</text>` : ''}`;
  })}
</svg>
<figcaption class="muted">${unit}</figcaption>
</figure>`;
}

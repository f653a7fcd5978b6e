// Energy: per plug (daemon), kWh per hour/day/month over a date range as bars, and its on/off
// switch. The API lists only the key owner's plugs (all of them for an admin).

import { ApiError, get, request } from '../api.js';
import { barChart } from '../charts.js';
import { debounce, formatValue, html, pill, render, timeAgo } from '../dom.js';

/** The default range per unit, ending now. */
const SPAN_MS = { hour: 24 * 3600e3, day: 31 * 86400e3, month: 366 * 86400e3 };

/** A Date as a datetime-local input's value (local time). @param {Date} d */
const local = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60e3).toISOString().slice(0, 16);

/** @param {string} iso @param {string} unit */
function label(iso, unit) {
  const d = new Date(iso);
  const p = (/** @type {number} */ n) => String(n).padStart(2, '0');
  if (unit === 'hour') return `${p(d.getHours())}:00`;
  if (unit === 'day') return `${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}`;
}

/** @param {any} d */
const facts = (d) => html`<dt>Power</dt><dd id="power">${d.power ?? 'not known'}${d.desired ? html` <span class="muted">(switch ${d.desired.power}: ${d.desired.status})</span>` : ''}</dd>
<dt>Now</dt><dd class="value">${formatValue(d.watts, 'W')} <span class="muted">${timeAgo(d.wattsAt)}</span></dd>`;

/** @param {HTMLElement} root @param {import('../app.js').Ctx} ctx @param {string[]} params */
export function mount(root, ctx, [wanted]) {
  render(root, html`<h1>Energy</h1><div class="split"><nav id="plugs" class="list"></nav><div id="plug"></div></div>`);
  const $ = (/** @type {string} */ s) => /** @type {HTMLElement} */ (root.querySelector(s));
  let unit = 'hour';
  let to = new Date(Math.ceil(Date.now() / 3600e3) * 3600e3);
  let from = new Date(to.getTime() - SPAN_MS.hour);
  const id = () => wanted ?? ctx.model.all('daemon')[0]?.id;

  const drawList = () => {
    const plugs = ctx.model.all('daemon');
    render($('#plugs'), plugs.length
      ? html`${plugs.map((d) => html`<a href="#/energy/${encodeURIComponent(d.id)}" class="${d.id === id() ? 'active' : ''}">${pill(d.status)} ${d.id} <span class="muted">${d.power ?? ''}</span></a>`)}`
      : html`<p class="muted">No plugs${ctx.can('admin') ? '' : ' of yours'}.</p>`);
  };

  const drawPlug = () => {
    const d = id() === undefined ? undefined : ctx.model.get(`daemon/${id()}`);
    if (!d) return render($('#plug'), html`<p class="muted">${id() ? `No plug ${id()} (or not yours).` : ''}</p>`);
    render($('#plug'), html`<h2>${pill(d.status)} Plug ${d.id} <span class="muted">owner ${d.owner ?? '—'}</span></h2>
<dl class="facts" id="power-facts">${facts(d)}</dl>
${ctx.can('operator') ? html`<p data-control="power"><button type="button" data-control="power-on">Switch on</button> <button type="button" data-control="power-off">Switch off</button> <output id="power-result" role="status"></output></p>` : ''}
<form id="range" class="inline">
  <label>Per <select name="unit">${['hour', 'day', 'month'].map((u) => html`<option ${u === unit ? 'selected' : ''}>${u}</option>`)}</select></label>
  <label>From <input type="datetime-local" name="from" value="${local(from)}"></label>
  <label>To <input type="datetime-local" name="to" value="${local(to)}"></label>
  <button>Show</button>
</form>
<div id="energy"></div>`);
    loadEnergy();
  };

  const loadEnergy = async () => {
    const plug = id();
    if (!plug || !root.querySelector('#energy')) return;
    try {
      const r = await get(`/v1/daemons/${encodeURIComponent(plug)}/energy?unit=${unit}&from=${from.toISOString()}&to=${to.toISOString()}`);
      const bars = r.buckets.map((/** @type {any} */ b) => ({ label: label(b.start, unit), value: b.kwh, title: `${new Date(b.start).toLocaleString()} – ${new Date(b.end).toLocaleString()}` }));
      render($('#energy'), html`<p>Total <b id="total-kwh">${formatValue(r.totalKwh, 'kWh')}</b> <span class="muted">per ${unit}, ${from.toLocaleString()} – ${to.toLocaleString()}</span></p>
${barChart({ bars, unit: 'kWh', label: `kWh per ${unit} for ${plug}` })}`);
    } catch (err) {
      render($('#energy'), html`<p class="error">${err instanceof ApiError ? `${err.code}: ${err.message}` : String(err)}</p>`);
    }
  };

  root.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = /** @type {HTMLFormElement} */ (e.target);
    const v = (/** @type {string} */ n) => /** @type {HTMLInputElement} */ (f.elements.namedItem(n)).value;
    const nextUnit = v('unit');
    if (nextUnit !== unit && v('from') === local(from) && v('to') === local(to)) {
      // A new unit with the range untouched: show that unit's usual span.
      from = new Date(to.getTime() - SPAN_MS[/** @type {'hour'} */ (nextUnit)]);
    } else {
      from = new Date(v('from'));
      to = new Date(v('to'));
    }
    unit = nextUnit;
    drawPlug();
  });
  root.addEventListener('click', async (e) => {
    const c = /** @type {HTMLElement} */ (e.target).dataset?.control;
    if (c !== 'power-on' && c !== 'power-off') return;
    const out = $('#power-result');
    try {
      const r = await request('POST', `/v1/daemons/${encodeURIComponent(id() ?? '')}/power`, { on: c === 'power-on' });
      out.className = 'ok';
      out.textContent = `asked to switch ${r.requested}`;
    } catch (err) {
      out.className = 'error';
      out.textContent = err instanceof ApiError ? `${err.code}: ${err.message}` : String(err);
    }
  });

  const refreshEnergy = debounce(loadEnergy, 1000);
  const offModel = ctx.model.subscribe((e) => {
    if (e.structural || e.keys.some((k) => k.startsWith('daemon/'))) drawList();
    if (e.reset || e.keys.includes(`daemon/${id()}`)) {
      const factsEl = root.querySelector('#power-facts');
      const d = ctx.model.get(`daemon/${id()}`);
      if (e.reset || !factsEl || !d) drawPlug();
      else {
        // Keep the form (and what is being typed in it): redraw only the facts.
        render(factsEl, facts(d));
        refreshEnergy();
      }
    }
  });
  drawList();
  drawPlug();
  return () => offModel();
}

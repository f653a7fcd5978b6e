// Device: a sensor's recent readings as a chart; an actuator's desired vs reported value, and a
// control to set it. Setting a sensor is refused by the control plane; its message is shown.

import { ApiError, command, get } from '../api.js';
import { lineChart } from '../charts.js';
import { formatValue, html, parseValue, perFrame, pill, render, timeAgo } from '../dom.js';
import { desiredText } from './systemRows.js';

const HISTORY = 500;

/** @param {unknown} v */
const numeric = (v) => (typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : undefined);

/** @param {HTMLElement} root @param {import('../app.js').Ctx} ctx @param {string[]} params */
export function mount(root, ctx, [id = '']) {
  const key = `sensor/${id}`;
  const stream = `sensor-${id}`;
  render(root, html`<p><a href="#/system">← System</a> · <a href="#/timeline/sensor/${encodeURIComponent(id)}">timeline</a></p>
<div id="head"></div><div id="control"></div><h2>Recent values</h2><div id="chart"></div><table class="rows" id="recent"></table>`);
  const $ = (/** @type {string} */ s) => /** @type {HTMLElement} */ (root.querySelector(s));
  /** Values from the actor's own events: readings (sensors), reports and requests (actuators). */
  /** @type {{ readings: Array<{t: number, v: unknown}>, reported: Array<{t: number, v: unknown}>, requested: Array<{t: number, v: unknown}> }} */
  let history = { readings: [], reported: [], requested: [] };

  /** @param {{ type: string, data: any, metadata?: any }} e */
  const take = (e) => {
    const t = Date.parse(e.data?.at ?? e.data?.requestedAt ?? e.metadata?.timestamp);
    if (e.type === 'ReadingRecorded') history.readings.push({ t, v: e.data.value });
    else if (e.type === 'ActuatorValueReported') history.reported.push({ t, v: e.data.value });
    else if (e.type === 'ValueRequested') history.requested.push({ t, v: e.data.value });
  };

  const drawHead = () => {
    const d = ctx.model.get(key);
    if (!d) return render($('#head'), html`<h1>Device ${id}</h1><p class="muted">Not in the system view (not attached yet, or no such device).</p>`);
    const actuator = d.role === 'actuator';
    render($('#head'), html`<h1>${pill(d.status)} ${d.id} <span class="muted">${d.type}${actuator ? ' (actuator)' : ' (sensor)'}</span></h1>
<dl class="facts">
  <dt>Parent</dt><dd>${d.parent}</dd>
  <dt>${actuator ? 'Reported' : 'Last value'}</dt><dd class="value" id="value">${formatValue(d.value, d.unit)} <span class="muted">${timeAgo(d.valueAt)}</span></dd>
  ${actuator ? html`<dt>Desired</dt><dd id="desired">${d.desired ? html`${desiredText(d.desired)} <span class="muted">requested ${timeAgo(d.desired.requestedAt)}</span>` : '—'}</dd>` : ''}
  <dt>Last seen</dt><dd>${timeAgo(d.lastSeen)}</dd>
</dl>`);
  };

  const drawControl = () => {
    if (!ctx.can('operator')) return render($('#control'), html``);
    const d = ctx.model.get(key);
    render($('#control'), html`<form class="inline" id="set" data-control="set-value">
<label>Set value <input name="value" required autocomplete="off" placeholder="e.g. 1, 21.5, true"></label> <button>Set</button>
${d?.role === 'sensor' ? html`<span class="muted">(a sensor is read-only: the control plane will refuse)</span>` : ''}
<output id="set-result" role="status"></output></form>`);
  };

  const drawChart = perFrame(() => {
    const d = ctx.model.get(key);
    const points = (/** @type {Array<{t: number, v: unknown}>} */ list) => list.flatMap((p) => (numeric(p.v) === undefined ? [] : [{ t: p.t, v: /** @type {number} */ (numeric(p.v)) }]));
    const series =
      d?.role === 'actuator'
        ? [
            { name: 'desired', cls: 's2', step: true, points: points(history.requested) },
            { name: 'reported', cls: 's1', step: true, points: points(history.reported) },
          ]
        : [{ name: 'readings', cls: 's1', points: points(history.readings) }];
    render($('#chart'), lineChart({ series, unit: d?.unit ?? '', label: `recent values of ${id}` }));
    const recent = [...history.readings.map((p) => ({ ...p, what: 'reading' })), ...history.reported.map((p) => ({ ...p, what: 'reported' })), ...history.requested.map((p) => ({ ...p, what: 'desired' }))]
      .sort((a, b) => b.t - a.t)
      .slice(0, 20);
    render($('#recent'), html`<thead><tr><th>When</th><th>What</th><th>Value</th></tr></thead><tbody>${recent.map(
      (p) => html`<tr><td>${timeAgo(new Date(p.t).toISOString())}</td><td>${p.what}</td><td class="value">${formatValue(p.v, d?.unit)}</td></tr>`,
    )}</tbody>`);
  });

  const loadHistory = async () => {
    try {
      const page = await get(`/v1/actors/sensor/${encodeURIComponent(id)}/events?direction=backwards&limit=${HISTORY}`);
      history = { readings: [], reported: [], requested: [] };
      page.events.reverse().forEach(take);
      drawChart();
    } catch (err) {
      render($('#chart'), html`<p class="muted">${err instanceof ApiError && err.status === 404 ? 'No events for this device.' : String(err)}</p>`);
    }
  };

  root.addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = /** @type {HTMLFormElement} */ (e.target);
    const out = /** @type {HTMLElement} */ (form.querySelector('output'));
    const value = parseValue(/** @type {HTMLInputElement} */ (form.elements.namedItem('value')).value);
    out.className = '';
    out.textContent = 'sending…';
    try {
      const answer = await command('sensor', id, 'SetValue', { value });
      out.className = 'ok';
      out.textContent = `requested ${formatValue(value)} (revision ${answer.revision}); waiting for the board to confirm`;
    } catch (err) {
      out.className = 'error';
      out.textContent = err instanceof ApiError ? `${err.code}: ${err.message}` : String(err);
    }
  });

  const offModel = ctx.model.subscribe((e) => {
    if (e.reset || e.keys.includes(key)) {
      drawHead();
      if (e.reset) drawControl();
    }
  });
  const offEvents = ctx.live.onEvent((e) => {
    if (e.stream !== stream) return;
    take(e);
    for (const list of Object.values(history)) if (list.length > HISTORY) list.shift();
    drawChart();
  });
  const offReconnect = ctx.live.onReconnect(loadHistory);
  drawHead();
  drawControl();
  loadHistory();
  return () => {
    offModel();
    offEvents();
    offReconnect();
  };
}

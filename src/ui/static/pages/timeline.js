// Timeline: any actor's events with a slider. Moving it shows the state at that revision (the
// time-travel route), the event that produced it and the diff to the state before it.

import { ApiError, get } from '../api.js';
import { brief, diff } from '../diff.js';
import { html, render, timeAgo } from '../dom.js';

const PAGE = 1000;
const MAX_EVENTS = 20_000;

/** @param {HTMLElement} root @param {import('../app.js').Ctx} ctx @param {string[]} params */
export function mount(root, ctx, [kind, id]) {
  const address = kind && id ? `${kind}/${id}` : '';
  const known = ['interactions/default', ...['reactor', 'node', 'gateway', 'sensor', 'daemon', 'block'].flatMap((k) => ctx.model.all(k).map((d) => `${k}/${d.id}`))];
  render(root, html`<h1>Timeline</h1>
<form id="pick" class="inline"><label>Actor <input name="address" list="actors" value="${address}" placeholder="kind/id, e.g. sensor/t1" required pattern="[a-z][a-z0-9_]*/.+"></label> <button>Open</button></form>
<datalist id="actors">${known.slice(0, 2000).map((a) => html`<option value="${a}">`)}</datalist>
<div id="tl">${address ? html`<p class="muted">Loading ${address}…</p>` : html`<p class="muted">Pick an actor to replay its events.</p>`}</div>`);
  const $ = (/** @type {string} */ s) => /** @type {HTMLElement} */ (root.querySelector(s));
  root.querySelector('#pick')?.addEventListener('submit', (e) => {
    e.preventDefault();
    const [k = '', ...rest] = /** @type {HTMLInputElement} */ ($('#pick input')).value.trim().split('/');
    location.hash = `#/timeline/${k}/${encodeURIComponent(rest.join('/'))}`;
  });
  if (!kind || !id) return () => {};

  const base = `/v1/actors/${kind}/${encodeURIComponent(id)}`;
  /** @type {any[]} */
  let events = [];
  /** @type {Map<number, Promise<any>>} */
  const states = new Map();
  let shown = -1;
  const stateAt = (/** @type {number} */ r) => states.get(r) ?? states.set(r, get(`${base}/state?revision=${r}`)).get(r);

  const drawFrame = () => {
    render($('#tl'), html`<p><b id="count">${events.length}</b> events · revision <b id="rev">–</b> of <span id="max">${events.length - 1}</span></p>
<input type="range" id="slider" min="0" max="${events.length - 1}" value="${events.length - 1}" aria-label="revision">
<div class="split even">
  <div><h3>Event</h3><div id="event"></div><h3>Diff to the previous state</h3><div id="diff"></div></div>
  <div><h3>State at this revision</h3><pre class="json" id="state"></pre></div>
</div>
<h3>Events around it</h3><ol class="events" id="events"></ol>`);
    $('#slider').addEventListener('input', () => show(Number(/** @type {HTMLInputElement} */ ($('#slider')).value)));
  };

  /** @param {number} r */
  const show = async (r) => {
    shown = r;
    $('#rev').textContent = String(r);
    drawEvents(r);
    try {
      const [now, before] = await Promise.all([stateAt(r), r > 0 ? stateAt(r - 1) : Promise.resolve({ state: undefined })]);
      if (shown !== r) return; // the slider has moved on
      const e = now.event;
      render($('#event'), e ? html`<p><b class="event-type">${e.type}</b> · revision ${e.revision} · position ${e.position} · ${timeAgo(e.metadata?.timestamp)}</p><pre class="json">${JSON.stringify(e.data, null, 2)}</pre>` : html`<p class="muted">—</p>`);
      render($('#state'), html`${JSON.stringify(now.state, null, 2)}`);
      /** @type {import('../diff.js').Difference[]} */
      const changes = before.state === undefined ? [{ path: '(state)', op: 'added', after: now.state }] : diff(before.state, now.state);
      render($('#diff'), changes.length
        ? html`<table class="compact diff"><tbody>${changes.map((c) => html`<tr class="${c.op}"><td><code>${c.path}</code></td><td class="before">${c.op === 'added' ? '' : brief(c.before)}</td><td class="after">${c.op === 'removed' ? '' : brief(c.after)}</td></tr>`)}</tbody></table>`
        : html`<p class="muted">No change to the state.</p>`);
    } catch (err) {
      states.delete(r);
      render($('#event'), html`<p class="error">${err instanceof ApiError ? `${err.code}: ${err.message}` : String(err)}</p>`);
    }
  };

  /** @param {number} r */
  const drawEvents = (r) => {
    const from = Math.max(0, r - 8);
    render($('#events'), html`${events.slice(from, r + 9).map((e) => html`<li value="${e.revision}" class="${e.revision === r ? 'current' : ''}"><button type="button" class="link" data-revision="${e.revision}">${e.type}</button> <span class="muted">${e.metadata?.timestamp ?? ''}</span></li>`)}`);
  };
  root.addEventListener('click', (e) => {
    const r = /** @type {HTMLElement} */ (e.target).dataset?.revision;
    if (r === undefined) return;
    /** @type {HTMLInputElement} */ ($('#slider')).value = r;
    show(Number(r));
  });

  const load = async () => {
    events = [];
    states.clear();
    try {
      for (let from = 0; events.length < MAX_EVENTS; ) {
        const page = await get(`${base}/events?from=${from}&limit=${PAGE}`);
        events.push(...page.events);
        if (page.next === null) break;
        from = page.next;
      }
    } catch (err) {
      return render($('#tl'), html`<p class="error">${err instanceof ApiError ? `${err.code}: ${err.message}` : String(err)}</p>`);
    }
    if (events.length === 0) return render($('#tl'), html`<p class="muted">${address} has no events.</p>`);
    drawFrame();
    show(events.length - 1);
  };

  // New events extend the slider; if it was at the end it follows them.
  const offEvents = ctx.live.onEvent((e) => {
    if (e.stream !== `${kind}-${id}` || !root.querySelector('#slider') || e.revision !== events.length) return;
    const slider = /** @type {HTMLInputElement} */ ($('#slider'));
    const atEnd = Number(slider.value) === events.length - 1;
    events.push(e);
    slider.max = String(events.length - 1);
    $('#count').textContent = String(events.length);
    $('#max').textContent = slider.max;
    if (atEnd) {
      slider.value = slider.max;
      show(events.length - 1);
    }
  });
  const offReconnect = ctx.live.onReconnect(load);
  load();
  return () => {
    offEvents();
    offReconnect();
  };
}

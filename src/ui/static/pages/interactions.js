// Interactions: the table, add/edit/enable/disable/delete (admins), each one's recent firings with
// latency. A conflict the API refuses (409) is shown beside the form, naming the interactions.

import { ApiError, get, request } from '../api.js';
import { debounce, html, render, timeAgo } from '../dom.js';

const OPS = ['>', '>=', '<', '<=', '==', '!='];

/** @param {HTMLElement} root @param {import('../app.js').Ctx} ctx */
export function mount(root, ctx) {
  const admin = ctx.can('admin');
  render(root, html`<h1>Interactions</h1>
<div class="split"><div id="list"><p class="muted">Loading…</p></div>${admin ? html`<aside id="editor"></aside>` : ''}</div>
<datalist id="addresses"></datalist>`);
  const $ = (/** @type {string} */ s) => /** @type {HTMLElement} */ (root.querySelector(s));
  /** @type {any[]} */
  let rows = [];
  /** @type {any} */
  let editing = null;
  /** @type {string[]} */
  let conflicting = [];
  const firingsOpen = new Set();
  /** @type {Map<string, any[]>} */
  const firings = new Map();

  const drawList = () => {
    if (rows.length === 0) return render($('#list'), html`<p class="muted">No interactions yet.</p>`);
    render($('#list'), html`<table class="rows interactions"><thead><tr><th>Id</th><th>When</th><th>Then</th><th>Enabled</th><th>Fired</th><th></th></tr></thead><tbody>${rows.map(
      (r) => html`<tr data-id="${r.id}" class="${conflicting.includes(r.id) ? 'conflicting' : ''} ${r.enabled ? '' : 'disabled'}">
<td><b>${r.id}</b></td><td>${r.when.source} ${r.when.op} ${r.when.value}</td><td>${r.then.target} = ${r.then.value}</td>
<td>${admin ? html`<label class="switch"><input type="checkbox" data-control="toggle" data-id="${r.id}" ${r.enabled ? 'checked' : ''}> ${r.enabled ? 'on' : 'off'}</label>` : r.enabled ? 'on' : 'off'}</td>
<td>${r.fired} ${r.lastFiredAt ? html`<span class="muted">(last ${timeAgo(r.lastFiredAt)})</span>` : ''}</td>
<td class="actions"><button type="button" class="link" data-action="firings" data-id="${r.id}">firings</button>
${admin ? html`<button type="button" class="link" data-control="edit" data-id="${r.id}">edit</button><button type="button" class="link danger" data-control="delete" data-id="${r.id}">delete</button>` : ''}</td></tr>
${firingsOpen.has(r.id) ? html`<tr class="firings"><td colspan="6">${firingsTable(firings.get(r.id))}</td></tr>` : ''}`,
    )}</tbody></table>`);
  };

  /** @param {any[] | undefined} list */
  const firingsTable = (list) => {
    if (!list) return html`<span class="muted">Loading…</span>`;
    if (list.length === 0) return html`<span class="muted">Not fired yet.</span>`;
    return html`<table class="compact"><thead><tr><th>#</th><th>Reading</th><th>At</th><th>Actuated</th><th>Latency</th></tr></thead><tbody>${list.slice(0, 20).map(
      (f) => html`<tr><td>${f.seq}</td><td>${f.readingValue}</td><td>${timeAgo(f.readingAt)}</td><td>${timeAgo(f.actuatedAt)}</td><td class="value">${Math.round(f.latencyMs)} ms</td></tr>`,
    )}</tbody></table>`;
  };

  /** @param {{ code?: string, message?: string, details?: any } | null} [problem] */
  const drawEditor = (problem = null) => {
    if (!admin) return;
    const r = editing ?? { id: '', when: { source: 'sensor/', op: '>', value: 0 }, then: { target: 'sensor/', value: 1 }, enabled: true };
    const conflicts = problem?.details?.conflicts ?? [];
    render($('#editor'), html`<form id="interaction-form" data-control="interaction-form">
<h2>${editing ? `Edit ${editing.id}` : 'Add an interaction'}</h2>
<label>Id <input name="id" required value="${r.id}" ${editing ? 'readonly' : ''} pattern="[A-Za-z0-9_\\-:@]{1,128}"></label>
<fieldset><legend>When</legend>
  <input name="source" required list="addresses" value="${r.when.source}" aria-label="source">
  <select name="op" aria-label="comparison">${OPS.map((op) => html`<option ${op === r.when.op ? 'selected' : ''}>${op}</option>`)}</select>
  <input name="threshold" type="number" step="any" required value="${r.when.value}" aria-label="threshold">
</fieldset>
<fieldset><legend>Then</legend>
  <input name="target" required list="addresses" value="${r.then.target}" aria-label="target"> =
  <input name="value" type="number" step="any" required value="${r.then.value}" aria-label="value">
</fieldset>
<label><input type="checkbox" name="enabled" ${r.enabled ? 'checked' : ''}> enabled</label>
<label title="accept a flicker or a cycle anyway (never a read-only target)"><input type="checkbox" name="force"> force</label>
<p><button>${editing ? 'Save' : 'Add'}</button> ${editing ? html`<button type="button" data-control="cancel">Cancel</button>` : ''}</p>
${problem ? html`<div class="problem ${problem.code === 'ERR_INTERACTION_CONFLICT' ? 'conflict' : ''}" role="alert">
  <b>${problem.code}</b>: ${problem.message}
  ${conflicts.length ? html`<ul>${conflicts.map((/** @type {any} */ c) => html`<li><b>${c.kind}</b> between ${c.interactions.map((/** @type {string} */ i, /** @type {number} */ n) => html`${n ? ', ' : ''}<code>${i}</code>`)}: ${c.reason}</li>`)}</ul>` : ''}
</div>` : ''}
</form>`);
  };

  const load = async () => {
    try {
      rows = (await get('/v1/interactions')).interactions;
    } catch (err) {
      return render($('#list'), html`<p class="error">${String(err)}</p>`);
    }
    await Promise.all([...firingsOpen].map(loadFirings));
    drawList();
  };
  /** @param {string} id */
  const loadFirings = async (id) => {
    try {
      firings.set(id, (await get(`/v1/interactions/${encodeURIComponent(id)}/firings?limit=20`)).firings);
    } catch {
      firings.set(id, []);
    }
  };

  const addresses = () => {
    render($('#addresses'), html`${ctx.model.all('sensor').map((d) => html`<option value="sensor/${d.id}">${d.role}</option>`)}`);
  };

  root.addEventListener('click', async (e) => {
    const el = /** @type {HTMLElement} */ (e.target);
    const id = el.dataset?.id ?? '';
    const action = el.dataset?.action ?? el.dataset?.control;
    if (action === 'firings') {
      if (firingsOpen.has(id)) firingsOpen.delete(id);
      else {
        firingsOpen.add(id);
        drawList();
        await loadFirings(id);
      }
      drawList();
    } else if (action === 'edit') {
      editing = rows.find((r) => r.id === id) ?? null;
      conflicting = [];
      drawEditor();
      drawList();
    } else if (action === 'cancel') {
      editing = null;
      conflicting = [];
      drawEditor();
      drawList();
    } else if (action === 'delete' && confirm(`Delete interaction ${id}?`)) {
      await send(() => request('DELETE', `/v1/interactions/${encodeURIComponent(id)}`));
    }
  });
  root.addEventListener('change', async (e) => {
    const el = /** @type {HTMLInputElement} */ (e.target);
    if (el.dataset?.control !== 'toggle') return;
    await send(() => request('PUT', `/v1/interactions/${encodeURIComponent(el.dataset.id ?? '')}`, { enabled: el.checked }));
  });
  root.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = /** @type {HTMLFormElement} */ (e.target);
    const v = (/** @type {string} */ n) => /** @type {HTMLInputElement} */ (f.elements.namedItem(n));
    const body = {
      when: { source: v('source').value.trim(), op: v('op').value, value: Number(v('threshold').value) },
      then: { target: v('target').value.trim(), value: Number(v('value').value) },
      enabled: v('enabled').checked,
      ...(v('force').checked ? { force: true } : {}),
    };
    const ok = await send(() => (editing ? request('PUT', `/v1/interactions/${encodeURIComponent(editing.id)}`, body) : request('POST', '/v1/interactions', { id: v('id').value.trim(), ...body })));
    if (ok) {
      editing = null;
      drawEditor();
    }
  });

  /** Runs a write; a refusal is shown by the form (and the rows it names are marked). @param {() => Promise<unknown>} write */
  const send = async (write) => {
    try {
      await write();
      conflicting = [];
      await load();
      return true;
    } catch (err) {
      const problem = err instanceof ApiError ? err : { code: 'ERR_NETWORK', message: String(err), details: undefined };
      conflicting = (problem.details?.conflicts ?? []).flatMap((/** @type {any} */ c) => c.interactions);
      if (admin) drawEditor(problem);
      await load();
      return false;
    }
  };

  // Another person's change, or a firing, arrives as an event of the interactions actor.
  const reload = debounce(load, 300);
  const offEvents = ctx.live.onEvent((e) => {
    if (e.stream.startsWith('interactions-')) reload();
  });
  const offModel = ctx.model.subscribe((e) => e.structural && addresses());
  const offReconnect = ctx.live.onReconnect(load);
  addresses();
  drawEditor();
  load();
  return () => {
    offEvents();
    offModel();
    offReconnect();
  };
}

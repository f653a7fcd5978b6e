// Gateways: dependent devices, firmware current/target, update progress and failures, and the
// gateway process's Running/Paused switch (edge-node-manager's routes).

import { ApiError, request } from '../api.js';
import { html, perFrame, pill, render, timeAgo } from '../dom.js';

/** @param {HTMLElement} root @param {import('../app.js').Ctx} ctx */
export function mount(root, ctx) {
  const operator = ctx.can('operator');
  const admin = ctx.can('admin');
  /** Results of the last write, by gateway, kept across redraws. */
  /** @type {Map<string, { ok: boolean, text: string }>} */
  const results = new Map();

  /** @param {string} gw @param {any} d */
  const dependent = (gw, d) => {
    const fw = d.firmware ?? {};
    const u = fw.update;
    return html`<tr data-key="dependent/${gw}/${d.localId}"><td>${pill(d.status)}</td><td>${d.localId}${d.provisioned?.name ? html` <span class="muted">${d.provisioned.name}</span>` : ''}</td><td>${d.boardType}</td>
<td>${fw.current ?? '—'}</td><td>${fw.target ?? '—'}</td>
<td>${u ? html`<span class="update ${u.status}">${u.status}</span>${u.attempt ? ` attempt ${u.attempt}/${u.maxAttempts}` : ''}
  ${u.progress !== null && u.progress !== undefined ? html`<progress max="100" value="${u.progress}">${u.progress}%</progress> ${u.progress}%` : ''}
  ${u.lastError ? html`<div class="error">${u.lastError}</div>` : ''}` : '—'}</td>
<td>${admin ? html`<form class="inline" data-control="firmware" data-gw="${gw}" data-uuid="${d.localId}"><input name="commit" placeholder="commit" required size="10"><button>Update</button></form>` : ''}</td></tr>`;
  };

  // A redraw while someone types a commit would wipe it: wait until they leave the field.
  let deferred = false;
  root.addEventListener('focusout', () => deferred && ((deferred = false), draw()));
  const draw = perFrame(() => {
    if (root.contains(document.activeElement) && document.activeElement?.tagName === 'INPUT') return void (deferred = true);
    const t = ctx.model.tree();
    render(root, html`<h1>Gateways</h1>
${t.gateways.length === 0 ? html`<p class="muted">No gateways yet.</p>` : ''}
${t.gateways.map((/** @type {any} */ g) => {
  const gw = ctx.model.get(g.key);
  if (!gw) return '';
  const result = results.get(gw.id);
  return html`<section class="card" data-gateway="${gw.id}">
  <h2>${pill(gw.status)} Gateway ${gw.id} <span class="muted">last seen ${timeAgo(gw.lastSeen)}</span></h2>
  <p>Process: <b class="process-status">${gw.currentStatus ?? 'not reported'}</b> (target ${gw.targetStatus})
  ${operator ? html`<span data-control="process"><button type="button" data-control="status" data-gw="${gw.id}" data-status="Running" ${gw.targetStatus === 'Running' ? 'disabled' : ''}>Run</button><button type="button" data-control="status" data-gw="${gw.id}" data-status="Paused" ${gw.targetStatus === 'Paused' ? 'disabled' : ''}>Pause</button></span>` : ''}
  ${result ? html`<output class="${result.ok ? 'ok' : 'error'}">${result.text}</output>` : ''}</p>
  <table class="rows"><thead><tr><th>Status</th><th>Device</th><th>Board</th><th>Firmware</th><th>Target</th><th>Update</th><th></th></tr></thead>
  <tbody>${g.dependents.length ? g.dependents.map((/** @type {string} */ k) => dependent(gw.id, ctx.model.get(k))) : html`<tr><td colspan="7" class="muted">No dependent devices.</td></tr>`}</tbody></table>
</section>`;
})}`);
  });

  /** @param {string} gw @param {() => Promise<unknown>} write @param {string} done */
  const send = async (gw, write, done) => {
    try {
      await write();
      results.set(gw, { ok: true, text: done });
    } catch (err) {
      results.set(gw, { ok: false, text: err instanceof ApiError ? `${err.code}: ${err.message}` : String(err) });
    }
    draw();
  };
  root.addEventListener('click', (e) => {
    const el = /** @type {HTMLElement} */ (e.target);
    if (el.dataset?.control !== 'status') return;
    const { gw = '', status } = el.dataset;
    send(gw, () => request('PUT', `/v1/gateways/${encodeURIComponent(gw)}/enm/status`, { targetStatus: status }), `target ${status}`);
  });
  root.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = /** @type {HTMLFormElement} */ (e.target);
    const { gw = '', uuid = '' } = f.dataset;
    const commit = /** @type {HTMLInputElement} */ (f.elements.namedItem('commit')).value.trim();
    send(gw, () => request('PUT', `/v1/gateways/${encodeURIComponent(gw)}/devices/${encodeURIComponent(uuid)}/firmware`, { commit }), `firmware ${commit} set as ${uuid}'s target`);
  });
  const off = ctx.model.subscribe((e) => (e.reset || e.structural || e.keys.some((k) => k.startsWith('gateway/') || k.startsWith('dependent/'))) && draw());
  draw();
  return off;
}

// Blocks: Brewblox block sync per routing key — the master, its slaves with their translation
// tables, what each slave last mirrored (its data) and the lag from the master's write to it.

import { html, perFrame, render, timeAgo } from '../dom.js';

/** @param {unknown} data */
const json = (data) => html`<pre class="json">${JSON.stringify(data, null, 2)}</pre>`;

/** @param {any} slave */
function lagOf(slave) {
  const s = slave.lastSync;
  return s ? Date.parse(s.at) - Date.parse(s.masterAt) : null;
}

/** @param {HTMLElement} root @param {import('../app.js').Ctx} ctx */
export function mount(root, ctx) {
  const draw = perFrame(() => {
    const blocks = ctx.model.all('block');
    /** @type {Map<string, { master: any, slaves: any[] }>} */
    const byKey = new Map();
    const slot = (/** @type {string} */ k) => {
      let s = byKey.get(k);
      if (!s) byKey.set(k, (s = { master: null, slaves: [] }));
      return s;
    };
    for (const b of blocks) {
      if (b.role === 'master') slot(b.key).master = b;
      else if (b.role === 'slave') slot(b.key).slaves.push(b);
    }
    const unsynced = blocks.filter((b) => b.role === null);
    render(root, html`<h1>Blocks</h1>
${byKey.size === 0 ? html`<p class="muted">No block syncs yet.</p>` : ''}
${[...byKey].map(([key, { master, slaves }]) => html`<section class="card" data-sync-key="${key}">
  <h2>${key}</h2>
  ${master ? html`<p>Master <b>${master.id}</b>, every ${master.interval} s</p>${json(master.data)}` : html`<p class="muted">No master for this key yet.</p>`}
  <h3>Slaves (${slaves.length})</h3>
  ${slaves.length === 0 ? html`<p class="muted">None.</p>` : ''}
  ${slaves.map((s) => html`<div class="slave" data-block="${s.id}">
    <p><b>${s.id}</b> · ${s.lastSync ? html`mirrored revision ${s.lastSync.masterRevision} ${timeAgo(s.lastSync.at)} · lag <b class="lag">${lagOf(s)} ms</b>` : html`<span class="muted">not synced yet</span>`}</p>
    <table class="compact translations"><thead><tr><th>Master path</th><th>Slave path</th></tr></thead><tbody>${
      Object.keys(s.translations ?? {}).length
        ? Object.entries(s.translations).map(([from, to]) => html`<tr><td><code>${from}</code></td><td><code>${to}</code></td></tr>`)
        : html`<tr><td colspan="2" class="muted">no table: the whole data is mirrored</td></tr>`
    }</tbody></table>
    <details open><summary>Last mirrored data</summary>${json(s.data)}</details>
  </div>`)}
</section>`)}
${unsynced.length ? html`<h2>Other blocks</h2><table class="rows"><thead><tr><th>Block</th><th>Data</th></tr></thead><tbody>${unsynced.map((b) => html`<tr><td><a href="#/timeline/block/${encodeURIComponent(b.id)}">${b.id}</a></td><td><code>${JSON.stringify(b.data)}</code></td></tr>`)}</tbody></table>` : ''}`);
  });
  const off = ctx.model.subscribe((e) => (e.reset || e.structural || e.keys.some((k) => k.startsWith('block/'))) && draw());
  draw();
  return off;
}

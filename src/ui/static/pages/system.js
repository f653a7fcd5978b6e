// System: nodes, reactors and gateways with the devices under them, plugs and blocks, each with
// status, last value and last seen, kept live by the stream; and who leads the cluster.
// A delta to one entity redraws its row only; something added, removed or moved redraws the tree.

import { append, html, perFrame, render, replace } from '../dom.js';
import { busDeviceRow, blockRow, daemonRow, dependentRow, groupHead, sensorRow, HEADS } from './systemRows.js';
import { clusterLine } from './cluster.js';

/** @param {HTMLElement} root @param {import('../app.js').Ctx} ctx */
export function mount(root, ctx) {
  const { model } = ctx;
  render(root, html`<h1>System</h1>
<p class="cluster" id="cluster">Cluster: …</p>
<div class="toolbar"><input id="filter" type="search" placeholder="Filter: id, type, status…" aria-label="Filter devices"><span id="counts" class="muted"></span></div>
<div id="tree"><p class="muted">Loading the system view…</p></div>`);
  const tree = /** @type {HTMLElement} */ (root.querySelector('#tree'));
  const filterInput = /** @type {HTMLInputElement} */ (root.querySelector('#filter'));
  const counts = /** @type {HTMLElement} */ (root.querySelector('#counts'));
  /** @type {Map<string, Element>} */
  let rows = new Map();
  let filter = '';
  /** Bus-device lists the person opened stay open across redraws. */
  const opened = new Set();

  /** @param {string} key */
  const matches = (key) => {
    if (!filter) return true;
    const d = model.get(key);
    return !!d && `${key} ${d.type ?? ''} ${d.status ?? ''} ${d.name ?? ''} ${d.role ?? ''}`.toLowerCase().includes(filter);
  };

  /** @param {string} key */
  const rowFor = (key) => {
    const d = model.get(key);
    const kind = key.slice(0, key.indexOf('/'));
    if (!d) return html``;
    switch (kind) {
      case 'sensor':
        return sensorRow(key, d);
      case 'busDevice':
        return busDeviceRow(key, d);
      case 'dependent':
        return dependentRow(key, d);
      case 'daemon':
        return daemonRow(key, d);
      case 'block':
        return blockRow(key, d);
      default:
        return groupHead(kind, key, d);
    }
  };

  /** @param {string[]} keys @param {'sensor' | 'busDevice' | 'dependent' | 'daemon' | 'block'} kind */
  const table = (keys, kind) => {
    const shown = keys.filter(matches);
    return shown.length ? html`<table class="rows ${kind}"><thead>${HEADS[kind]}</thead><tbody>${shown.map(rowFor)}</tbody></table>` : '';
  };

  /** @param {string} kind @param {{ key: string, devices: string[], busDevices?: string[], dependents?: string[] }} g */
  const group = (kind, g) => {
    const inner = [...g.devices, ...(g.busDevices ?? []), ...(g.dependents ?? [])];
    if (filter && !matches(g.key) && !inner.some(matches)) return '';
    const bus = g.busDevices?.length
      ? html`<details data-details="${g.key}" ${opened.has(g.key) ? 'open' : ''}><summary>Bus devices (${g.busDevices.length})</summary>${table(g.busDevices, 'busDevice')}</details>`
      : '';
    const deps = g.dependents?.length ? html`<h4>Dependent devices</h4>${table(g.dependents, 'dependent')}` : '';
    return html`<div class="group">${groupHead(kind, g.key, /** @type {any} */ (model.get(g.key)))}${table(g.devices, 'sensor')}${deps}${bus}</div>`;
  };

  /**
   * The tree as blocks in page order, each with the rows it holds: a section's heading, then its
   * groups (or its one table). Markup is made when a block is drawn, from the model as it is then.
   * @returns {Array<{ rows: number, draw: () => unknown }>}
   */
  const blocks = () => {
    const t = model.tree();
    /** @type {Array<{ rows: number, draw: () => unknown }>} */
    const out = [];
    /** @param {string} title @param {number} n */
    const heading = (title, n) => n && out.push({ rows: 1, draw: () => html`<h2>${title} <span class="muted">(${n})</span></h2>` });
    for (const [title, kind, list] of /** @type {const} */ ([['Reactors', 'reactor', t.reactors], ['Nodes', 'node', t.nodes], ['Gateways', 'gateway', t.gateways]])) {
      heading(title, list.length);
      for (const g of list) out.push({ rows: 1 + g.devices.length + g.dependents.length, draw: () => group(kind, g) });
    }
    for (const [title, kind, list] of /** @type {const} */ ([['Plugs (daemons)', 'daemon', t.daemons], ['Blocks', 'block', t.blocks], ['Devices whose parent is not known yet', 'sensor', t.orphans]])) {
      heading(title, list.length);
      if (list.length) out.push({ rows: list.length, draw: () => table(list, kind) });
    }
    return out;
  };

  // The first screenful is drawn at once and the rest right after it has been painted: with
  // 1,000 devices a person sees the page in a fraction of the time the whole tree takes.
  const FIRST_ROWS = 150;
  let generation = 0;
  let restPending = false;
  const indexRows = () => {
    rows = new Map([...tree.querySelectorAll('[data-key]')].map((el) => [/** @type {HTMLElement} */ (el).dataset.key ?? '', el]));
  };
  /** User Timing marks for whoever measures the page (its test does); each is set once per load. @param {string} name */
  const markPainted = (name) => {
    if (performance.getEntriesByName(`edgeplane:${name}`).length) return;
    requestAnimationFrame(() => setTimeout(() => performance.mark(`edgeplane:${name}`)));
  };

  const drawAll = () => {
    if (!model.loaded) return;
    const g = ++generation;
    const all = blocks();
    let first = 0;
    for (let n = 0; first < all.length && n < FIRST_ROWS; first++) n += all[first]?.rows ?? 0;
    render(tree, all.length ? html`${all.slice(0, first).map((b) => b.draw())}` : html`<p class="muted">Nothing has reported yet.</p>`);
    indexRows();
    drawCounts();
    markPainted('system-painted');
    restPending = first < all.length;
    if (!restPending) return markPainted('system-complete');
    requestAnimationFrame(() =>
      setTimeout(() => {
        if (g !== generation) return;
        append(tree, html`${all.slice(first).map((b) => b.draw())}`);
        restPending = false;
        indexRows();
        markPainted('system-complete');
      }),
    );
  };

  const drawCounts = () => {
    const n = { ONLINE: 0, OFFLINE: 0, UNKNOWN: 0 };
    for (const d of model.all('sensor')) n[/** @type {'ONLINE'} */ (d.status)] = (n[/** @type {'ONLINE'} */ (d.status)] ?? 0) + 1;
    counts.textContent = `devices: ${n.ONLINE} online · ${n.OFFLINE} offline · ${n.UNKNOWN} unknown`;
  };

  // Deltas between frames are drawn together: one redraw of each changed row per frame.
  const changed = new Set();
  let full = true;
  const flush = perFrame(() => {
    if (full) {
      full = false;
      changed.clear();
      return drawAll();
    }
    for (const key of changed) {
      const el = rows.get(key);
      // Not drawn yet (filtered out, or below the first screenful): it is drawn fresh when it is.
      if (!el && (restPending || !matches(key))) continue;
      if (!el || !matches(key)) return (changed.clear(), drawAll());
      const next = replace(el, rowFor(key));
      next.classList.add('flash');
      rows.set(key, next);
    }
    changed.clear();
    drawCounts();
  });
  const unsubscribe = model.subscribe((e) => {
    if (e.structural) full = true;
    else e.keys.forEach((k) => changed.add(k));
    flush();
  });
  flush();

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  filterInput.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      filter = filterInput.value.trim().toLowerCase();
      full = true;
      flush();
    }, 150);
  });
  tree.addEventListener('toggle', (e) => {
    const el = /** @type {HTMLElement} */ (e.target);
    const key = el.dataset?.details;
    if (key) (/** @type {HTMLDetailsElement} */ (el).open ? opened.add(key) : opened.delete(key));
  }, true);

  const stopCluster = clusterLine(/** @type {HTMLElement} */ (root.querySelector('#cluster')));
  return () => {
    unsubscribe();
    stopCluster();
    clearTimeout(timer);
  };
}

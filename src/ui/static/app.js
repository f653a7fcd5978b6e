// The dashboard: signs in, keeps one live connection, and routes `#/<page>/<params>` to a page.
// Every page mounts into a fresh element and returns its cleanup, so nothing outlives it.

import { ApiError, detectRole, getKey, setKey, whenUnauthorized } from './api.js';
import { html, refreshTimes, render } from './dom.js';
import { createLive } from './live.js';
import { createModel } from './model.js';
import * as blocks from './pages/blocks.js';
import * as device from './pages/device.js';
import * as energy from './pages/energy.js';
import * as gateways from './pages/gateways.js';
import * as interactions from './pages/interactions.js';
import { mountSignIn } from './pages/signin.js';
import * as system from './pages/system.js';
import * as timeline from './pages/timeline.js';

/** @typedef {'viewer' | 'operator' | 'admin'} Role */
/** @typedef {{ model: ReturnType<typeof createModel>, live: ReturnType<typeof createLive>, role: Role, can: (r: Role) => boolean }} Ctx */
/** @typedef {{ mount: (root: HTMLElement, ctx: Ctx, params: string[]) => () => void }} Page */

/** @type {Record<string, Page>} */
const PAGES = { system, device, interactions, energy, blocks, gateways, timeline };
const RANK = { viewer: 0, operator: 1, admin: 2 };

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const model = createModel();
const live = createLive(model);
/** @type {Ctx} */
const ctx = { model, live, role: 'viewer', can: (r) => RANK[ctx.role] >= RANK[r] };
/** @type {(() => void) | undefined} */
let unmount;
let signedIn = false;

function route() {
  if (!signedIn) return;
  const [name = 'system', ...params] = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const page = PAGES[name] ?? system;
  unmount?.();
  const root = document.createElement('div');
  root.className = `page page-${name}`;
  main.replaceChildren(root);
  unmount = page.mount(root, ctx, params);
  const section = PAGES[name] && name !== 'device' ? name : 'system';
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', /** @type {HTMLElement} */ (a).dataset.page === section);
  document.title = `${name} · edgeplane`;
}

/** @param {string} [message] */
function showSignIn(message) {
  signedIn = false;
  live.stop();
  unmount?.();
  unmount = undefined;
  setKey('');
  drawHeader();
  const root = document.createElement('div');
  main.replaceChildren(root);
  mountSignIn(root, { onSignedIn: boot, message });
}

function drawHeader() {
  render(/** @type {HTMLElement} */ (document.getElementById('who')), signedIn ? html`<span class="role ${ctx.role}" title="what this key may do">${ctx.role}</span>${getKey() ? html` <button type="button" id="signout" class="link">sign out</button>` : html` <span class="muted">(open API)</span>`}` : html``);
}

async function boot() {
  // The view loads while the key's role is found out: the first page draws as soon as both are in.
  live.start();
  try {
    ctx.role = await detectRole();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return showSignIn(getKey() ? 'This key is no longer accepted.' : undefined);
    render(main, html`<p class="error">Cannot reach the control plane: ${String(err)}. Retrying…</p>`);
    setTimeout(boot, 2000);
    return;
  }
  signedIn = true;
  document.body.dataset.role = ctx.role;
  drawHeader();
  route();
}

whenUnauthorized(() => signedIn && showSignIn('The control plane refused the key.'));
window.addEventListener('hashchange', route);
document.addEventListener('click', (e) => {
  if (/** @type {HTMLElement} */ (e.target).id === 'signout') showSignIn();
});
live.onStatus((state, detail) => {
  const el = /** @type {HTMLElement} */ (document.getElementById('conn'));
  el.className = `conn ${state}`;
  el.textContent = state === 'live' ? 'live' : state === 'offline' ? 'offline — retrying' : 'connecting…';
  el.title = detail ?? '';
  document.body.classList.toggle('is-offline', state === 'offline');
});
setInterval(() => refreshTimes(main), 5000);
boot();

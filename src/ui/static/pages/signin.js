// Sign-in: the API key is kept in this browser session only (sessionStorage), never in a cookie.

import { ApiError, detectRole, setKey } from '../api.js';
import { html, render } from '../dom.js';

/** @param {HTMLElement} root @param {{ onSignedIn: () => void, message?: string }} opts */
export function mountSignIn(root, { onSignedIn, message }) {
  render(root, html`<form id="signin" class="card narrow">
<h1>Sign in</h1>
<p class="muted">Paste an API key (from the control plane's <code>--api-keys</code> file). It stays in this browser tab's session.</p>
<label>API key <input name="key" type="password" autocomplete="current-password" required minlength="16" autofocus></label>
<p><button>Sign in</button></p>
<output role="alert" class="error">${message ?? ''}</output>
</form>`);
  const form = /** @type {HTMLFormElement} */ (root.querySelector('#signin'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const out = /** @type {HTMLElement} */ (form.querySelector('output'));
    setKey(/** @type {HTMLInputElement} */ (form.elements.namedItem('key')).value.trim());
    out.textContent = 'checking…';
    try {
      await detectRole();
      onSignedIn();
    } catch (err) {
      setKey('');
      out.textContent = err instanceof ApiError && err.status === 401 ? 'The control plane does not know this key.' : `Could not reach the control plane: ${String(err)}`;
    }
  });
}

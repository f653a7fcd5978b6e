// HTML as strings with every interpolation escaped: a device id or a block's data can never
// become markup. `html` returns a Safe; nest Safes freely, arrays are joined.

const SAFE = Symbol('safe');

/** @typedef {{ [SAFE]: string, toString(): string }} Safe */

/** @param {string} text @returns {Safe} */
export function raw(text) {
  return { [SAFE]: text, toString: () => text };
}

const ESCAPES = /** @type {Record<string, string>} */ ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' });

/** @param {unknown} value */
export function escape(value) {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** @param {unknown} v @returns {string} */
function part(v) {
  if (v === null || v === undefined || v === false) return '';
  if (Array.isArray(v)) return v.map(part).join('');
  if (typeof v === 'object' && SAFE in v) return /** @type {Safe} */ (v)[SAFE];
  return escape(v);
}

/** @param {TemplateStringsArray} strings @param {...unknown} values @returns {Safe} */
export function html(strings, ...values) {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += part(values[i]) + (strings[i + 1] ?? '');
  return raw(out);
}

/** Replaces an element's content. @param {Element} el @param {Safe} content */
export function render(el, content) {
  el.innerHTML = content[SAFE];
}

/** Adds markup at the end of an element. @param {Element} el @param {Safe} content */
export function append(el, content) {
  el.insertAdjacentHTML('beforeend', content[SAFE]);
}

/** Replaces an element by new markup and returns the new element. @param {Element} el @param {Safe} content */
export function replace(el, content) {
  el.insertAdjacentHTML('afterend', content[SAFE]);
  const next = /** @type {Element} */ (el.nextElementSibling);
  el.remove();
  return next;
}

/** "3 s ago", "5 min ago"; absolute beyond a day. @param {string | null | undefined} iso */
export function ago(iso) {
  if (!iso) return '—';
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (s < 2) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(iso).toLocaleString();
}

/** A time element the page's ticker keeps fresh. @param {string | null | undefined} iso */
export function timeAgo(iso) {
  return iso ? html`<time data-t="${iso}" title="${iso}">${ago(iso)}</time>` : html`<span class="muted">—</span>`;
}

/** Refreshes every `time[data-t]` under root. @param {ParentNode} root */
export function refreshTimes(root) {
  for (const el of root.querySelectorAll('time[data-t]')) el.textContent = ago(/** @type {HTMLElement} */ (el).dataset.t);
}

/** @param {string | null | undefined} status */
export function pill(status) {
  const s = status ?? 'UNKNOWN';
  return html`<span class="pill ${s.toLowerCase()}">${s}</span>`;
}

/** A value with its unit; booleans and strings shown as they are. @param {unknown} value @param {string} [unit] */
export function formatValue(value, unit) {
  if (value === null || value === undefined) return '—';
  const text = typeof value === 'number' ? String(Math.round(value * 1000) / 1000) : String(value);
  return unit ? `${text} ${unit}` : text;
}

/** Parses what a person typed into a value field: a number, true/false, or the text. @param {string} text */
export function parseValue(text) {
  const t = text.trim();
  if (t === 'true' || t === 'false') return t === 'true';
  if (t !== '' && Number.isFinite(Number(t))) return Number(t);
  return t;
}

/** Calls fn at most once per animation frame, with the latest arguments' effects batched by the caller. @param {() => void} fn */
export function perFrame(fn) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      fn();
    });
  };
}

/** @param {() => void} fn @param {number} ms */
export function debounce(fn, ms) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}

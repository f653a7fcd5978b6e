// The dashboard's only way to the control plane: its public HTTP API, with the key the person
// signed in with (kept for this browser session only).

const KEY = 'edgeplane.apiKey';

export class ApiError extends Error {
  /** @param {number} status @param {{ code?: string, message?: string, details?: any }} body */
  constructor(status, body) {
    super(body.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body.code ?? `HTTP_${status}`;
    this.details = body.details;
  }
}

/** Called when the key is refused (401): the app shows the sign-in page. */
let onUnauthorized = () => {};
/** @param {() => void} fn */
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

export const getKey = () => sessionStorage.getItem(KEY) ?? '';
/** @param {string} key */
export const setKey = (key) => (key ? sessionStorage.setItem(KEY, key) : sessionStorage.removeItem(KEY));

/** @param {Record<string, string>} [extra] */
function headers(extra = {}) {
  const key = getKey();
  return key ? { authorization: `Bearer ${key}`, ...extra } : extra;
}

/** @param {Response} res */
async function bodyOf(res) {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}

/** @param {string} method @param {string} path @param {unknown} [body] */
export async function request(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await bodyOf(res);
  if (!res.ok) {
    if (res.status === 401) onUnauthorized();
    throw new ApiError(res.status, data ?? {});
  }
  return data;
}

/** @param {string} path */
export const get = (path) => request('GET', path);

/** Runs a command on an actor. @param {string} kind @param {string} id @param {string} type @param {Record<string, unknown>} data */
export const command = (kind, id, type, data = {}) => request('POST', `/v1/actors/${kind}/${encodeURIComponent(id)}/commands`, { type, data });

/**
 * What the key may do (`GET /v1/whoami`). A 401 (an unknown key) rejects with ApiError.
 * @returns {Promise<'viewer' | 'operator' | 'admin'>}
 */
export async function detectRole() {
  const me = /** @type {{ role: 'viewer' | 'operator' | 'admin' }} */ (await get('/v1/whoami'));
  return me.role;
}

/**
 * Reads Server-Sent Events with fetch (EventSource cannot send an Authorization header).
 * Resolves when the server ends the stream; rejects on a network error or a refusal.
 * @param {string} path
 * @param {{ signal: AbortSignal, onOpen?: () => void, onMessage: (m: { event: string, id: string | undefined, data: string }) => void }} opts
 */
export async function readStream(path, { signal, onOpen, onMessage }) {
  const res = await fetch(path, { headers: headers({ accept: 'text/event-stream' }), signal, cache: 'no-store' });
  if (!res.ok || !res.body) {
    if (res.status === 401) onUnauthorized();
    throw new ApiError(res.status, (await bodyOf(res)) ?? {});
  }
  onOpen?.();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  /** @type {{ event: string, id: string | undefined, data: string[] }} */
  let msg = { event: 'message', id: undefined, data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let start = 0;
    for (let nl = buffer.indexOf('\n'); nl >= 0; start = nl + 1, nl = buffer.indexOf('\n', start)) {
      const line = buffer.charCodeAt(nl - 1) === 13 ? buffer.slice(start, nl - 1) : buffer.slice(start, nl);
      if (line === '') {
        if (msg.data.length) onMessage({ event: msg.event, id: msg.id, data: msg.data.join('\n') });
        msg = { event: 'message', id: undefined, data: [] };
      } else if (line[0] !== ':') {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const v = colon < 0 ? '' : line.slice(line[colon + 1] === ' ' ? colon + 2 : colon + 1);
        if (field === 'data') msg.data.push(v);
        else if (field === 'event') msg.event = v;
        else if (field === 'id') msg.id = v;
      }
    }
    buffer = buffer.slice(start);
  }
}

import { readSse, type SseMessage } from './sse.js';

/** A refusal from the API, with its problem+json code. */
export class ApiRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiClient {
  readonly url: string;
  get<T = any>(path: string, signal?: AbortSignal): Promise<T>;
  /** Opens `/v1/stream`; resolves when the server ends it, rejects on a network error or refusal. */
  stream(opts: { signal: AbortSignal; onOpen: () => void; onMessage: (m: SseMessage) => void; onBytes: () => void }): Promise<void>;
}

/** `edgeplane top`'s only way to the control plane: the public HTTP API, with a bearer key. */
export function createApiClient(url: string, key: string | undefined): ApiClient {
  const base = url.replace(/\/+$/, '');
  const headers = (extra: Record<string, string> = {}) => (key ? { authorization: `Bearer ${key}`, ...extra } : extra);
  const refusal = async (res: Response) => {
    const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
    return new ApiRefusal(res.status, body.code ?? `HTTP_${res.status}`, body.message ?? res.statusText);
  };
  return {
    url: base,
    async get(path, signal) {
      const res = await fetch(`${base}${path}`, { headers: headers(), signal });
      if (!res.ok) throw await refusal(res);
      return (await res.json()) as never;
    },
    async stream({ signal, onOpen, onMessage, onBytes }) {
      const res = await fetch(`${base}/v1/stream`, { headers: headers({ accept: 'text/event-stream' }), signal });
      if (!res.ok || !res.body) throw await refusal(res);
      onOpen();
      await readSse(res.body, onMessage, onBytes);
    },
  };
}

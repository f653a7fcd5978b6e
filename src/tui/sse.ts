/** One Server-Sent Event as `GET /v1/stream` writes it. */
export interface SseMessage {
  event: string;
  id: string | undefined;
  data: string;
}

/**
 * Reads a text/event-stream body until it ends, handing each complete message to `onMessage`.
 * Comments (`: keep-alive`) are dropped but still count as traffic for `onBytes`.
 */
export async function readSse(body: ReadableStream<Uint8Array>, onMessage: (m: SseMessage) => void, onBytes: () => void = () => {}): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = '';
  let msg: { event: string; id: string | undefined; data: string[] } = { event: 'message', id: undefined, data: [] };
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    onBytes();
    buffer += decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = buffer.indexOf('\n'); nl >= 0; start = nl + 1, nl = buffer.indexOf('\n', start)) {
      const line = buffer.charCodeAt(nl - 1) === 13 ? buffer.slice(start, nl - 1) : buffer.slice(start, nl);
      if (line === '') {
        if (msg.data.length) onMessage({ event: msg.event, id: msg.id, data: msg.data.join('\n') });
        msg = { event: 'message', id: undefined, data: [] };
      } else if (line[0] !== ':') {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(line[colon + 1] === ' ' ? colon + 2 : colon + 1);
        if (field === 'data') msg.data.push(value);
        else if (field === 'event') msg.event = value;
        else if (field === 'id') msg.id = value;
      }
    }
    buffer = buffer.slice(start);
  }
}

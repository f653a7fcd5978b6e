import { emitKeypressEvents } from 'node:readline';
import { createApiClient } from './client.js';
import { describe, keepConnected, type LinkState, type StoredEvent } from './connection.js';
import { deviceLines, valueOf, type RecentValue } from './deviceView.js';
import { buildRows, parentIndex, type Row } from './rows.js';
import { ENTER_SCREEN, fit, frame, LEAVE_SCREEN, seg, type Seg } from './screen.js';
import { SystemModel } from './systemModel.js';
import { treeLines } from './treeView.js';

export interface TopOptions {
  url: string;
  key?: string;
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
}

const RECENT = 200;
const HELP = ' ↑/↓ move  ←/→ fold  enter open  PgUp/PgDn page  q quit';

/**
 * `edgeplane top`: the system view as a tree in the terminal, live from the API's stream, moved
 * through with the keyboard; enter on a device shows its recent values. When the control plane
 * cannot be reached it says so in a banner over the last known view and keeps retrying.
 * Resolves when the person quits (q, Ctrl-C), with the terminal as it was.
 */
export function runTop(opts: TopOptions): Promise<void> {
  const input = opts.input ?? process.stdin;
  const out = opts.output ?? process.stdout;
  const client = createApiClient(opts.url, opts.key);
  const model = new SystemModel();
  const collapsed = new Set<string>();
  let rows: Row[] = [];
  let selected = 0;
  let selectedKey: string | undefined;
  let scroll = 0;
  let link: LinkState = { state: 'connecting' };
  let cluster = '';
  let device: { id: string; recent: RecentValue[]; error?: string } | undefined;

  const rebuild = () => {
    rows = buildRows(model, collapsed);
    const again = selectedKey === undefined ? -1 : rows.findIndex((r) => r.key === selectedKey);
    selected = again >= 0 ? again : Math.min(selected, Math.max(0, rows.length - 1));
    selectedKey = rows[selected]?.key;
  };

  const header = (width: number): string[] => {
    const state: Seg =
      link.state === 'live' ? seg('● live', '32') : link.state === 'connecting' ? seg('○ connecting…', '33') : seg('○ offline', '31');
    const sensors = model.all('sensor');
    const count = (s: string) => sensors.filter((d) => d.status === s).length;
    const lines = [
      fit([seg(' edgeplane top ', '1;97;44'), seg(`  ${client.url}  `), state, seg(`  ${cluster}`, '2'), seg(`  ${new Date().toLocaleTimeString([], { hour12: false })}`, '2')], width),
      fit([seg(` devices ${sensors.length}: `), seg(`${count('ONLINE')} online`, '32'), seg(' · '), seg(`${count('OFFLINE')} offline`, '31'), seg(' · '), seg(`${count('UNKNOWN')} unknown`, '33')], width),
    ];
    if (link.state === 'offline') {
      const known = model.loaded ? `showing what was known ${Math.round((Date.now() - link.since) / 1000)} s ago` : 'nothing known yet';
      lines.push(fit([seg(` OFFLINE — cannot reach the control plane (${link.reason}); retrying (attempt ${link.attempt}, next in ${link.retryInMs} ms); ${known}`)], width, '1;97;41'));
    }
    return lines;
  };

  let queued: NodeJS.Timeout | undefined;
  const draw = () => {
    queued = undefined;
    const width = out.columns || 100;
    const height = out.rows || 30;
    const top = header(width);
    const bodyHeight = Math.max(1, height - top.length - 2);
    let body: string[];
    if (device) body = deviceLines(device.id, model.get(`sensor/${device.id}`), device.recent, device.error, width, bodyHeight);
    else {
      const shown = treeLines(rows, selected, scroll, width, bodyHeight);
      scroll = shown.scroll;
      body = shown.lines;
    }
    while (body.length < bodyHeight) body.push('');
    const help = device ? ' ←/esc back  q quit' : HELP;
    out.write(frame([...top, fit([seg('─'.repeat(width), '2')], width), ...body.slice(0, bodyHeight), fit([seg(help, '2')], width)]));
  };
  const render = () => (queued ??= setTimeout(draw, 30));

  const openDevice = async (id: string) => {
    device = { id, recent: [] };
    render();
    try {
      const page = await client.get<{ events: StoredEvent[] }>(`/v1/actors/sensor/${encodeURIComponent(id)}/events?direction=backwards&limit=${RECENT}`);
      if (device?.id !== id) return;
      device.recent = page.events.flatMap((e) => valueOf(e) ?? []);
    } catch (err) {
      if (device?.id === id) device.error = `could not load its values: ${describe(err)}`;
    }
    render();
  };

  const connection = keepConnected(client, model, {
    onState: (s) => {
      link = s;
      render();
    },
    onModel: () => {
      rebuild();
      render();
    },
    onEvent: (e) => {
      if (!device || e.stream !== `sensor-${device.id}`) return;
      const v = valueOf(e);
      if (!v) return;
      device.recent.unshift(v);
      if (device.recent.length > RECENT) device.recent.pop();
      render();
    },
  });

  const pollCluster = async () => {
    try {
      const c = await client.get<{ leader: { processId: string } | null; processes: unknown[] }>('/v1/cluster');
      cluster = c.leader ? `cluster: leader ${c.leader.processId} of ${c.processes.length}` : 'cluster: no leader';
    } catch (err) {
      cluster = (err as { status?: number }).status === 404 ? 'cluster: single process' : cluster;
    }
    render();
  };
  pollCluster();
  const ticker = setInterval(() => {
    if (link.state === 'live') pollCluster();
    else render();
  }, 1000);

  const move = (to: number) => {
    selected = Math.max(0, Math.min(rows.length - 1, to));
    selectedKey = rows[selected]?.key;
    render();
  };
  const fold = (open: boolean) => {
    const row = rows[selected];
    if (!row) return;
    // A leaf, or already as asked: ← goes to the parent, → into the first child (or a device's page).
    if (row.open === undefined || row.open === open) {
      if (!open) move(parentIndex(rows, selected));
      else if (row.kind === 'sensor') openDevice(row.title);
      else if (row.open) move(selected + 1);
      return;
    }
    if (open) collapsed.delete(row.key);
    else collapsed.add(row.key);
    rebuild();
    render();
  };

  return new Promise<void>((resolve) => {
    const quit = () => {
      connection.stop();
      clearInterval(ticker);
      clearTimeout(queued);
      input.off('keypress', onKey);
      out.off('resize', render);
      if (input.isTTY) input.setRawMode(false);
      input.pause();
      out.write(LEAVE_SCREEN);
      resolve();
    };
    const onKey = (_text: string | undefined, key: { name?: string; ctrl?: boolean; sequence?: string } = {}) => {
      const name = key.name ?? key.sequence;
      if ((key.ctrl && name === 'c') || name === 'q') return quit();
      if (device) {
        if (name === 'escape' || name === 'left' || name === 'backspace' || name === 'h') {
          device = undefined;
          render();
        }
        return;
      }
      const page = Math.max(1, (out.rows || 30) - 6);
      const moves: Record<string, () => void> = {
        up: () => move(selected - 1),
        k: () => move(selected - 1),
        down: () => move(selected + 1),
        j: () => move(selected + 1),
        pageup: () => move(selected - page),
        pagedown: () => move(selected + page),
        home: () => move(0),
        g: () => move(0),
        end: () => move(rows.length - 1),
        right: () => fold(true),
        l: () => fold(true),
        left: () => fold(false),
        h: () => fold(false),
        return: () => {
          const row = rows[selected];
          if (row?.kind === 'sensor') openDevice(row.title);
          else fold(row?.open === false);
        },
      };
      moves[name ?? '']?.();
    };
    emitKeypressEvents(input);
    if (input.isTTY) input.setRawMode(true);
    input.on('keypress', onKey);
    input.resume();
    out.on('resize', render);
    out.write(ENTER_SCREEN);
    render();
  });
}

import type { Row } from './rows.js';
import { ago, col, fit, formatValue, seg, STATUS_STYLE, type Seg } from './screen.js';

/** One tree row as segments: marker, name, what it is, status (coloured), value, last seen. */
function rowSegs(row: Row, now: number): Seg[] {
  const indent = '  '.repeat(row.depth);
  const marker = row.open === undefined ? '  ' : row.open ? '▾ ' : '▸ ';
  if (row.kind === 'section') return [seg(`${indent}${marker}${row.title} (${row.childCount})`, '1')];
  const d = row.doc ?? {};
  const status = typeof d.status === 'string' ? d.status : '';
  const name = seg(col(`${indent}${marker}${row.title}${row.open === false ? ` (${row.childCount})` : ''}`, 30));
  const state = seg(col(status, 9), STATUS_STYLE[status]);
  switch (row.kind) {
    case 'sensor': {
      const what = col(`${String(d.type ?? '')}${d.role === 'actuator' ? ' ⚙' : ''}`, 14);
      const desired = d.desired ? `→ ${formatValue(d.desired.value)} ${String(d.desired.status)}` : '';
      return [name, seg(what, '2'), state, seg(col(formatValue(d.value, d.unit), 16), '1'), seg(col(desired, 16)), seg(ago(d.lastSeen, now), '2')];
    }
    case 'dependent': {
      const fw = (d.firmware ?? {}) as { current?: string | null; target?: string | null; update?: { status: string; progress: number | null; lastError: string | null } | null };
      const u = fw.update;
      const update = u ? `${u.status}${u.progress === null ? '' : ` ${u.progress}%`}${u.lastError ? ` (${u.lastError})` : ''}` : '';
      return [name, seg(col(String(d.boardType ?? ''), 14), '2'), state, seg(col(`fw ${fw.current ?? '—'}${fw.target && fw.target !== fw.current ? ` → ${fw.target}` : ''}`, 16)), seg(update, u?.status === 'failed' ? '31' : undefined)];
    }
    case 'daemon':
      return [name, seg(col('plug', 14), '2'), state, seg(col(formatValue(d.watts, 'W'), 16), '1'), seg(col(`power ${String(d.power ?? '?')}`, 16)), seg(`owner ${String(d.owner ?? '—')}`, '2')];
    case 'block':
      return [name, seg(col(String(d.role ?? 'block'), 14), '2'), seg(col('', 9)), seg(`${d.key ? `key ${String(d.key)}` : ''}${d.lastSync ? `  synced ${ago(d.lastSync.at, now)}` : ''}`, '2')];
    default: {
      // Reactors, nodes, gateways: what they are, then their own facts in free text.
      const facts = [
        row.kind === 'gateway' ? `process ${String(d.currentStatus ?? '?')} (target ${String(d.targetStatus ?? '?')})` : '',
        row.kind === 'node' && d.name ? `“${String(d.name)}”${d.leader ? ' leader' : ''}` : '',
        `seen ${ago(d.lastSeen, now)}`,
        d.offlineReason ? String(d.offlineReason) : '',
      ];
      return [seg(name.text, '1'), seg(col(row.kind, 14), '2'), state, seg(facts.filter(Boolean).join(' · '), '2')];
    }
  }
}

/** The rows that fit in `height` lines around the selection, the selected one reversed. */
export function treeLines(rows: readonly Row[], selected: number, scroll: number, width: number, height: number, now = Date.now()): { lines: string[]; scroll: number } {
  let top = Math.min(scroll, Math.max(0, rows.length - height));
  if (selected < top) top = selected;
  if (selected >= top + height) top = selected - height + 1;
  top = Math.max(0, top);
  const lines = rows.slice(top, top + height).map((row, i) => fit(rowSegs(row, now), width, top + i === selected ? '7' : undefined));
  if (rows.length === 0) lines.push(fit([seg('  Nothing has reported yet.', '2')], width));
  return { lines, scroll: top };
}

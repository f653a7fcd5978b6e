import { ago, fit, formatValue, seg, sparkline, STATUS_STYLE } from './screen.js';
import type { Doc } from './systemModel.js';

/** One of a device's recent values, from its own events. */
export interface RecentValue {
  at: string;
  what: 'reading' | 'reported' | 'desired';
  value: unknown;
}

/** The value an event of a sensor actor carries, if it carries one. */
export function valueOf(e: { type: string; data: any; metadata?: Record<string, any> }): RecentValue | undefined {
  const at = String(e.data?.at ?? e.data?.requestedAt ?? e.metadata?.timestamp ?? '');
  if (e.type === 'ReadingRecorded') return { at, what: 'reading', value: e.data.value };
  if (e.type === 'ActuatorValueReported') return { at, what: 'reported', value: e.data.value };
  if (e.type === 'ValueRequested') return { at, what: 'desired', value: e.data.value };
  return undefined;
}

const clock = (iso: string) => (Number.isNaN(Date.parse(iso)) ? iso : new Date(iso).toLocaleTimeString([], { hour12: false }));

/** A device's page: what it is, its status and value, a sparkline and its recent values (newest first). */
export function deviceLines(id: string, doc: Doc | undefined, recent: readonly RecentValue[], error: string | undefined, width: number, height: number, now = Date.now()): string[] {
  const lines: string[] = [];
  const line = (...segs: Parameters<typeof fit>[0]) => lines.push(fit(segs, width));
  if (!doc) line(seg(` sensor ${id}`, '1'), seg(' — not in the system view (not attached, or no such device)', '2'));
  else {
    const status = String(doc.status ?? 'UNKNOWN');
    line(seg(` ${String(doc.role ?? 'device')} ${id}`, '1'), seg(`  ${String(doc.type ?? '')} on ${String(doc.parent ?? '?')}`, '2'));
    line(seg('   status     '), seg(status, STATUS_STYLE[status]), seg(`  since ${ago(doc.statusChangedAt, now)}`, '2'));
    line(seg(`   ${doc.role === 'actuator' ? 'reported' : 'value   '}   `), seg(formatValue(doc.value, doc.unit), '1'), seg(`  ${ago(doc.valueAt, now)}`, '2'));
    if (doc.role === 'actuator') line(seg('   desired    '), seg(doc.desired ? `${formatValue(doc.desired.value, doc.unit)} (${String(doc.desired.status)})` : '—'));
    line(seg('   last seen  '), seg(ago(doc.lastSeen, now)));
  }
  line();
  if (error) line(seg(`   ${error}`, '31'));
  const numbers = [...recent].reverse().flatMap((r) => (typeof r.value === 'number' ? [r.value] : typeof r.value === 'boolean' ? [Number(r.value)] : []));
  const shown = numbers.slice(-Math.max(1, width - 20));
  line(seg(' Recent values  ', '1'), seg(sparkline(shown), '36'), seg(shown.length ? `  ${formatValue(Math.min(...shown))} … ${formatValue(Math.max(...shown))}` : '', '2'));
  for (const r of recent.slice(0, Math.max(0, height - lines.length))) {
    line(seg(`   ${clock(r.at)}  `, '2'), seg(`${r.what.padEnd(9)}`), seg(formatValue(r.value, doc?.unit), '1'));
  }
  if (recent.length === 0 && !error) line(seg('   no values yet', '2'));
  return lines;
}

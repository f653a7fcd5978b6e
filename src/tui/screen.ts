/**
 * Raw ANSI for `edgeplane top`: styled segments fitted to the terminal's width, one whole frame
 * written at a time (cursor home, each line cleared to its end, the rest of the screen cleared).
 */
export interface Seg {
  text: string;
  /** SGR parameters, e.g. '32' (green), '1' (bold), '97;41' (white on red). */
  style?: string;
}

export const ESC = '\x1b[';
export const ENTER_SCREEN = `${ESC}?1049h${ESC}?25l`;
export const LEAVE_SCREEN = `${ESC}0m${ESC}?25h${ESC}?1049l`;

export const STATUS_STYLE: Record<string, string> = { ONLINE: '32', OFFLINE: '31', UNKNOWN: '33' };

export const seg = (text: string, style?: string): Seg => ({ text, style });

/** Left-aligned in `width` characters, cut with an ellipsis when longer. */
export function col(text: string, width: number): string {
  const chars = [...text];
  if (chars.length > width) return `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
  return text + ' '.repeat(width - chars.length);
}

/** Segments as one line of exactly `width` columns; `base` styles the whole line (selection, banner). */
export function fit(segs: readonly Seg[], width: number, base?: string): string {
  let out = '';
  let left = width;
  for (const s of segs) {
    if (left <= 0) break;
    const chars = [...s.text];
    const text = chars.length > left ? chars.slice(0, left).join('') : s.text;
    left -= Math.min(chars.length, left);
    const style = [base, s.style].filter(Boolean).join(';');
    out += style ? `${ESC}${style}m${text}${ESC}0m` : text;
  }
  const pad = ' '.repeat(Math.max(0, left));
  return base ? `${out}${ESC}${base}m${pad}${ESC}0m` : out + pad;
}

/** The frame as one write: lines from the top, nothing left over from the previous frame. */
export function frame(lines: readonly string[]): string {
  return `${ESC}H${lines.join(`${ESC}K\r\n`)}${ESC}K${ESC}J`;
}

/** "3 s ago"; "—" for never. */
export function ago(iso: unknown, now = Date.now()): string {
  if (typeof iso !== 'string') return '—';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function formatValue(value: unknown, unit?: unknown): string {
  if (value === null || value === undefined) return '—';
  const text = typeof value === 'number' ? String(Math.round(value * 1000) / 1000) : String(value);
  return typeof unit === 'string' && unit ? `${text} ${unit}` : text;
}

const BARS = '▁▂▃▄▅▆▇█';

/** Numbers as a one-line chart of block characters, oldest first. */
export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return '';
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return values.map((v) => BARS[hi === lo ? 3 : Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1))]).join('');
}

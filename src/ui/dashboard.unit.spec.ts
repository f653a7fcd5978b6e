import { describe, expect, it } from 'vitest';

// The dashboard's modules are plain browser JavaScript (no types for tsc): imported by URL, so
// this file type-checks without them and vitest runs them as the browser would.
const load = (name: string): Promise<any> => import(new URL(`./static/${name}`, import.meta.url).href);

describe('dashboard modules', () => {
  it('html escapes every interpolation (ids and data are never markup), nests safe parts and joins arrays', async () => {
    const { html } = await load('dom.js');
    const id = '<img src=x onerror=alert(1)>"\'&';
    expect(String(html`<td title="${id}">${id}</td>`)).toBe('<td title="&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;">&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;</td>');
    expect(String(html`<ul>${['a', '<b>'].map((x) => html`<li>${x}</li>`)}</ul>${null}${false}${undefined}`)).toBe('<ul><li>a</li><li>&lt;b&gt;</li></ul>');
  });

  it('reads a typed value as a number, a boolean or the text', async () => {
    const { parseValue, formatValue } = await load('dom.js');
    expect([parseValue(' 21.5 '), parseValue('true'), parseValue('false'), parseValue('on'), parseValue('')]).toEqual([21.5, true, false, 'on', '']);
    expect([formatValue(21.12345, '°C'), formatValue(null), formatValue(true)]).toEqual(['21.123 °C', '—', 'true']);
  });

  it('the model follows deltas like the API\'s view, and says when the tree changed shape', async () => {
    const { createModel } = await load('model.js');
    const m = createModel();
    const seen: Array<{ keys: string[]; structural: boolean }> = [];
    m.subscribe((e: { keys: string[]; structural: boolean }) => seen.push({ keys: e.keys, structural: e.structural }));
    m.load({ seq: 3, nodes: [], reactors: [{ id: 'r1', busDevices: [{ id: 'b', reactor: 'r1' }], devices: [{ id: 't10', parent: 'reactor/r1' }, { id: 't9', parent: 'reactor/r1' }] }], gateways: [], daemons: [], blocks: [], orphans: [] });
    expect(m.tree().reactors[0]).toEqual({ key: 'reactor/r1', devices: ['sensor/t9', 'sensor/t10'], busDevices: ['busDevice/r1/b'], dependents: [] });
    m.apply([{ seq: 3, kind: 'sensor', id: 't9', change: { value: 1 } }, { seq: 4, kind: 'sensor', id: 't9', change: { value: 2 } }]);
    expect(m.get('sensor/t9')).toEqual({ id: 't9', parent: 'reactor/r1', value: 2 });
    m.apply([{ seq: 5, kind: 'sensor', id: 'x', change: { id: 'x', parent: 'reactor/r2' } }]);
    expect(m.tree().orphans).toEqual(['sensor/x']);
    m.apply([{ seq: 6, kind: 'sensor', id: 't10', change: null }]);
    expect(seen.slice(1)).toEqual([
      { keys: ['sensor/t9'], structural: false },
      { keys: ['sensor/x'], structural: true },
      { keys: ['sensor/t10'], structural: true },
    ]);
    expect(m.seq).toBe(6);
  });

  it('diff names each changed path with its values before and after', async () => {
    const { diff } = await load('diff.js');
    expect(diff({ a: 1, b: { c: [1, 2] }, gone: true }, { a: 1, b: { c: [1, 3] }, added: null })).toEqual([
      { path: 'b.c[1]', op: 'changed', before: 2, after: 3 },
      { path: 'gone', op: 'removed', before: true },
      { path: 'added', op: 'added', after: null },
    ]);
    expect(diff({ x: 1 }, { x: 1 })).toEqual([]);
  });
});

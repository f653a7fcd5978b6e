// One row (or group heading) per entity of the system view; `data-key` is its `<kind>/<id>`.

import { formatValue, html, pill, timeAgo } from '../dom.js';

/** @param {string} id */
const enc = (id) => encodeURIComponent(id);

export const HEADS = {
  sensor: html`<tr><th>Status</th><th>Device</th><th>Type</th><th>Value</th><th>Desired</th><th>Last seen</th></tr>`,
  busDevice: html`<tr><th>Status</th><th>Id</th><th>Bus</th><th>Address</th><th>Driver</th><th>Since</th></tr>`,
  dependent: html`<tr><th>Status</th><th>Device</th><th>Board</th><th>Firmware</th><th>Update</th><th>Since</th></tr>`,
  daemon: html`<tr><th>Status</th><th>Plug</th><th>Owner</th><th>Power</th><th>Watts</th><th>Measured</th></tr>`,
  block: html`<tr><th>Block</th><th>Sync</th><th>Key</th><th>Last mirrored</th></tr>`,
};

/** @param {any} desired */
export function desiredText(desired) {
  return desired ? `→ ${formatValue(desired.value)} (${desired.status})` : '';
}

/** @param {string} key @param {any} d */
export function sensorRow(key, d) {
  return html`<tr data-key="${key}" class="${d.status?.toLowerCase()}">
<td>${pill(d.status)}</td>
<td><a href="#/device/${enc(d.id)}">${d.id}</a></td>
<td>${d.type}${d.role === 'actuator' ? html` <span class="tag">actuator</span>` : ''}</td>
<td class="value">${formatValue(d.value, d.unit)}</td>
<td>${desiredText(d.desired)}</td>
<td>${timeAgo(d.lastSeen)}</td></tr>`;
}

/** @param {string} key @param {any} d */
export function busDeviceRow(key, d) {
  return html`<tr data-key="${key}"><td>${pill(d.status)}</td><td>${d.id}</td><td>${d.bus}</td><td>${d.address}</td><td>${d.driver ?? '—'}</td><td>${timeAgo(d.statusChangedAt)}</td></tr>`;
}

/** @param {any} fw */
export function updateText(fw) {
  const u = fw?.update;
  if (!u) return '—';
  const progress = u.progress === null || u.progress === undefined ? '' : ` ${u.progress}%`;
  return `${u.status}${u.attempt ? ` (attempt ${u.attempt}/${u.maxAttempts})` : ''}${progress}${u.lastError ? ` — ${u.lastError}` : ''}`;
}

/** @param {string} key @param {any} d */
export function dependentRow(key, d) {
  const fw = d.firmware ?? {};
  return html`<tr data-key="${key}"><td>${pill(d.status)}</td><td><a href="#/gateways">${d.localId}</a></td><td>${d.boardType}</td>
<td>${fw.current ?? '—'}${fw.target && fw.target !== fw.current ? ` → ${fw.target}` : ''}</td><td>${updateText(fw)}</td><td>${timeAgo(d.statusChangedAt)}</td></tr>`;
}

/** @param {string} key @param {any} d */
export function daemonRow(key, d) {
  return html`<tr data-key="${key}"><td>${pill(d.status)}</td><td><a href="#/energy/${enc(d.id)}">${d.id}</a></td><td>${d.owner ?? '—'}</td>
<td>${d.power ?? '—'}${d.desired?.status === 'pending' ? ` (switching ${d.desired.power})` : ''}</td><td class="value">${formatValue(d.watts, 'W')}</td><td>${timeAgo(d.wattsAt)}</td></tr>`;
}

/** @param {string} key @param {any} d */
export function blockRow(key, d) {
  return html`<tr data-key="${key}"><td><a href="#/timeline/block/${enc(d.id)}">${d.id}</a></td><td>${d.role ?? '—'}${d.interval ? ` every ${d.interval} s` : ''}</td><td>${d.key ?? '—'}</td><td>${timeAgo(d.lastSync?.at)}</td></tr>`;
}

/** @param {string} kind @param {string} key @param {any} d */
export function groupHead(kind, key, d) {
  if (!d) return html``;
  const extra =
    kind === 'node'
      ? html`${d.name ? html` “${d.name}”` : ''}${d.leader ? html` <span class="tag">leader</span>` : ''}`
      : kind === 'gateway'
        ? html` · process ${d.currentStatus ?? '?'} (target ${d.targetStatus}) · <a href="#/gateways">firmware</a>`
        : '';
  return html`<div class="group-head" data-key="${key}">${pill(d.status)} <b>${kind} ${d.id}</b>${extra} <span class="muted">· last seen ${timeAgo(d.lastSeen)}${d.offlineReason ? ` · ${d.offlineReason}` : ''}</span>
<a class="small" href="#/timeline/${kind}/${enc(d.id)}">timeline</a></div>`;
}

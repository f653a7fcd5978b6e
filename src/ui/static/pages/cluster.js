// Who leads the cluster, from `GET /v1/cluster`; a control plane without it (404) runs alone.

import { ApiError, get } from '../api.js';
import { html, render, timeAgo } from '../dom.js';

/** @param {number} ms */
const age = (ms) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

/** Keeps `el` showing the cluster's leader, every 5 s; returns the function that stops it. @param {HTMLElement} el */
export function clusterLine(el) {
  let stopped = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const tick = async () => {
    try {
      const c = await get('/v1/cluster');
      if (stopped) return;
      const leader = c.leader
        ? html`leader <b id="leader">${c.leader.processId}</b> (fencing token ${c.leader.token}${c.leader.since ? html`, since ${timeAgo(c.leader.since)}` : ''}, lease renewed ${age(c.leader.leaseAgeMs)} ago)`
        : html`<span class="pill offline">no leader</span>`;
      const processes = (c.processes ?? []).map(
        (/** @type {any} */ p) => html`<li>${p.leader ? html`<b>${p.processId}</b> (leader)` : p.processId}: partitions ${(p.partitions ?? []).join(', ') || '—'}, lease ${p.leaseAgeMs === null ? '—' : `${age(p.leaseAgeMs)} old`}</li>`,
      );
      render(el, html`Cluster: ${leader} · ${(c.processes ?? []).length} processes · ${c.partitions} partitions<ul class="processes">${processes}</ul>`);
    } catch (err) {
      if (stopped) return;
      if (err instanceof ApiError && err.status === 404) render(el, html`Cluster: <b>single process</b> (this control plane runs alone)`);
      else render(el, html`Cluster: <span class="muted">not known (${err instanceof Error ? err.message : String(err)})</span>`);
    }
    if (!stopped) timer = setTimeout(tick, 5000);
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

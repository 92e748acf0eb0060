import { html, page, SafeHtml } from '../runtime';
import type { InstallationHealth } from './installation-health';
import { HEALTH_STATES } from './installation-health';

const WIDE = new SafeHtml(`<style>
  main { width: min(72rem, calc(100% - 2rem)); }
  .table { overflow-x: auto; margin: 0 0 1rem; }
  table { border-collapse: collapse; width: 100%; font-size: .92rem; }
  th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid #eef1f4; vertical-align: top; }
  th { color: #5b6670; font-weight: 600; white-space: nowrap; }
  td code { word-break: break-all; }
  form.filters { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; margin: 0 0 1rem; }
  form.filters label.field { margin: 0; flex: 1 1 10rem; }
  label.field select { display: block; width: 100%; margin-top: .35rem; padding: .5rem .6rem; font: inherit; font-weight: 400; border: 1px solid #c9d1d9; border-radius: 8px; background: #fff; }
  nav.top { display: flex; flex-wrap: wrap; gap: .5rem 1.25rem; align-items: center; margin: 0 0 1rem; }
  nav.top form { margin: 0; }
  nav.top button { padding: .3rem .8rem; }
  dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .35rem 1rem; margin: 0 0 1rem; }
  dl.facts dt { color: #5b6670; }
  dl.facts dd { margin: 0; }
  section.actions-list form { display: inline-block; margin: 0 .75rem .75rem 0; vertical-align: top; }
  section.actions-list form.danger { display: block; border: 1px solid #f3c7c7; border-radius: 8px; padding: .75rem .9rem; }
  button.danger { background: #b42318; }
  button.danger:hover { background: #912018; }
</style>`);

const BADGE: Record<InstallationHealth['state'], { css: string; text: string }> = {
  linked: { css: 'ok', text: 'Linked' },
  degraded: { css: 'warn', text: 'Degraded' },
  reauth_required: { css: 'error', text: 'Needs re-authorization' },
  pending: { css: 'pending', text: 'Not linked yet' },
};

export function healthBadge(health: InstallationHealth) {
  const badge = BADGE[health.state];
  return html`<span class="status ${badge.css}">${badge.text}</span>${health.reason ? html` <span class="muted">${health.reason}</span>` : ''}`;
}

const unknown = html`<span class="muted">not recorded</span>`;

function lastError(health: InstallationHealth) {
  return health.lastError ? html`<code>${health.lastError.code}</code> ${health.lastError.message} <span class="muted">${health.lastError.at}</span>` : html`<span class="muted">none</span>`;
}

function topNav(links: { list: string; queues: string; logout: string }, csrf: string | undefined) {
  return html`<nav class="top" aria-label="Operator">
<a href="${links.list}">Installations</a>
<a href="${links.queues}">Queue dashboard</a>
<a href="/">Start page</a>
${csrf !== undefined ? html`<form method="post" action="${links.logout}"><button type="submit" class="secondary">Sign out</button></form>` : ''}
</nav>`;
}

export interface InstallationRow {
  id: string;
  href: string;
  connectorTitle: string;
  locationId: string;
  health: InstallationHealth;
}

export interface OperatorLinks {
  list: string;
  queues: string;
  logout: string;
}

export function installationsPage(input: {
  rows: InstallationRow[];
  total: number;
  shownLimit: number;
  connectors: { name: string; title: string }[];
  filter: { connector: string | undefined; health: string | undefined; q: string | undefined };
  links: OperatorLinks;
  csrf: string | undefined;
  notice: string | undefined;
}): string {
  const { filter } = input;
  const filtered = filter.connector !== undefined || filter.health !== undefined || (filter.q ?? '') !== '';
  return page(
    'Installations',
    html`${WIDE}${topNav(input.links, input.csrf)}
<h1>Installations</h1>
${input.notice ? html`<p class="notice" role="status">${input.notice}</p>` : ''}
<form class="filters" method="get" action="${input.links.list}" role="search">
<label class="field" for="f-connector">Connector<select id="f-connector" name="connector">
<option value="">All connectors</option>
${input.connectors.map((c) => html`<option value="${c.name}"${c.name === filter.connector ? html` selected` : ''}>${c.title}</option>`)}
</select></label>
<label class="field" for="f-health">Health<select id="f-health" name="health">
<option value="">Any health</option>
${HEALTH_STATES.map((s) => html`<option value="${s}"${s === filter.health ? html` selected` : ''}>${BADGE[s].text}</option>`)}
</select></label>
<label class="field" for="f-q">Search<input id="f-q" type="search" name="q" value="${filter.q ?? ''}" placeholder="id, location or connector" maxlength="200"></label>
<button type="submit">Apply</button>
${filtered ? html`<a href="${input.links.list}">Clear</a>` : ''}
</form>
<p class="muted">${input.rows.length === input.total ? `${input.total} installation${input.total === 1 ? '' : 's'}` : `Showing the first ${input.rows.length} of ${input.total} installations; narrow the search to see the others.`}${filtered ? ' match.' : '.'}</p>
${
  input.rows.length === 0
    ? html`<p class="muted">No installation matches.</p>`
    : html`<div class="table"><table>
<thead><tr><th scope="col">Installation</th><th scope="col">Connector</th><th scope="col">Location</th><th scope="col">Health</th><th scope="col">Last success</th><th scope="col">Last error</th></tr></thead>
<tbody>
${input.rows.map(
  (r) => html`<tr><td><a href="${r.href}"><code>${r.id}</code></a></td><td>${r.connectorTitle}</td><td><code>${r.locationId}</code></td><td>${healthBadge(r.health)}</td><td>${r.health.lastSuccessAt ?? unknown}</td><td>${lastError(r.health)}</td></tr>
`,
)}
</tbody></table></div>`
}`,
  );
}

export interface DeviceRow {
  label: string;
  name: string;
  type: string;
  summary: string;
  updatedAt: string;
}

export interface EventRow {
  at: string;
  type: string;
  device: string | undefined;
  detail: string;
}

export function installationPage(input: {
  installation: { id: string; connector: string; connectorTitle: string; locationId: string; createdAt: string; linkedAt: string | undefined };
  health: InstallationHealth;
  devices: DeviceRow[];
  events: EventRow[];
  /**
   * Set when the search for recent events stopped at its bound (the newest few thousand events of
   * the installation's partition) before finding as many as the page shows: older ones may exist.
   */
  eventsSearchStopped: boolean;
  actions: { poll: string; rotate: string | undefined; uninstall: string };
  rotateUnavailable: string | undefined;
  links: OperatorLinks;
  csrf: string | undefined;
  notice: string | undefined;
}): string {
  const { installation: i, health } = input;
  const csrfField = input.csrf !== undefined ? html`<input type="hidden" name="csrf" value="${input.csrf}">` : '';
  return page(
    `Installation ${i.id}`,
    html`${WIDE}${topNav(input.links, input.csrf)}
<p><a href="${input.links.list}">← All installations</a></p>
<h1>${i.connectorTitle} at <code>${i.locationId}</code></h1>
${input.notice ? html`<p class="notice" role="status">${input.notice}</p>` : ''}
<dl class="facts">
<dt>Installation</dt><dd><code>${i.id}</code></dd>
<dt>Connector</dt><dd>${i.connectorTitle} (<code>${i.connector}</code>)</dd>
<dt>Health</dt><dd>${healthBadge(health)}</dd>
<dt>Last success</dt><dd>${health.lastSuccessAt ?? unknown}</dd>
<dt>Last error</dt><dd>${lastError(health)}</dd>
<dt>Next poll</dt><dd>${health.nextPollAt ?? unknown}</dd>
<dt>Created</dt><dd>${i.createdAt}</dd>
<dt>Linked</dt><dd>${i.linkedAt ?? html`<span class="muted">never</span>`}</dd>
</dl>
<section class="actions-list" aria-labelledby="actions">
<h2 id="actions">Actions</h2>
<form method="post" action="${input.actions.poll}">${csrfField}<button type="submit">Poll now</button></form>
${input.actions.rotate ? html`<form method="post" action="${input.actions.rotate}">${csrfField}<button type="submit" class="secondary">Rotate callback URL</button></form>` : ''}
${input.rotateUnavailable ? html`<p class="muted">${input.rotateUnavailable}</p>` : ''}
<form class="danger" method="post" action="${input.actions.uninstall}">${csrfField}
<label><input type="checkbox" name="confirm" value="yes" required> Remove this installation, its devices and its cloud tokens for good</label>
<div class="actions" style="margin-top:.6rem"><button type="submit" class="danger">Uninstall</button></div>
</form>
<p><a href="${input.links.queues}">Open the queue dashboard</a> for this deployment's poll and webhook jobs.</p>
</section>
<h2 id="devices">Devices (${input.devices.length})</h2>
${
  input.devices.length === 0
    ? html`<p class="muted">No child devices.</p>`
    : html`<div class="table"><table aria-labelledby="devices">
<thead><tr><th scope="col">Label</th><th scope="col">Cloud name</th><th scope="col">Type</th><th scope="col">State</th><th scope="col">Updated</th></tr></thead>
<tbody>${input.devices.map((d) => html`<tr><td>${d.label}</td><td>${d.name}</td><td>${d.type}</td><td>${d.summary}</td><td>${d.updatedAt}</td></tr>`)}</tbody>
</table></div>`
}
<h2 id="events">Recent events</h2>
${
  input.events.length === 0
    ? input.eventsSearchStopped
      ? ''
      : html`<p class="muted">No events recorded.</p>`
    : html`<div class="table"><table aria-labelledby="events">
<thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Device</th><th scope="col">Detail</th></tr></thead>
<tbody>${input.events.map((e) => html`<tr><td>${e.at}</td><td><code>${e.type}</code></td><td>${e.device ?? ''}</td><td>${e.detail}</td></tr>`)}</tbody>
</table></div>`
}
${input.eventsSearchStopped ? html`<p class="muted">Only the newest events of this installation's partition were searched; older events may exist (<code>GET /api/installations/${i.id}/events</code> reads them all).</p>` : ''}`,
  );
}

import { html, page, SafeHtml } from '../runtime';
import type { CommandField, CommandForm } from './command-forms';
import { humanize } from './command-forms';

/** The hidden fields every form of the end user's pages carries: who (the installation's token) and the CSRF token. */
export interface FormAuth {
  appId: string;
  accessToken: string;
  csrf: string;
}

export interface DeviceLinks {
  overview: string;
  setup: string;
  apps: string;
}

const EXTRA_STYLE = new SafeHtml(`<style>
  dl.state { display: grid; grid-template-columns: max-content 1fr; gap: .35rem 1rem; margin: 0 0 1rem; }
  dl.state dt { color: #5b6670; }
  dl.state dd { margin: 0; font-weight: 600; }
  form.command, form.rename { border-top: 1px solid #eef1f4; padding-top: .9rem; margin: 0 0 .9rem; }
  form .row { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; }
  form .row label.field { flex: 1 1 12rem; margin: 0; }
  label.field select { display: block; width: 100%; margin-top: .35rem; padding: .5rem .6rem; font: inherit; font-weight: 400; border: 1px solid #c9d1d9; border-radius: 8px; background: #fff; }
  ul.list { list-style: none; padding: 0; margin: 0 0 1.25rem; border-top: 1px solid #eef1f4; }
  ul.list li { border-bottom: 1px solid #eef1f4; padding: .65rem .25rem; display: flex; flex-wrap: wrap; gap: .25rem .75rem; align-items: baseline; justify-content: space-between; }
  nav.back { margin: 0 0 1rem; }
</style>`);

function hidden(auth: FormAuth) {
  return html`<input type="hidden" name="appId" value="${auth.appId}">
<input type="hidden" name="access_token" value="${auth.accessToken}">
<input type="hidden" name="csrf" value="${auth.csrf}">`;
}

const UNIT_OF: Record<string, 'temperature' | 'percent'> = {
  temperature: 'temperature',
  heatingSetpoint: 'temperature',
  coolingSetpoint: 'temperature',
  humidity: 'percent',
  battery: 'percent',
};

const LABEL_OF: Record<string, string> = {
  temperature: 'Temperature',
  humidity: 'Humidity',
  heatingSetpoint: 'Heating setpoint',
  coolingSetpoint: 'Cooling setpoint',
  thermostatMode: 'Mode',
  operatingState: 'Running now',
  battery: 'Battery',
  connected: 'Reachable by its cloud',
};

/** The order a person reads a thermostat in; anything else the connector maps follows. */
const ORDER = Object.keys(LABEL_OF);

/** Present attributes as label/value pairs, readable (units, yes/no), the known ones first. */
export function stateRows(attributes: Readonly<Record<string, unknown>>): { label: string; value: string }[] {
  const unit = typeof attributes['temperatureUnit'] === 'string' ? ` °${attributes['temperatureUnit']}` : '';
  const keys = Object.keys(attributes)
    .filter((k) => k !== 'temperatureUnit' && attributes[k] !== null && attributes[k] !== undefined && attributes[k] !== '')
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return keys.map((key) => {
    const raw = attributes[key];
    let value = typeof raw === 'boolean' ? (raw ? 'Yes' : 'No') : String(raw);
    if (UNIT_OF[key] === 'temperature' && typeof raw === 'number') value = `${raw}${unit}`;
    if (UNIT_OF[key] === 'percent' && typeof raw === 'number') value = `${raw} %`;
    return { label: LABEL_OF[key] ?? humanize(key), value };
  });
}

function rank(key: string): number {
  const i = ORDER.indexOf(key);
  return i === -1 ? ORDER.length : i;
}

/** "4 Dec 2026, 16:43 UTC": the server cannot know the reader's time zone, so it says which one it uses. */
export function when(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const day = date.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
  const time = date.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });
  return `${day}, ${time} UTC`;
}

export interface OverviewDevice {
  label: string;
  type: string;
  summary: string | undefined;
  href: string;
}

export function devicesOverviewPage(input: { title: string; devices: OverviewDevice[]; links: DeviceLinks; notice: string | undefined }): string {
  return page(
    `Your ${input.title} devices`,
    html`${EXTRA_STYLE}<h1>Your ${input.title} devices</h1>
${input.notice ? html`<p class="notice" role="status">${input.notice}</p>` : ''}
${
  input.devices.length === 0
    ? html`<p class="muted">No devices are synced yet. <a href="${input.links.setup}">Choose the devices to keep in sync</a>.</p>`
    : html`<p>These devices are kept in sync. Open one to see its state, rename it or control it.</p>
<ul class="list">
${input.devices.map((d) => html`<li><a href="${d.href}"><strong>${d.label}</strong></a> <span class="muted">${d.type}${d.summary ? html` · ${d.summary}` : ''}</span></li>
`)}
</ul>`
}
<footer><p><a href="${input.links.setup}">Change which devices are synced</a> · <a href="${input.links.apps}">Apps with access to your devices</a></p></footer>`,
  );
}

function field(f: CommandField, i: number, id: string) {
  const name = `arg${i}`;
  if (f.kind === 'number') {
    return html`<label class="field" for="${id}">${f.label}<input id="${id}" type="number" name="${name}" inputmode="decimal" step="${f.step}"${f.min !== undefined ? html` min="${f.min}"` : ''}${f.max !== undefined ? html` max="${f.max}"` : ''}${f.value !== undefined ? html` value="${f.value}"` : ''} required></label>`;
  }
  if (f.kind === 'choice') {
    return html`<label class="field" for="${id}">${f.label}<select id="${id}" name="${name}" required>
${f.options.map((o) => html`<option value="${o}"${o === f.value ? html` selected` : ''}>${o}</option>`)}
</select></label>`;
  }
  return html`<label class="field" for="${id}">${f.label}<input id="${id}" type="text" name="${name}" maxlength="${f.maxLength}"${f.value !== undefined ? html` value="${f.value}"` : ''}></label>`;
}

export function devicePage(input: {
  title: string;
  device: { label: string; name: string; type: string; attributes: Readonly<Record<string, unknown>>; updatedAt: string };
  commands: CommandForm[];
  /** Where the forms post: `${base}/label`, `${base}/commands/<name>`. */
  base: string;
  auth: FormAuth;
  links: DeviceLinks;
  notice?: string | undefined;
  error?: string | undefined;
  /** The label the person typed, shown back when it was refused. */
  labelInput?: string | undefined;
  /** The installation cannot run commands now (not linked). */
  commandsUnavailable?: string | undefined;
}): string {
  const { device } = input;
  const rows = stateRows(device.attributes);
  return page(
    device.label,
    html`${EXTRA_STYLE}<nav class="back"><a href="${input.links.overview}">← All your ${input.title} devices</a></nav>
<h1>${device.label}</h1>
<p class="muted">${device.type} at ${input.title}${device.label !== device.name ? html` · ${input.title} calls it “${device.name}”` : ''}</p>
${input.notice ? html`<p class="notice" role="status">${input.notice}</p>` : ''}
${input.error ? html`<p class="error" role="alert">${input.error}</p>` : ''}
<h2>Current state</h2>
${
  rows.length === 0
    ? html`<p class="muted">No readings yet.</p>`
    : html`<dl class="state">${rows.map((r) => html`<dt>${r.label}</dt><dd>${r.value}</dd>`)}</dl>`
}
<p class="muted">Last updated <time datetime="${device.updatedAt}">${when(device.updatedAt)}</time></p>
<h2>Name</h2>
<form class="rename" method="post" action="${input.base}/label">
${hidden(input.auth)}
<div class="row"><label class="field" for="label">Your name for this device<input id="label" type="text" name="label" value="${input.labelInput ?? device.label}" maxlength="100" required autocomplete="off"></label>
<button type="submit">Rename</button></div>
</form>
${
  input.commands.length === 0
    ? ''
    : html`<h2>Control</h2>
${input.commandsUnavailable ? html`<p class="muted">${input.commandsUnavailable}</p>` : ''}
${input.commands.map(
  (c) => html`<form class="command" method="post" action="${input.base}/commands/${c.name}">
${hidden(input.auth)}
<div class="row">${c.fields.map((f, i) => field(f, i, `${c.name}-${i}`))}<button type="submit"${input.commandsUnavailable ? html` disabled` : ''}>${c.title}</button></div>
</form>
`,
)}`
}
<footer><p><a href="${input.links.overview}">Done</a> · <a href="${input.links.apps}">Apps with access to your devices</a></p></footer>`,
  );
}

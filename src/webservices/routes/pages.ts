import { html, page, SafeHtml } from '../../runtime';
import { EXECUTE_DEVICES, READ_DEVICES, type Scope } from '../scopes';

// Consent pages of the authorization endpoint. Plain forms (no JavaScript), every value escaped by
// the `html` tag, styled by the same sheet as the linking pages.

export const SCOPE_TEXT: Record<Scope, string> = {
  [READ_DEVICES]: 'See the devices you choose and their current state',
  [EXECUTE_DEVICES]: 'Control the devices you choose',
};

const EXTRA_STYLE = new SafeHtml(`<style>
  form.stack label.field { display: block; margin: 0 0 .9rem; font-weight: 600; }
  form.stack input[type=text], form.stack input[type=password] { display: block; width: 100%; margin-top: .3rem; padding: .55rem .7rem; border: 1px solid #c9d1d9; border-radius: 8px; font: inherit; }
  .error { background: #fde8e8; color: #9b1c1c; padding: .6rem .8rem; border-radius: 8px; }
  .actions { display: flex; gap: .75rem; flex-wrap: wrap; }
  ul.scopes { margin: 0 0 1.25rem; padding-left: 1.2rem; }
</style>`);

function frame(title: string, clientName: string, body: SafeHtml): string {
  return page(
    title,
    html`${EXTRA_STYLE}<p class="muted">Authorizing <strong>${clientName}</strong></p>
${body}`,
  );
}

const notice = (text: string | undefined) => (text ? html`<p class="error" role="alert">${text}</p>` : '');

/** `request` is the sealed pending authorization: the form's only state (nothing is stored before sign-in). */
export function loginPage(input: { clientName: string; request: string; error?: string | undefined; username?: string | undefined }): string {
  return frame(
    'Sign in',
    input.clientName,
    html`<h1>Sign in</h1>
<p><strong>${input.clientName}</strong> wants access to some of your devices. Sign in to choose which.</p>
${notice(input.error)}
<form class="stack" method="post" action="/oauth/authorize/login">
<input type="hidden" name="request" value="${input.request}">
<label class="field">Username <input type="text" name="username" value="${input.username ?? ''}" autocomplete="username" required autofocus></label>
<label class="field">Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>`,
  );
}

export function locationPage(input: { clientName: string; csrf: string; username: string; locations: { id: string; name: string }[] }): string {
  if (input.locations.length === 0) {
    return frame(
      'No locations',
      input.clientName,
      html`<h1>No locations</h1>
<p>Signed in as <strong>${input.username}</strong>, but this account has no locations to share.</p>`,
    );
  }
  return frame(
    'Choose a location',
    input.clientName,
    html`<h1>Choose a location</h1>
<p>Signed in as <strong>${input.username}</strong>. Which location's devices should <strong>${input.clientName}</strong> see?</p>
<form method="post" action="/oauth/authorize/location">
<input type="hidden" name="csrf" value="${input.csrf}">
<ul class="devices">
${input.locations.map((l) => html`<li><label><input type="radio" name="locationId" value="${l.id}" required> ${l.name}</label></li>
`)}
</ul>
<button type="submit">Next</button>
</form>`,
  );
}

export interface DeviceOption {
  id: string;
  label: string;
  type: string;
  source: string;
}

export function devicesPage(input: {
  clientName: string;
  csrf: string;
  location: { name: string };
  scopes: Scope[];
  devices: DeviceOption[];
  error?: string | undefined;
}): string {
  const list =
    input.devices.length === 0
      ? html`<p class="muted">There are no devices at ${input.location.name} yet. You can deny this request.</p>`
      : html`<ul class="devices">
${input.devices.map(
  // Nothing is preselected: the user opts in to each device.
  (d) => html`<li><label><input type="checkbox" name="devices" value="${d.id}"> <strong>${d.label}</strong> <span class="muted">${d.type} · ${d.source}</span></label></li>
`,
)}
</ul>`;
  return frame(
    'Choose devices',
    input.clientName,
    html`<h1>Choose devices at ${input.location.name}</h1>
<p><strong>${input.clientName}</strong> will be able to:</p>
<ul class="scopes">${input.scopes.map((s) => html`<li>${SCOPE_TEXT[s]}</li>`)}</ul>
${notice(input.error)}
<form method="post" action="/oauth/authorize/consent">
<input type="hidden" name="csrf" value="${input.csrf}">
${list}
<div class="actions">
${input.devices.length > 0 ? html`<button type="submit" name="decision" value="allow">Authorize</button>` : ''}
<button type="submit" name="decision" value="deny" class="secondary" formnovalidate>Deny</button>
</div>
</form>`,
  );
}

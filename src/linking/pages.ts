import { html, page } from '../runtime';

export interface DeviceChoice {
  externalId: string;
  name: string;
  type: string;
  selected: boolean;
  /** A child device exists for it: the platform is keeping it in sync. */
  synced: boolean;
  /** Current attributes when it is a child device already. */
  summary: string | undefined;
}

export interface SetupForm {
  action: string;
  appId: string;
  accessToken: string;
  devices: DeviceChoice[] | undefined;
  notice: string | undefined;
  /** The synced devices' own pages, and the apps with access to them. */
  devicesUrl: string;
  appsUrl: string;
}

function deviceForm(form: SetupForm) {
  if (form.devices === undefined) {
    return html`<p class="muted">Your devices could not be listed just now. Reload this page to try again.</p>`;
  }
  if (form.devices.length === 0) return html`<p class="muted">No devices were found in this account.</p>`;
  return html`<form method="post" action="${form.action}">
<input type="hidden" name="appId" value="${form.appId}">
<input type="hidden" name="access_token" value="${form.accessToken}">
<p>Choose the devices to keep in sync:</p>
<ul class="devices">
${form.devices.map(
  (d) => html`<li><label><input type="checkbox" name="devices" value="${d.externalId}"${d.selected ? html` checked` : ''}><span><strong>${d.name}</strong> <span class="muted">${d.type}</span></span>${d.synced ? html`<span class="tag">Synced</span>` : html`<span></span>`}${d.summary ? html`<span class="muted reading">${d.summary}</span>` : ''}</label></li>
`,
)}
</ul>
<div class="actions"><button type="submit">Done</button></div>
</form>`;
}

/** Said wherever a page that leads to linking was opened by another website. */
function anotherSiteWarning(title: string, fromAnotherSite: boolean) {
  if (!fromAnotherSite) return '';
  return html`<p class="error" role="alert">This page was opened from another website. Only connect an account if you started connecting ${title} from the SmartThings app yourself, just now.</p>`;
}

export function setupPage(input: {
  title: string;
  status: 'pending' | 'linked' | 'reauth_required';
  connectUrl: string;
  form?: SetupForm;
  /** The page was reached from another site: its Connect link would link into this installation. */
  fromAnotherSite?: boolean;
}): string {
  const { title, status, connectUrl } = input;
  const warning = anotherSiteWarning(title, input.fromAnotherSite === true);
  if (status === 'linked') {
    return page(
      `${title}: connected`,
      html`<h1>Your ${title} account</h1>
<p><span class="status ok">Connected</span></p>
${warning}
${input.form?.notice ? html`<p class="notice" role="status">${input.form.notice}</p>` : ''}
${input.form ? deviceForm(input.form) : ''}
${input.form ? html`<p><a href="${input.form.devicesUrl}">Your synced devices</a> · <a href="${input.form.appsUrl}">Apps with access to your devices</a></p>` : ''}
<footer><p class="muted">Signed in to the wrong account? <a href="${connectUrl}">Link a different account</a></p></footer>`,
    );
  }
  if (status === 'reauth_required') {
    return page(
      `${title}: reconnect`,
      html`<h1>${title}</h1>
<p><span class="status warn">Needs your attention</span></p>
${warning}
<p>${title} no longer accepts our access to your account. Sign in again to resume syncing; your devices are kept.</p>
<p><a class="button" href="${connectUrl}">Reconnect</a></p>`,
    );
  }
  return page(
    `Connect to ${title}`,
    html`<h1>Connect to ${title}</h1>
<p><span class="status pending">Not connected</span></p>
${warning}
<p>You will be sent to ${title} to sign in and allow access, then brought back here.</p>
<p><a class="button" href="${connectUrl}">Connect to ${title}</a></p>`,
  );
}

export function successPage(input: { title: string; setupUrl: string | undefined }): string {
  return page(
    'Account connected',
    html`<h1>Your account is now connected</h1>
<p><span class="status ok">Connected</span></p>
${
  input.setupUrl
    ? html`<p>Your ${input.title} account is linked. Next, choose which of its devices to keep in sync.</p>
<div class="actions"><a class="button" href="${input.setupUrl}">Choose devices</a></div>`
    : html`<p>Your ${input.title} account is linked. You can close this window.</p>`
}`,
  );
}

/**
 * Shown instead of the redirect to the provider when initialize was reached from another site:
 * a page there could otherwise send a signed-in person through linking into someone else's
 * installation. The person sees what would be linked, and only this form's POST starts it.
 */
export function confirmLinkingPage(input: {
  title: string;
  installationId: string;
  locationId: string;
  action: string;
  appId: string;
  accessToken: string;
  csrf: string;
}): string {
  const { title } = input;
  return page(
    `Connect ${title}?`,
    html`<h1>Connect your ${title} account?</h1>
<p>This page was opened from another website. Continuing sends you to ${title} to sign in, and links the ${title} account you sign in with to this SmartThings installation:</p>
<ul>
<li>Location: <code>${input.locationId}</code></li>
<li>Installation: <code>${input.installationId}</code></li>
</ul>
<p><strong>Only continue if you started connecting ${title} from the SmartThings app yourself, just now.</strong> If you did not, close this page: nothing has been changed.</p>
<form method="post" action="${input.action}">
<input type="hidden" name="appId" value="${input.appId}">
<input type="hidden" name="access_token" value="${input.accessToken}">
<input type="hidden" name="csrf" value="${input.csrf}">
<div class="actions"><button type="submit">Continue to ${title}</button></div>
</form>`,
  );
}

import { html, page } from './html';

export function setupPage(input: {
  title: string;
  status: 'pending' | 'linked' | 'reauth_required';
  connectUrl: string;
}): string {
  const { title, status, connectUrl } = input;
  if (status === 'linked') {
    return page(
      `${title}: connected`,
      html`<h1>${title}</h1>
<p><span class="status ok">Connected</span></p>
<p>Your ${title} account is linked. Your devices are kept in sync.</p>
<p><a class="button secondary" href="${connectUrl}">Link a different account</a></p>`,
    );
  }
  if (status === 'reauth_required') {
    return page(
      `${title}: reconnect`,
      html`<h1>${title}</h1>
<p><span class="status warn">Needs your attention</span></p>
<p>${title} no longer accepts our access to your account. Sign in again to resume syncing; your devices are kept.</p>
<p><a class="button" href="${connectUrl}">Reconnect</a></p>`,
    );
  }
  return page(
    `Connect to ${title}`,
    html`<h1>Connect to ${title}</h1>
<p><span class="status pending">Not connected</span></p>
<p>You will be sent to ${title} to sign in and allow access, then brought back here.</p>
<p><a class="button" href="${connectUrl}">Connect to ${title}</a></p>`,
  );
}

export function successPage(input: { title: string; setupUrl: string | undefined }): string {
  return page(
    'Account connected',
    html`<h1>Your account is now connected</h1>
<p><span class="status ok">Connected</span></p>
<p>Your ${input.title} account is linked. You can close this window.</p>
${input.setupUrl ? html`<p><a class="button secondary" href="${input.setupUrl}">Back to setup</a></p>` : ''}`,
  );
}

export function failurePage(input: { reason: string; requestId: string | undefined; linking: boolean }): string {
  const heading = input.linking ? 'There was an error connecting your account' : 'Something went wrong';
  return page(
    input.linking ? 'Connection failed' : 'Error',
    html`<h1>${heading}</h1>
${input.linking ? html`<p><span class="status error">Not connected</span></p>` : ''}
<p>${input.reason}</p>
${input.linking ? html`<p>Please try again from the setup page.</p>` : ''}
${input.requestId ? html`<p class="muted">Reference: ${input.requestId}</p>` : ''}`,
  );
}

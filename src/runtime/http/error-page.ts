import type { ErrorPageContext } from './context';
import { html, page } from './html';

const STATUS_BADGE = {
  linked: html`<p><span class="status ok">Connected</span></p>`,
  reauth_required: html`<p><span class="status warn">Needs your attention</span></p>`,
  pending: html`<p><span class="status pending">Not connected</span></p>`,
} as const;

/**
 * The error page every browser flow shows (rendered by the error handler, one place). A linking
 * failure says what it did to the link: nothing, when the installation is still connected (a
 * replayed callback, a declined consent), and shows no status at all when it cannot tell.
 */
export function failurePage(input: { reason: string; requestId: string | undefined; linking: boolean; context?: ErrorPageContext | undefined }): string {
  const status = input.context?.linkStatus;
  const back = input.context?.back ?? (input.linking ? undefined : { href: '/', label: 'Go to the start page' });
  let heading = 'Something went wrong';
  if (input.linking) {
    heading = status === 'linked' ? 'Nothing was changed' : status === undefined ? 'This sign-in could not be completed' : 'Your account could not be connected';
  }
  return page(
    input.linking ? 'Connection failed' : 'Error',
    html`<h1>${heading}</h1>
${input.linking && status ? STATUS_BADGE[status] : ''}
<p>${input.reason}</p>
${input.linking && status === 'linked' ? html`<p>Your account is still connected, and keeps syncing as before.</p>` : ''}
${input.linking && status !== 'linked' && !back ? html`<p>Please start again from the setup page in the app.</p>` : ''}
${back ? html`<div class="actions"><a class="button secondary" href="${back.href}">${back.label}</a></div>` : ''}
${input.requestId ? html`<p class="muted">Reference: ${input.requestId}</p>` : ''}`,
  );
}

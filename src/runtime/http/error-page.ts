import { html, page } from './html';

/** The error page every browser flow shows (rendered by the error handler, one place). */
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

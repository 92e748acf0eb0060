import { html, page } from '../runtime';

export function adminLoginPage(input: { action: string; error?: string }): string {
  return page(
    'Operator sign-in',
    html`<h1>Operator sign-in</h1>
<p class="muted">The operator pages (installations, queue dashboard) need the deployment's admin token (<code>ADMIN_TOKEN</code>).</p>
${input.error ? html`<p class="error" role="alert">${input.error}</p>` : ''}
<form method="post" action="${input.action}">
<label class="field">Admin token<input type="password" name="token" autocomplete="current-password" required autofocus></label>
<div class="actions"><button type="submit">Sign in</button></div>
</form>`,
  );
}

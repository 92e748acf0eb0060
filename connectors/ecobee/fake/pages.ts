/**
 * The HTML the fake's /authorize shows: a sign-in form and an error page. Everything rendered is
 * escaped, since every value comes from the query string. readLoginForm() is the inverse that
 * FakeEcobee.approve() uses instead of a browser.
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ENTITIES[ch] ?? ch);
}

function unescapeHtml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (entity) => {
    const found = Object.entries(ENTITIES).find(([, escaped]) => escaped === entity);
    return found ? found[0] : entity;
  });
}

const SCOPE_LABELS: Record<string, string> = {
  smartRead: 'See your thermostats and their readings',
  smartWrite: 'Change your thermostats’ settings',
  ems: 'Manage energy-management thermostats',
};

const STYLE = `
  *{box-sizing:border-box}
  body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
       font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f2f4f5;color:#1d1d1f}
  main{width:min(380px,92vw);background:#fff;border-radius:14px;padding:28px 28px 22px;
       box-shadow:0 8px 30px rgba(0,0,0,.08)}
  .brand{font-weight:800;font-size:26px;letter-spacing:-.5px;margin:0 0 4px}
  .brand span{color:#3fae49}
  h1{font-size:18px;font-weight:600;margin:0 0 16px}
  .request{background:#f6f8f9;border-radius:8px;padding:10px 12px;margin:0 0 16px;font-size:13px}
  .request ul{margin:6px 0 0;padding-left:18px}
  code{font-size:12px;overflow-wrap:anywhere;background:#e9edf0;border-radius:4px;padding:0 4px}
  label{display:block;font-size:13px;font-weight:600;margin:0 0 12px}
  input[type=text],input[type=password]{display:block;width:100%;margin-top:4px;padding:9px 10px;
       font:inherit;border:1px solid #c9cfd3;border-radius:8px}
  .actions{display:flex;gap:10px;margin-top:18px}
  button{flex:1;padding:10px;font:inherit;font-weight:600;border-radius:8px;border:1px solid #1d1d1f;cursor:pointer}
  button[value=accept]{background:#1d1d1f;color:#fff}
  button[value=decline]{background:#fff;color:#1d1d1f}
  .error{color:#b3261e;background:#fdecea;border-radius:8px;padding:8px 12px;margin:0 0 14px}
  footer{margin-top:16px;font-size:11px;color:#7a8187;text-align:center}`;

function layout(body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>ecobee — Sign in</title><style>${STYLE}</style></head>
<body><main><p class="brand">eco<span>bee</span></p>${body}
<footer>Fake ecobee cloud for local development</footer></main></body></html>`;
}

export interface LoginPageInput {
  /** The authorize request, carried through the form as hidden fields. */
  hidden: Record<string, string>;
  clientId: string;
  scope: string;
  username?: string;
  error?: string;
}

export function loginPage(input: LoginPageInput): string {
  const scopes = input.scope
    .split(',')
    .filter((s) => s !== '')
    .map((s) => `<li>${escapeHtml(SCOPE_LABELS[s] ?? s)} <code>${escapeHtml(s)}</code></li>`)
    .join('');
  const hidden = Object.entries(input.hidden)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  const error = input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : '';
  return layout(`<h1>Sign in</h1>
<div class="request">The application <code>${escapeHtml(input.clientId)}</code> asks to:<ul>${scopes}</ul></div>
${error}<form method="post" action="/authorize">
${hidden}
<label>Email<input type="text" inputmode="email" name="username" autocomplete="username" value="${escapeHtml(input.username ?? '')}"></label>
<label>Password<input type="password" name="password" autocomplete="current-password"></label>
<div class="actions"><button type="submit" name="decision" value="accept">Accept</button><button type="submit" name="decision" value="decline">Decline</button></div>
</form>`);
}

export function errorPage(message: string): string {
  return layout(`<h1>Something went wrong</h1><p class="error" role="alert">${escapeHtml(message)}</p>`);
}

/** Reads back what loginPage() rendered: the form's action and its hidden fields. */
export function readLoginForm(page: string): { action: string; fields: URLSearchParams } | undefined {
  const action = /<form method="post" action="([^"]*)">/.exec(page)?.[1];
  if (action === undefined) return undefined;
  const fields = new URLSearchParams();
  for (const match of page.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    fields.set(unescapeHtml(match[1] ?? ''), unescapeHtml(match[2] ?? ''));
  }
  return { action: unescapeHtml(action), fields };
}

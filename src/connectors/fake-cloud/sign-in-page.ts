/**
 * The HTML a fake cloud's authorize endpoint shows: a sign-in form with the consent buttons, and
 * an error page, in the cloud's colours. Everything rendered is escaped, since every value comes
 * from the query string. readLoginForm() is the inverse that approveInBrowser() uses.
 */
import escapeHtml from 'escape-html';

export interface SignInBrand {
  /** The cloud's name as it writes it, for the title and footer: 'ecobee', 'Netatmo'. */
  name: string;
  /** The wordmark in two parts, the second in the accent colour: ['eco', 'bee']. */
  wordmark: readonly [string, string];
  colors: {
    page: string;
    ink: string;
    accent: string;
    /** Background of the box that says what the application asks for. */
    panel: string;
    /** Background of `code` chips. */
    chip: string;
    /** Input borders. */
    line: string;
    /** The footer. */
    muted: string;
  };
}

export interface SignInPageOptions {
  brand: SignInBrand;
  heading: string;
  /** Where the form posts: the authorize endpoint's path. */
  action: string;
  /** How the cloud separates scopes in the `scope` parameter. */
  scopeSeparator: string;
  /** What each scope lets the application do, in the user's words. */
  scopeLabels: Readonly<Record<string, string>>;
  declineLabel: string;
}

export interface LoginPageInput {
  /** The authorize request, carried through the form as hidden fields. */
  hidden: Record<string, string>;
  clientId: string;
  scope: string;
  username?: string;
  error?: string;
}

export interface SignInPages {
  login(input: LoginPageInput): string;
  error(message: string): string;
}

/** The entities escape-html writes, for reading our own pages back. */
const UNESCAPED: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

function unescapeHtml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (entity) => UNESCAPED[entity] ?? entity);
}

function style({ colors: c }: SignInBrand): string {
  return `
  *{box-sizing:border-box}
  body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
       font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:${c.page};color:${c.ink}}
  main{width:min(380px,92vw);background:#fff;border-radius:14px;padding:28px 28px 22px;
       box-shadow:0 8px 30px rgba(0,0,0,.08)}
  .brand{font-weight:800;font-size:26px;letter-spacing:-.5px;margin:0 0 4px}
  .brand span{color:${c.accent}}
  h1{font-size:18px;font-weight:600;margin:0 0 16px}
  .request{background:${c.panel};border-radius:8px;padding:10px 12px;margin:0 0 16px;font-size:13px}
  .request ul{margin:6px 0 0;padding-left:18px}
  code{font-size:12px;overflow-wrap:anywhere;background:${c.chip};border-radius:4px;padding:0 4px}
  label{display:block;font-size:13px;font-weight:600;margin:0 0 12px}
  input[type=text],input[type=password]{display:block;width:100%;margin-top:4px;padding:9px 10px;
       font:inherit;border:1px solid ${c.line};border-radius:8px}
  .actions{display:flex;gap:10px;margin-top:18px}
  button{flex:1;padding:10px;font:inherit;font-weight:600;border-radius:8px;border:1px solid ${c.ink};cursor:pointer}
  button[value=accept]{background:${c.ink};color:#fff}
  button[value=decline]{background:#fff;color:${c.ink}}
  .error{color:#b3261e;background:#fdecea;border-radius:8px;padding:8px 12px;margin:0 0 14px}
  footer{margin-top:16px;font-size:11px;color:${c.muted};text-align:center}`;
}

export function createSignInPages(opts: SignInPageOptions): SignInPages {
  const { brand } = opts;
  const css = style(brand);
  const layout = (body: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(brand.name)} — Sign in</title><style>${css}</style></head>
<body><main><p class="brand">${escapeHtml(brand.wordmark[0])}<span>${escapeHtml(brand.wordmark[1])}</span></p>${body}
<footer>Fake ${escapeHtml(brand.name)} cloud for local development</footer></main></body></html>`;

  return {
    login(input) {
      const scopes = input.scope
        .split(opts.scopeSeparator)
        .filter((s) => s !== '')
        .map((s) => `<li>${escapeHtml(opts.scopeLabels[s] ?? s)} <code>${escapeHtml(s)}</code></li>`)
        .join('');
      const hidden = Object.entries(input.hidden)
        .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
        .join('\n');
      const error = input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : '';
      return layout(`<h1>${escapeHtml(opts.heading)}</h1>
<div class="request">The application <code>${escapeHtml(input.clientId)}</code> asks to:<ul>${scopes || '<li>See and control your devices</li>'}</ul></div>
${error}<form method="post" action="${escapeHtml(opts.action)}">
${hidden}
<label>Email<input type="text" inputmode="email" name="username" autocomplete="username" value="${escapeHtml(input.username ?? '')}"></label>
<label>Password<input type="password" name="password" autocomplete="current-password"></label>
<div class="actions"><button type="submit" name="decision" value="accept">Accept</button><button type="submit" name="decision" value="decline">${escapeHtml(opts.declineLabel)}</button></div>
</form>`);
    },
    error(message) {
      return layout(`<h1>Something went wrong</h1><p class="error" role="alert">${escapeHtml(message)}</p>`);
    },
  };
}

/** Reads back what a login page rendered: the form's action and its hidden fields. */
export function readLoginForm(page: string): { action: string; fields: URLSearchParams } | undefined {
  const action = /<form method="post" action="([^"]*)">/.exec(page)?.[1];
  if (action === undefined) return undefined;
  const fields = new URLSearchParams();
  for (const match of page.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    fields.set(unescapeHtml(match[1] ?? ''), unescapeHtml(match[2] ?? ''));
  }
  return { action: unescapeHtml(action), fields };
}

/** The message of an error page, for exceptions that quote it. */
export function pageError(page: string): string {
  return /<p class="error" role="alert">([^<]*)<\/p>/.exec(page)?.[1] ?? page.slice(0, 200);
}

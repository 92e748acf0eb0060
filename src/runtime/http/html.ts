import escapeHtml from 'escape-html';

/** Markup that is already safe; everything else interpolated into `html` is escaped. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Interpolation = SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** Tagged template that escapes every interpolation (so a forgotten escape is impossible). */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

const STYLE = `
  :root { color-scheme: light; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f4f6f8; color: #1d2329; }
  main { width: min(34rem, calc(100% - 2rem)); margin: clamp(1rem, 8vh, 4rem) auto; background: #fff; border-radius: 12px; padding: clamp(1.25rem, 5vw, 2rem) clamp(1.25rem, 5vw, 2.25rem); box-shadow: 0 1px 3px rgba(0,0,0,.08), 0 8px 24px rgba(0,0,0,.05); overflow-wrap: anywhere; }
  h1 { font-size: 1.4rem; line-height: 1.3; margin: 0 0 .75rem; }
  h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
  p { margin: 0 0 1rem; }
  main > :last-child, form > :last-child { margin-bottom: 0; }
  a { color: #1f6feb; }
  .status { display: inline-block; padding: .15rem .6rem; border-radius: 999px; font-size: .85rem; font-weight: 600; }
  .status.ok { background: #e3f6e8; color: #1b6b34; }
  .status.warn { background: #fff4e0; color: #8a5300; }
  .status.pending { background: #e8eef6; color: #2b4a75; }
  .status.error { background: #fde8e8; color: #9b1c1c; }
  .notice { background: #e3f6e8; color: #1b6b34; border-radius: 8px; padding: .6rem .9rem; font-weight: 600; }
  a.button, button { display: inline-block; background: #1f6feb; color: #fff; border: 0; border-radius: 8px; padding: .6rem 1.1rem; font: inherit; font-weight: 600; text-decoration: none; cursor: pointer; }
  a.button:hover, button:hover { background: #1a5fcc; }
  a.button.secondary, button.secondary { background: #e8eef6; color: #1d2329; }
  a.button.secondary:hover, button.secondary:hover { background: #dce4ef; }
  .actions { display: flex; flex-wrap: wrap; gap: .75rem; align-items: center; margin: 0 0 1rem; }
  .muted { color: #5b6670; font-size: .9rem; }
  footer { border-top: 1px solid #eef1f4; margin-top: 1.5rem; padding-top: 1rem; }
  footer p { margin: 0; }
  ul.devices { list-style: none; padding: 0; margin: 0 0 1.25rem; border-top: 1px solid #eef1f4; }
  ul.devices li { border-bottom: 1px solid #eef1f4; }
  ul.devices label { display: grid; grid-template-columns: auto 1fr auto; gap: .15rem .75rem; align-items: baseline; padding: .65rem .25rem; }
  ul.devices input { margin: 0; align-self: center; width: 1.1rem; height: 1.1rem; }
  ul.devices .reading { grid-column: 2 / -1; }
  .tag { font-size: .75rem; font-weight: 600; padding: .05rem .5rem; border-radius: 999px; background: #e3f6e8; color: #1b6b34; white-space: nowrap; }
  label { cursor: pointer; }
  label.field { display: block; font-weight: 600; margin: 0 0 1rem; }
  label.field input { display: block; width: 100%; margin-top: .35rem; padding: .55rem .7rem; font: inherit; font-weight: 400; border: 1px solid #c9d1d9; border-radius: 8px; }
  .error { background: #fde8e8; color: #9b1c1c; border-radius: 8px; padding: .6rem .9rem; }
  code { font-size: .9em; background: #eef1f4; border-radius: 4px; padding: 0 .3rem; }
  a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #1f6feb; outline-offset: 2px; }
`;

export function page(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${new SafeHtml(STYLE)}</style>
</head>
<body><main>${body}</main></body>
</html>`.value;
}

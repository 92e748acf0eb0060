/** The scopes an external system can hold. `app` is shorthand for both (SmartThings' API Access Apps). */
export const READ_DEVICES = 'r:devices:*';
export const EXECUTE_DEVICES = 'x:devices:*';
export const SCOPES = [READ_DEVICES, EXECUTE_DEVICES] as const;
export type Scope = (typeof SCOPES)[number];
export const REQUESTABLE_SCOPES = [...SCOPES, 'app'] as const;

export type ScopeResult = { ok: true; scopes: Scope[] } | { ok: false };

/**
 * RFC 6749 §3.3: space-delimited, order-insensitive, case-sensitive. Unknown tokens are an error
 * rather than silently dropped, so a client learns at once that it asked for something we lack.
 * The result is canonical (sorted, deduplicated, `app` expanded).
 */
export function parseScope(raw: string): ScopeResult {
  const parts = raw.split(' ').filter((p) => p !== '');
  if (parts.length === 0 || raw !== raw.trim() || /\s\s|[\t\r\n]/.test(raw)) return { ok: false };
  const out = new Set<Scope>();
  for (const part of parts) {
    if (part === 'app') SCOPES.forEach((s) => out.add(s));
    else if ((SCOPES as readonly string[]).includes(part)) out.add(part as Scope);
    else return { ok: false };
  }
  return { ok: true, scopes: SCOPES.filter((s) => out.has(s)) };
}

/** Canonical scopes from a list of registered scope names (already validated). */
export function expandScopes(names: readonly string[]): Scope[] {
  const parsed = parseScope(names.join(' '));
  return parsed.ok ? parsed.scopes : [];
}

export function isSubset(requested: readonly Scope[], allowed: readonly Scope[]): boolean {
  return requested.every((s) => allowed.includes(s));
}

export function formatScope(scopes: readonly Scope[]): string {
  return scopes.join(' ');
}

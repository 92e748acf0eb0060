/**
 * One query parameter, as Koa's `ctx.query[name]` would give it when it is a single string:
 * undefined when absent or repeated. Koa builds the whole query object (URLSearchParams plus a
 * defineProperty per key) on first access, about 5 µs per webhook callback under load; callbacks
 * only need their `access_token`. A query string without escapes is scanned as is; one with `%` or
 * `+` goes through URLSearchParams for the exact decoding rules.
 */
export function singleQueryParam(query: string, name: string): string | undefined {
  if (query.includes('%') || query.includes('+')) {
    const all = new URLSearchParams(query).getAll(name);
    return all.length === 1 ? all[0] : undefined;
  }
  let found: string | undefined;
  // As URLSearchParams does, one leading '?' is not part of the first name.
  let start = query.startsWith('?') ? 1 : 0;
  while (start <= query.length) {
    let end = query.indexOf('&', start);
    if (end === -1) end = query.length;
    const eq = query.indexOf('=', start);
    const keyEnd = eq !== -1 && eq < end ? eq : end;
    if (keyEnd - start === name.length && query.startsWith(name, start)) {
      if (found !== undefined) return undefined;
      found = keyEnd === end ? '' : query.slice(keyEnd + 1, end);
    }
    start = end + 1;
  }
  return found;
}

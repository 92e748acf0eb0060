/**
 * A metric's labelled children, kept: on a hot path `.labels(...)` would build, validate and hash
 * a label object on every call; this is one map lookup. Only for bounded label values (route
 * patterns, fixed outcomes), since every combination seen stays in the map.
 */
export function labelledChildren<C>(labels: (...values: string[]) => C): (...values: string[]) => C {
  const children = new Map<string, C>();
  return (...values) => {
    const key = values.join('\u0000');
    let child = children.get(key);
    if (child === undefined) {
      child = labels(...values);
      children.set(key, child);
    }
    return child;
  };
}

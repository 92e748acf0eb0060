/**
 * The namespace every Redis key lives under, so several deployments (or test runs) can share one
 * server. Key names themselves are built by each record family beside its repository (e.g.
 * platform/installation-keys.ts, used only by installation-store.ts), so a change to the layout of
 * one family (Cluster hash tags per installation partition) is one change in one file. Keys that
 * belong to one installation contain `inst:{id}` so "no key names the installation" is checkable
 * after uninstall.
 */
export interface Keys {
  readonly prefix: string;
  /** Prefix handed to BullMQ for its own keys. */
  readonly bullPrefix: string;
}

export function createKeys(prefix: string): Keys {
  return { prefix, bullPrefix: `${prefix}:bull` };
}

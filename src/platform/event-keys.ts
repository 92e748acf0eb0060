/** Key names of the event log: one stream per installation and the platform-wide one (event-log.ts only). */
export function eventKeys(prefix: string) {
  const p = prefix;
  return {
    installationEvents: (id: string) => `${p}:inst:${id}:events`,
    globalEvents: () => `${p}:events`,
  };
}

export type EventKeys = ReturnType<typeof eventKeys>;

/** Key names of named admin API keys (api-keys.ts only): the record and the listing index. */
export function apiKeyKeys(prefix: string) {
  const p = prefix;
  return {
    apiKey: (id: string) => `${p}:api-key:${id}`,
    apiKeys: () => `${p}:index:api-keys`,
  };
}

export type ApiKeyKeys = ReturnType<typeof apiKeyKeys>;

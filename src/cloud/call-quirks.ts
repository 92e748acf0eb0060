import type { ConnectorCredentials } from '../runtime';
import { defaultClassify, matchesResponse, type ApiKeyPlacement, type Classification, type CloudRequest, type CloudResponse, type Connector } from '../connectors';

/**
 * The per-call quirks a connector declares as data: a client credential on every call (query or
 * header), and which answers mean an expired token before its own `classify` is asked.
 */
export function withApiKey(request: CloudRequest, placement: ApiKeyPlacement | undefined, credentials: ConnectorCredentials): CloudRequest {
  if (!placement) return request;
  const value = placement.from === 'clientId' ? credentials.clientId : credentials.clientSecret;
  if (value === undefined) return request;
  return placement.in === 'query'
    ? { ...request, query: { ...request.query, [placement.name]: value } }
    : { ...request, headers: { ...request.headers, [placement.name]: value } };
}

export function classifierFor(definition: Pick<Connector, 'classify' | 'tokenExpired'>): (response: CloudResponse) => Classification {
  const classify = definition.classify ?? defaultClassify;
  const expired = definition.tokenExpired;
  if (!expired) return classify;
  return (response) => (matchesResponse(expired, response.status, response.body) ? 'token_expired' : classify(response));
}

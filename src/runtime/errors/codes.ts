/**
 * The one catalogue of error codes. A code's HTTP status and default message live here, as data,
 * so the renderer and the call sites agree. Families: http, auth, oauth, config, cloud.
 */
export const ERROR_CATALOGUE = {
  // http
  bad_request: { status: 400, message: 'The request is invalid.' },
  invalid_json: { status: 400, message: 'The request body is not valid JSON.' },
  unsupported_media_type: { status: 415, message: 'The request body must be JSON.' },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  not_found: { status: 404, message: 'Not found.' },
  method_not_allowed: { status: 405, message: 'Method not allowed.' },
  conflict: { status: 409, message: 'Conflict.' },
  already_installed: { status: 409, message: 'This connector is already installed at this location.' },
  server_error: { status: 500, message: 'Internal server error.' },
  service_unavailable: { status: 503, message: 'A dependency is unavailable; try again shortly.' },
  // A sync lock that expired or was taken over while its holder worked: nothing was written, retry.
  lock_lost: { status: 503, message: 'Another writer took over this installation; try again shortly.' },
  // auth
  unauthorized: { status: 401, message: 'Missing or invalid credentials.' },
  forbidden: { status: 403, message: 'These credentials do not allow this operation.' },
  // oauth linking
  unknown_connector: { status: 404, message: 'Unknown connector.' },
  invalid_state: {
    status: 400,
    message: 'This sign-in link is unknown, expired or was already used. If you have just connected your account, it stays connected: open the setup page from the app to check.',
  },
  state_expired: { status: 400, message: 'The authorization request has expired.' },
  state_mismatch: { status: 400, message: 'The authorization request was started for something else.' },
  browser_mismatch: { status: 400, message: 'The authorization request was started in another browser.' },
  missing_code: { status: 400, message: 'The provider did not return an authorization code.' },
  access_denied: { status: 400, message: 'Access was denied at the provider.' },
  provider_error: { status: 400, message: 'The provider returned an error.' },
  token_exchange_failed: { status: 400, message: 'The provider refused to issue tokens.' },
  not_linked: { status: 409, message: 'The installation is not linked to an account.' },
  // cloud calls
  cloud_unavailable: { status: 502, message: 'The third-party cloud did not answer in time.' },
  cloud_error: { status: 502, message: 'The third-party cloud returned an error.' },
  reauth_required: { status: 409, message: 'The installation must be linked again.' },
  // No configured key opens a stored secret (a key removed too early): the installation must be linked again.
  secret_unreadable: { status: 409, message: 'A stored secret cannot be decrypted with the configured keys.' },
  // A stored record that does not decode (damaged by hand or by a bug): retrying cannot fix it.
  record_unreadable: { status: 500, message: 'A stored record cannot be read.' },
  unknown_command: { status: 400, message: 'Unknown command.' },
  invalid_arguments: { status: 400, message: 'Invalid command arguments.' },
  // A connector threw something untyped (a bug, or a cloud answer it could not read).
  connector_error: { status: 502, message: 'The connector failed to handle the cloud\'s answer.' },
  // web services (the platform as OAuth2 authorization server; RFC 6749 §5.2 / RFC 6750 §3.1 codes)
  invalid_request: { status: 400, message: 'The request is missing a parameter or is malformed.' },
  invalid_client: { status: 401, message: 'Client authentication failed.' },
  invalid_grant: { status: 400, message: 'The grant is invalid, expired, revoked or was issued to another client.' },
  unauthorized_client: { status: 400, message: 'This client may not use this grant type.' },
  unsupported_grant_type: { status: 400, message: 'Unsupported grant type.' },
  unsupported_response_type: { status: 400, message: 'Unsupported response type.' },
  invalid_scope: { status: 400, message: 'The requested scope is invalid or exceeds what the client may ask for.' },
  invalid_token: { status: 401, message: 'The access token is invalid, expired or revoked.' },
  insufficient_scope: { status: 403, message: 'The access token does not grant this operation.' },
  unknown_client: { status: 400, message: 'Unknown client, or a redirect URI that is not registered for it.' },
  authorization_expired: { status: 400, message: 'This authorization request has expired or was already completed. Start again from the application.' },
  csrf_failed: { status: 403, message: 'This form has expired or was not sent by this site. Start again from the application.' },
  too_many_attempts: { status: 429, message: 'Too many failed sign-in attempts. Try again later.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

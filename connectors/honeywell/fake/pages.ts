import { createSignInPages } from '../../../src/connectors/fake-cloud';

/** Honeywell Home's sign-in page: its wordmark and colours; no scopes are asked for (§2). */
export const signInPages = createSignInPages({
  brand: {
    name: 'Honeywell Home',
    wordmark: ['Honeywell', ' Home'],
    colors: { page: '#f1f3f5', ink: '#1a1a1a', accent: '#e4002b', panel: '#f6f7f8', chip: '#e8eaed', line: '#c8ccd1', muted: '#7b8087' },
  },
  heading: 'Sign in to connect your devices',
  action: '/oauth2/authorize',
  scopeSeparator: ' ',
  scopeLabels: {},
  declineLabel: 'Deny',
});

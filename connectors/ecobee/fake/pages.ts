import { createSignInPages } from '../../../src/connectors/fake-cloud';

/** ecobee's sign-in page: its wordmark, colours and scope wording (ecobee-api.md §1.2). */
export const signInPages = createSignInPages({
  brand: {
    name: 'ecobee',
    wordmark: ['eco', 'bee'],
    colors: { page: '#f2f4f5', ink: '#1d1d1f', accent: '#3fae49', panel: '#f6f8f9', chip: '#e9edf0', line: '#c9cfd3', muted: '#7a8187' },
  },
  heading: 'Sign in',
  action: '/authorize',
  scopeSeparator: ',',
  scopeLabels: {
    smartRead: 'See your thermostats and their readings',
    smartWrite: 'Change your thermostats’ settings',
    ems: 'Manage energy-management thermostats',
  },
  declineLabel: 'Decline',
});

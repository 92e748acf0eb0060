import { createSignInPages } from '../../../src/connectors/fake-cloud';

/** Netatmo's sign-in page: its wordmark, colours and scope wording (netatmo-api.md §1.2). */
export const signInPages = createSignInPages({
  brand: {
    name: 'Netatmo',
    wordmark: ['net', 'atmo'],
    colors: { page: '#eef1f6', ink: '#1b2330', accent: '#ff6b00', panel: '#f5f7fa', chip: '#e6eaf0', line: '#c7cfdb', muted: '#7a8390' },
  },
  heading: 'Sign in to allow access',
  action: '/oauth2/authorize',
  // Space-separated, as Netatmo takes it (§1.2).
  scopeSeparator: ' ',
  scopeLabels: {
    read_thermostat: 'See your thermostats, valves and their readings',
    write_thermostat: 'Change your heating setpoints and modes',
    read_station: 'See your weather station data',
  },
  declineLabel: 'Refuse',
});

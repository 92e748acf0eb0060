/** "71.1 °F, auto, idle": the reading, then whichever of mode and state the device reports. */
export function readingSummary(attrs: Readonly<Record<string, unknown>>): string | undefined {
  const temperature = attrs['temperature'];
  if (typeof temperature !== 'number') return undefined;
  const unit = typeof attrs['temperatureUnit'] === 'string' ? ` °${attrs['temperatureUnit']}` : '';
  const extras = [attrs['thermostatMode'], attrs['operatingState']].filter((v): v is string => typeof v === 'string' && v !== '');
  return [`${temperature}${unit}`, ...extras].join(', ');
}


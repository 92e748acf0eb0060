import { describe, expect, it } from 'vitest';
import { explain, RULE_SUMMARY, RULES } from '../conformance/run';

describe('conformance: a failed check explains itself', () => {
  it('rule, what it checks, expected, got and the request log follow the assertion message', () => {
    const text = explain('acme', 'commands', { message: 'expected 500 to be 400', expected: '400', actual: '500' }, '  1. +0ms GET /v2/locations => 200');
    expect(text.split('\n')).toEqual([
      'expected 500 to be 400',
      '',
      '── conformance: acme › commands ──',
      `rule:     ${RULE_SUMMARY['commands']}`,
      'expected: 400',
      'got:      500',
      'requests the fake acme cloud received, in order:',
      '  1. +0ms GET /v2/locations => 200',
    ]);
  });

  it('every rule has a summary; a fake that never started says so', () => {
    expect(Object.keys(RULE_SUMMARY).sort()).toEqual(Object.keys(RULES).sort());
    expect(explain('acme', 'linking', { message: 'boom' }, undefined)).toContain('(the fake had not started)');
  });
});

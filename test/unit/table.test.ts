import { describe, expect, it } from 'vitest';
import { parseDuration, table } from '../../src/cli/table.js';

describe('CLI formatting', () => {
  it('parses retention durations', () => {
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('45m')).toBe(45 * 60_000);
    expect(parseDuration('7')).toBe(7 * 86_400_000);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
  });

  it('aligns columns', () => {
    expect(table(['A', 'LONG'], [['xyz', '1']])).toBe('A    LONG\n---  ----\nxyz  1');
  });
});

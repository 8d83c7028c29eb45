import { describe, expect, it } from 'vitest';
import { parseDuration, table } from '../../../src/cli/table.js';

describe('CLI formatting', () => {
  it('parses retention durations', () => {
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('45m')).toBe(45 * 60_000);
    expect(parseDuration('7')).toBe(7 * 86_400_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    expect(parseDuration('36h')).toBe(36 * 3_600_000);
    expect(parseDuration('1d12h')).toBe(36 * 3_600_000);
    expect(parseDuration(' 90S ')).toBe(90_000);
    expect(() => parseDuration('2 weeks')).toThrow(/not a duration/);
    expect(() => parseDuration('-3d')).toThrow(/not a duration/);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
  });

  it('aligns columns', () => {
    expect(table(['A', 'LONG'], [['xyz', '1']])).toBe('A    LONG\n---  ----\nxyz  1');
    // A coloured cell pads by what it shows, not by its escape codes.
    expect(table(['STATE', 'X'], [['\x1b[32mok\x1b[39m', '1'], ['no record', '2']])).toBe('STATE      X\n---------  -\n\x1b[32mok\x1b[39m         1\nno record  2');
  });
});

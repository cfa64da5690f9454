import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../src/duration.js';

describe('parseDuration', () => {
  it.each([
    ['90m', 5400],
    ['12h', 43_200],
    ['7d', 604_800],
    ['1d12h', 129_600],
    ['45s', 45],
    ['3600', 3600],
    [' 2H ', 7200],
    ['0', 0],
  ])('%j is %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', 'soon', '12x', '-5m', '1.5h', 'h', '5m3h', '7 d'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [59, '59s'],
    [5400, '1h 30m'],
    [604_799, '6d 23h 59m'],
    [-3, '0s'],
  ])('%i seconds reads %j', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

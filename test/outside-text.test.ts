import { describe, expect, it } from 'vitest';
import { INVALID, escapeHtml, fitsFormat, neutraliseCommands, outsideText, rememberSecret } from '../src/outside-text.js';

describe('outsideText', () => {
  it('removes a known secret, in every form it was sent in, before it cuts the text', () => {
    const secret = 'Zq8~secret with+space/Kp4';
    rememberSecret(secret);
    const echoed = `${'x'.repeat(150)} client_secret=${new URLSearchParams({ s: secret }).toString().slice(2)}&raw=${secret}&uri=${encodeURIComponent(secret)}`;
    const safe = outsideText(echoed, 170);
    expect(safe).toMatch(/^x{150} client_secret=\*\*/);
    for (const piece of ['Zq8~', 'secret with', 'Kp4', 'Zq8%7E']) expect(safe).not.toContain(piece);
    expect(outsideText(echoed, 1000)).toBe(`${'x'.repeat(150)} client_secret=***&raw=***&uri=***`);
  });

  it('flattens line breaks, control and bidi characters to spaces', () => {
    expect(outsideText('a\r\nb\u2028c\u001b[31md\u202ee\u0000f')).toBe('a b c [31md e f');
  });

  it('breaks the runner command markers: ##[ anywhere, :: at the start', () => {
    expect(outsideText('x ##[stop-commands]t ###[add-mask]y')).toBe('x #\u00a0#[stop-commands]t ##\u00a0#[add-mask]y');
    expect(outsideText('\n ::error::forged')).toBe(':\u00a0:error::forged');
    expect(neutraliseCommands('  ::warning::x')).toBe('  :\u00a0:warning::x');
    expect(neutraliseCommands('role arn:aws:iam:::role/x')).toBe('role arn:aws:iam:::role/x');
  });

  it('bounds the length', () => {
    expect(outsideText('y'.repeat(1024 * 1024), 160)).toHaveLength(160);
  });
});

describe('fitsFormat', () => {
  it.each<[Parameters<typeof fitsFormat>[1], string, boolean]>([
    ['typ', 'Offline', true],
    ['typ', 'Offline\n::error::x', false],
    ['tokenType', 'DPoP', true],
    ['tokenType', 'Bearer x', false],
    ['scope', 'openid offline_access urn:x:y', true],
    ['scope', 'openid  email', false],
    ['scope', 'openid ::warning::x', false],
    ['scope', 'a"b', false],
    ['sessionState', '6f1c2a3e-1b2c-4d5e-8f90-a1b2c3d4e5f6', true],
    ['sessionState', '<script>', false],
    ['token', 'eyJhbGciOiJIUzI1NiJ9.e30.c2ln', true],
    ['token', 'two words', false],
    ['token', 'eyJ##[stop-commands]x', false],
    ['token', '::stop-commands::x', false],
    ['token', 'a::b', true],
    ['sessionToken', 'AQoDYXdzEJr//+/=', true],
    ['sessionToken', 'x\ry', false],
    ['accessKeyId', 'K'.repeat(129), false],
  ])('%s %j: %s', (format, value, fits) => {
    expect(fitsFormat(value, format)).toBe(fits);
  });

  it('publishes what does not fit as (invalid)', () => {
    expect(INVALID).toBe('(invalid)');
  });
});

describe('escapeHtml', () => {
  it('escapes what the job summary would render', () => {
    expect(escapeHtml(`<img src=x onerror="a('b')">&`)).toBe('&#60;img src=x onerror=&#34;a(&#39;b&#39;)&#34;&#62;&#38;');
  });
});

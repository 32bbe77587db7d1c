// Address parsing alone (pure): IPv4 text is accepted exactly as node:net's isIPv4 accepts it, and canonical.
import { isIPv4 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseAddress, parsePrefix, parseV4PrefixInto } from '../src/address.js';
import { InvalidInputError } from '../src/errors.js';
import { Prng, runSeed } from './support/reliability-tools.js';

/** Whether parseAddress takes `text`, as an IPv4 address with `text` as its canonical form. */
function acceptsV4(text: string): boolean {
  try {
    const a = parseAddress(text);
    expect(a).toMatchObject({ family: 4, text });
    return true;
  } catch (e) {
    if (e instanceof InvalidInputError) return false;
    throw e;
  }
}

describe('IPv4 addresses', () => {
  it('are accepted exactly as node:net accepts them: the edges', () => {
    const cases = [
      '0.0.0.0',
      '255.255.255.255',
      '198.51.100.7',
      '10.0.0.1',
      '256.0.0.1',
      '1.2.3',
      '1.2.3.4.',
      '.1.2.3',
      '1..2.3',
      '01.2.3.4',
      '1.2.3.04',
      '1.2.3.00',
      '1.2.3.1000',
      '',
      '1.2.3.4 ',
      ' 1.2.3.4',
      '1.2.3.٣',
      '1.2.3.4/32',
      '1.2.3.-4',
      '1.2.3.+4',
      '0x1.2.3.4',
      '1.2.3.4.5',
    ];
    for (const text of cases) expect(acceptsV4(text), JSON.stringify(text)).toBe(isIPv4(text));
    expect(parseAddress('198.51.100.7').bytes).toEqual(new Uint8Array([198, 51, 100, 7]));
  });

  it('are accepted exactly as node:net accepts them: random digits and dots', () => {
    const seed = runSeed();
    const prng = new Prng(seed);
    for (let i = 0; i < 20_000; i++) {
      let text = '';
      for (let n = prng.int(16); n > 0; n--) text += prng.chance(0.25) ? '.' : String(prng.int(10));
      expect(acceptsV4(text), `${JSON.stringify(text)} (seed ${seed})`).toBe(isIPv4(text));
    }
  });
});

describe('the bulk path for IPv4 prefixes', () => {
  /** parsePrefix's answer for `text` if it is IPv4, as [length, bytes]; undefined if it rejects it or it is IPv6. */
  function viaParsePrefix(text: string): [number, number[]] | undefined {
    try {
      const p = parsePrefix(text);
      return p.family === 4 ? [p.length, [...p.bytes]] : undefined;
    } catch (e) {
      if (e instanceof InvalidInputError) return undefined;
      throw e;
    }
  }

  it('takes only what parsePrefix takes, as parsePrefix reads it', () => {
    const seed = runSeed();
    const prng = new Prng(seed);
    const cases = ['10.0.0.0/8', '10.0.0.1/8', '0.0.0.0/0', '1.2.3.4', '1.2.3.4/', '1.2.3.4/032', '1.2.3.0/33'];
    for (let i = 0; i < 20_000; i++) {
      let text = '';
      for (let n = prng.int(20); n > 0; n--)
        text += prng.chance(0.2) ? '.' : prng.chance(0.08) ? '/' : String(prng.int(10));
      cases.push(text);
    }
    for (const text of cases) {
      const out = new Uint8Array(6);
      const length = parseV4PrefixInto(text, out, 1);
      const taken = length < 0 ? undefined : [length, [...out.subarray(1, 5)]];
      const expected = viaParsePrefix(text);
      // What the bulk path refuses goes to parsePrefix; what it takes must be what parsePrefix makes of it.
      if (taken) expect(taken, `${JSON.stringify(text)} (seed ${seed})`).toEqual(expected);
      else if (/^[\d.]+(\/\d{1,3})?$/.test(text))
        expect(expected, `${JSON.stringify(text)} (seed ${seed})`).toBeUndefined();
    }
  });
});

// Address parsing alone (pure): IPv4 text is accepted exactly as node:net's isIPv4 accepts it, and canonical.
import { isIPv4 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseAddress } from '../src/address.js';
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

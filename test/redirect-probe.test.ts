// nearestFree: the addresses looked up instead of one whose original path our host routes shadow.
import { describe, expect, it } from 'vitest';
import { parseAddress } from '../src/address.js';
import { nearestFree } from '../src/redirect/probe.js';

const texts = (address: string, ours: string[], count: number) =>
  nearestFree(parseAddress(address), new Set(ours), count).map((a) => a.text);

describe('nearestFree', () => {
  it('the sibling first, then the rest of the smallest aligned block, never an address of ours', () => {
    expect(texts('203.0.113.12', ['203.0.113.12'], 3)).toEqual(['203.0.113.13', '203.0.113.14', '203.0.113.15']);
    expect(texts('203.0.113.12', ['203.0.113.12', '203.0.113.13', '203.0.113.14'], 2)).toEqual([
      '203.0.113.15',
      '203.0.113.8',
    ]);
  });

  it('out of a block full of ours (1000 peers in a /22), the nearest block that has room', () => {
    const ours = Array.from({ length: 1024 }, (_, i) => `10.64.${i >> 8}.${i & 255}`);
    expect(texts('10.64.1.7', ours, 1)).toEqual(['10.64.5.7']);
  });

  it('IPv6 alike', () => {
    expect(texts('2001:db8::10', ['2001:db8::10', '2001:db8::11'], 2)).toEqual(['2001:db8::12', '2001:db8::13']);
  });
});

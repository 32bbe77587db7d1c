// Addresses near another that none of our host routes covers: looked up instead of an address whose own
// exception route (or its neighbours') shadows the original path, they meet the same routes of others.
import { addressLength, formatAddress, type Address } from '../address.js';

/** How many addresses are tried at most: more than any mesh has peers in one block. */
const MAX_CANDIDATES = 1 << 16;

function toBigInt(bytes: Uint8Array): bigint {
  return bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);
}

function fromBigInt(value: bigint, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--, value >>= 8n) bytes[i] = Number(value & 0xffn);
  return bytes;
}

/**
 * Up to `count` addresses other than `address`, none of them in `ours` (addresses with host routes of ours),
 * nearest first: from the smallest aligned block around `address` that holds one. Every route of someone
 * else's that covers `address` and is no longer than that block covers them too.
 */
export function nearestFree(address: Address, ours: ReadonlySet<string>, count: number): Address[] {
  const bits = addressLength(address.family) * 8;
  const value = toBigInt(address.bytes);
  const found: Address[] = [];
  let tried = 0;
  // Level k: the other half of the aligned block of 2^(k+1) addresses around `address`.
  for (let k = 0; k < bits && found.length < count && tried < MAX_CANDIDATES; k++) {
    const half = 1n << BigInt(k);
    for (let j = 0n; j < half && found.length < count && tried < MAX_CANDIDATES; j++, tried++) {
      const bytes = fromBigInt(value ^ half ^ j, address.bytes.length);
      const text = formatAddress(address.family, bytes);
      if (!ours.has(text)) found.push({ family: address.family, bytes, text });
    }
  }
  return found;
}

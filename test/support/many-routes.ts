// Destinations for the tests that fill a table with tens of thousands of routes (netlink-large, netlink-stream).

/**
 * The i-th of many distinct IPv4 destinations: a host in 10/8 for an even i, a /28 in 172.16/12 for an odd one
 * (distinct for every i below 131072, where the /28s run out of 172.16/12).
 */
export function manyDst4(i: number): string {
  const n = i >> 1;
  return i % 2 === 0
    ? `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`
    : `172.${16 + ((n * 16) >> 16)}.${((n * 16) >> 8) & 255}.${(n * 16) & 255}/28`;
}

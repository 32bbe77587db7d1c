// The addon keeps no thread-local storage. In a dlopen'd module a thread_local is dynamic TLS: a block glibc
// allocates for each thread that touches it, which nothing frees but the thread's end (a descriptor kept there
// stayed open: netlink-netns-threads.test.ts). And under test:asan, clang 14's runtime (LLVM up to 16,
// google/sanitizers#1322) takes such a block that happens to start 16 bytes into a page for a glibc 2.19 one and
// reads the allocator's chunk header before it as the block's address and size: LeakSanitizer's tracer then
// crashes scanning that range at the process's exit ("Tracer caught signal 11" at a small address; docs/testing.md).
// Read from the ELF program headers of the addon the suite loads (under test:asan, the sanitized one).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addonPath } from '../src/netlink/addon-path.js';

const PT_TLS = 7;

/** The types of an ELF64 little-endian file's program headers. */
function programHeaderTypes(file: Buffer): number[] {
  expect(file.subarray(0, 6)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1])); // \x7fELF, 64-bit, LE
  const offset = Number(file.readBigUInt64LE(0x20));
  const size = file.readUInt16LE(0x36);
  const count = file.readUInt16LE(0x38);
  return Array.from({ length: count }, (_, i) => file.readUInt32LE(offset + i * size));
}

describe('the addon', () => {
  it('has no thread-local storage (no PT_TLS segment)', () => {
    const types = programHeaderTypes(readFileSync(addonPath()));
    expect(types.length).toBeGreaterThan(0);
    expect(types).not.toContain(PT_TLS);
  });
});

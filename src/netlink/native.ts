// Loads the compiled addon and states its interface. Nothing but src/netlink talks to it.
import { createRequire } from 'node:module';

export interface NativeLink {
  index: number;
  name: string;
  flags: number;
  mtu: number;
  operstate: number;
}

export interface PackedRoutes {
  links: NativeLink[];
  words: Uint32Array;
  text: Buffer;
}

export interface NativeHandle {
  dumpRoutes(families: number[], table: number, protocol: number, oif: number): Promise<PackedRoutes>;
  getRoute(family: number, address: Uint8Array, oif: number, fibMatch: boolean, withLinks: boolean): Promise<PackedRoutes>;
  change(records: Uint8Array): Promise<{ errors: Int32Array; messages: (string | undefined)[] }>;
  listLinks(): Promise<NativeLink[]>;
  close(): void;
}

export interface NativeAddon {
  open(netns: string, timeoutMs: number): Promise<NativeHandle>;
  /** The locked file's descriptor, or -1 while another process holds the lock. */
  tryLock(path: string): number;
  unlock(fd: number): void;
  syslog(priority: number, message: string): void;
}

/** A rejection from the addon carries the errno and the kernel's extended-ack text. */
export interface NativeError extends Error {
  errno: number;
  extack: string;
}

const require = createRequire(import.meta.url);
export const addon: NativeAddon = require('../../build/Release/rtnetlink.node');

// Change events: RouteSocket.watch() and the stream it returns, over the addon's event reader
// (native/event_reader.h), whose batches use the dumps' packed route form.
import { parseAddress, type Family } from '../address.js';
import { InvalidInputError } from '../errors.js';
import { checkInterfaceName } from '../names.js';
import { toLink } from './link.js';
import type { Address } from './address-types.js';
import { toAddress } from './addresses.js';
import type { NativeEventBatch, NativeEventFilter, NativeWatch } from './native.js';
import { fromNative } from './native-error.js';
import { protocolNumber } from './route-spec.js';
import type { Rule } from './rule-types.js';
import { toRule } from './rules.js';
import type { Link, Route } from './types.js';
import { familyNumber, RouteDecoder } from './wire.js';

export type WatchEventType = 'route' | 'link' | 'address' | 'rule';
export type WatchAction = 'new' | 'delete';

/**
 * One change, in the order the kernel made them. `overrun`: events were lost (the socket's 4 MiB queue in the
 * kernel overflowed because the consumer fell behind); the stream goes on, and the consumer should read the
 * state again. Until the backlog has been read, the kernel may drop more without saying so again: one overrun
 * stands for every loss up to the moment the stream has caught up. The kernel flushes the IPv4 routes of a device that goes down or loses its last address without
 * sending a route deletion for them: a `link` event (up false) or an `address` deletion stands for it.
 */
export type WatchEvent =
  | { type: 'route'; action: WatchAction; route: Route }
  | { type: 'link'; action: WatchAction; link: Link }
  | { type: 'address'; action: WatchAction; address: Address }
  | { type: 'rule'; action: WatchAction; rule: Rule }
  | { type: 'overrun' };

/**
 * What to watch: the kinds of events and the family, which decide the multicast groups the socket joins. To
 * narrow the routes (a follower of a few routes on a router with a full BGP feed), EventStream.keepRoutesFor()
 * has the kernel drop the others before they are even queued.
 */
export interface WatchOptions {
  /** Which events; all four by default. */
  events?: WatchEventType[];
  /** Routes, addresses and rules of one family only (both by default). */
  family?: Family;
}

/**
 * The route events a stream keeps (EventStream.keepRoutesFor): those that can change the path to an address.
 */
export interface RouteInterest {
  /** Routes whose destination prefix contains one of these addresses (default routes included). */
  addresses: string[];
  /** And every route of this protocol. */
  protocol?: string | number;
  /** And every route leaving by this interface (by its only path or one of several), by name; its index is looked up now. */
  dev?: string;
}

const EVENT_TYPES: readonly WatchEventType[] = ['route', 'link', 'address', 'rule'];
// native/event_reader.h, namespace event
const KINDS: readonly (WatchEventType | 'overrun')[] = ['route', 'link', 'address', 'rule', 'overrun'];
const DELETED = 0x100;

export function watchFilter(options: WatchOptions): NativeEventFilter {
  if (typeof options !== 'object' || options === null) throw new InvalidInputError('invalid watch options');
  // The route filters watch() once took (table, protocol, dev, prefix lengths) are keepRoutesFor's now: refused by
  // name rather than ignored, so that a caller does not silently get every route.
  const unknown = Object.keys(options).find((key) => key !== 'events' && key !== 'family');
  if (unknown !== undefined)
    throw new InvalidInputError(`invalid watch option: ${unknown} (narrow route events with keepRoutesFor)`);
  const events = options.events ?? EVENT_TYPES;
  if (!Array.isArray(events) || events.length === 0) throw new InvalidInputError('invalid events: expected a list');
  for (const e of events) {
    if (!EVENT_TYPES.includes(e)) throw new InvalidInputError(`invalid event type: ${JSON.stringify(e)}`);
  }
  const { family } = options;
  if (family !== undefined && family !== 4 && family !== 6) throw new InvalidInputError(`invalid family: ${family}`);
  return {
    routes: events.includes('route'),
    links: events.includes('link'),
    addresses: events.includes('address'),
    rules: events.includes('rule'),
    families: family === undefined ? [] : [familyNumber(family)],
  };
}

function decodeEvents(batch: NativeEventBatch): WatchEvent[] {
  const routes = new RouteDecoder().decode(batch.routes);
  const out: WatchEvent[] = [];
  let route = 0;
  let link = 0;
  let address = 0;
  let rule = 0;
  for (const word of batch.events) {
    const type = KINDS[word & 0xff];
    const action: WatchAction = word & DELETED ? 'delete' : 'new';
    if (type === 'route') out.push({ type, action, route: routes[route++] });
    else if (type === 'link') out.push({ type, action, link: toLink(batch.links[link++]) });
    else if (type === 'address') {
      out.push({ type, action, address: toAddress(batch.addresses[address], batch.addressDevs[address]) });
      address++;
    } else if (type === 'rule') out.push({ type, action, rule: toRule(batch.rules[rule++]) });
    else out.push({ type: 'overrun' });
  }
  return out;
}

/**
 * The events of one watch, as an async iterable: `for await (const e of events)`. It never ends by itself;
 * close() (or breaking out of the loop) ends it and frees its socket and thread. Events wait in the addon
 * (a bounded queue) until the consumer asks for them.
 */
export class EventStream implements AsyncIterableIterator<WatchEvent> {
  #native: NativeWatch | undefined;
  #events: WatchEvent[] = [];
  #at = 0;
  #refill: Promise<IteratorResult<WatchEvent>> | undefined;

  constructor(native: NativeWatch) {
    this.#native = native;
  }

  /**
   * From now on, route events reach this stream only when they are of the interest given, and the stream's own
   * filter (WatchOptions) still applies. The kernel drops the others (a socket filter, run by whoever changed
   * the route), so a flood of routes elsewhere never wakes this process. Events queued already are kept; link,
   * address and rule events are untouched; a route notification the kernel filter cannot read whole (more than
   * 8 paths, more than 14 attributes) passes. Call it again to change the interest, for instance when the
   * interface has been made again with another index. Returns true when the filter tests the addresses one
   * by one; false when they are too many for that (over about 1,000 IPv4 or 150 IPv6 ones) and are widened,
   * per family, to the longest common prefixes that fit: then the routes that meet those prefixes come too.
   */
  keepRoutesFor(interest: RouteInterest): boolean {
    if (typeof interest !== 'object' || interest === null || !Array.isArray(interest.addresses))
      throw new InvalidInputError('invalid route interest: expected { addresses: [...] }');
    const parsed = interest.addresses.map((a) => parseAddress(a));
    const bytes = new Uint8Array(parsed.length * 16);
    parsed.forEach((a, i) => bytes.set(a.bytes, i * 16));
    const protocol = interest.protocol === undefined ? 0 : protocolNumber(interest.protocol);
    if (interest.dev !== undefined) checkInterfaceName(interest.dev);
    if (!this.#native) throw new InvalidInputError('the watch is closed');
    try {
      return this.#native.narrowRoutes(
        parsed.map((a) => familyNumber(a.family)),
        bytes,
        protocol,
        interest.dev ?? '',
      );
    } catch (e) {
      throw fromNative(e, 'watch');
    }
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<WatchEvent> {
    return this;
  }

  next(): Promise<IteratorResult<WatchEvent>> {
    if (this.#refill) return this.#refill.then(() => this.next());
    if (this.#at < this.#events.length) return Promise.resolve({ done: false, value: this.#events[this.#at++] });
    const refill = this.#read().finally(() => {
      this.#refill = undefined;
    });
    this.#refill = refill;
    return refill;
  }

  async #read(): Promise<IteratorResult<WatchEvent>> {
    for (;;) {
      const native = this.#native;
      if (!native) return { done: true, value: undefined };
      const batch = await native.next().catch((e: unknown) => Promise.reject(fromNative(e, 'watch')));
      if (!batch || !this.#native) return { done: true, value: undefined };
      this.#events = decodeEvents(batch);
      this.#at = 0;
      if (this.#events.length) return { done: false, value: this.#events[this.#at++] };
    }
  }

  async return(): Promise<IteratorResult<WatchEvent>> {
    await this.close();
    return { done: true, value: undefined };
  }

  /**
   * Ends the stream: a pending next() resolves done. The promise settles once the watch's thread has stopped
   * and its socket is closed; from then on nothing of it keeps the process alive.
   */
  close(): Promise<void> {
    const native = this.#native;
    this.#native = undefined;
    this.#events = [];
    this.#at = 0;
    return native ? native.close() : Promise.resolve();
  }
}

// RouteSocket: one netlink socket (in a namespace or not) and the typed route operations on it.
import { parseAddress } from '../address.js';
import { InvalidInputError, NetlinkError } from '../errors.js';
import { checkInterfaceName, checkNetnsName, checkUint } from '../names.js';
import { IFF_LOWER_UP, IFF_UP, operStates } from './constants.js';
import { addon, type NativeError, type NativeHandle, type NativeLink } from './native.js';
import { protocolNumber, resolveSpec, tableNumber } from './route-spec.js';
import type { Change, ChangeResult, GetRouteOptions, Link, ListRoutesOptions, Route, RouteSpec } from './types.js';
import { decodeRoutes, encodeChanges, familyNumber } from './wire.js';

const ENODEV = 19;
const ESRCH = 3;
const DEFAULT_TIMEOUT_MS = 5000;

export interface OpenOptions {
  /** A name under /run/netns (as `ip netns add` makes), or an absolute path to a namespace file. */
  netns?: string;
  /** How long any one reply from the kernel may take before the call fails with ETIMEDOUT. */
  timeoutMs?: number;
}

/** Opens a route socket in the caller's network namespace, or in `netns`. */
export async function open(options: OpenOptions = {}): Promise<RouteSocket> {
  const netns = options.netns === undefined ? '' : checkNetnsName(options.netns);
  const timeoutMs = checkUint(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeout', 2 ** 31 - 1);
  try {
    return new RouteSocket(await addon.open(netns, timeoutMs), options.netns);
  } catch (e) {
    throw fromNative(e, 'open', netns ? `netns ${netns}` : undefined);
  }
}

function fromNative(e: unknown, operation: string, subject?: string, route?: object): unknown {
  const err = e as NativeError;
  if (typeof err?.errno !== 'number') return e;
  return new NetlinkError({ errno: err.errno, operation, subject, route, extack: err.extack });
}

/** The `ip route` words for a spec, for messages: '10.0.0.0/8 via 192.0.2.1 dev eth0'. */
export function describeSpec(spec: RouteSpec): string {
  const parts = [String(spec?.dst)];
  if (spec?.gateway) parts.push(`via ${spec.gateway}`);
  if (spec?.dev) parts.push(`dev ${spec.dev}`);
  if (spec?.metric !== undefined) parts.push(`metric ${spec.metric}`);
  if (spec?.table !== undefined && spec.table !== 'main') parts.push(`table ${spec.table}`);
  return parts.join(' ');
}

function operationName(op: Change['op'] | undefined): string {
  return `${op ?? 'change'}Route`;
}

function noSuchDevice(dev: string, operation: string, subject: string, route?: object): NetlinkError {
  return new NetlinkError({ errno: ENODEV, operation, subject, route, reason: `no such device: ${dev}` });
}

function toLink(l: NativeLink): Link {
  return {
    index: l.index,
    name: l.name,
    up: (l.flags & IFF_UP) !== 0,
    lowerUp: (l.flags & IFF_LOWER_UP) !== 0,
    operstate: operStates[l.operstate] ?? String(l.operstate),
    mtu: l.mtu,
  };
}

export class RouteSocket {
  #handle: NativeHandle | undefined;
  // The kernel answers one request at a time per socket; calls queue here in the order they were made.
  #tail: Promise<unknown> = Promise.resolve();

  constructor(handle: NativeHandle, readonly netns?: string) {
    this.#handle = handle;
  }

  #serial<T>(work: (handle: NativeHandle) => Promise<T>): Promise<T> {
    const run = this.#tail.then(() => {
      if (!this.#handle) throw new InvalidInputError('the route socket is closed');
      return work(this.#handle);
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #linkIndexes(handle: NativeHandle, operation: string): Promise<Map<string, number>> {
    const links = await handle.listLinks().catch((e) => Promise.reject(fromNative(e, operation)));
    return new Map(links.map((l) => [l.name, l.index]));
  }

  async #oif(handle: NativeHandle, dev: string, operation: string, subject: string, route?: object): Promise<number> {
    const index = (await this.#linkIndexes(handle, operation)).get(dev);
    if (index === undefined) throw noSuchDevice(dev, operation, subject, route);
    return index;
  }

  async listRoutes(options: ListRoutesOptions = {}): Promise<Route[]> {
    const { family, table = 'main', protocol, dev } = options;
    if (family !== undefined && family !== 4 && family !== 6) throw new InvalidInputError(`invalid family: ${family}`);
    const tableId = table === 'all' ? 0 : tableNumber(table);
    const protocolId = protocol === undefined ? 0 : protocolNumber(protocol);
    if (dev !== undefined) checkInterfaceName(dev);
    const families = family ? [familyNumber(family)] : [familyNumber(4), familyNumber(6)];
    return this.#serial(async (handle) => {
      const oif = dev === undefined ? 0 : await this.#oif(handle, dev, 'listRoutes', `dev ${dev}`);
      const packed = await handle
        .dumpRoutes(families, tableId, protocolId, oif)
        .catch((e) => Promise.reject(fromNative(e, 'listRoutes')));
      return [...decodeRoutes(packed)];
    });
  }

  /** The route the kernel would use for `address` (`ip route get`), or with fibMatch the table entry. */
  async getRoute(address: string, options: GetRouteOptions = {}): Promise<Route> {
    const dst = parseAddress(address, 'destination');
    if (options.oif !== undefined) checkInterfaceName(options.oif);
    return this.#serial(async (handle) => {
      const oif = options.oif === undefined ? 0 : await this.#oif(handle, options.oif, 'getRoute', dst.text);
      const packed = await handle
        .getRoute(familyNumber(dst.family), dst.bytes, oif, options.fibMatch === true, true)
        .catch((e) => Promise.reject(fromNative(e, 'getRoute', dst.text)));
      const [route] = decodeRoutes(packed);
      return route;
    });
  }

  async addRoute(route: RouteSpec): Promise<void> {
    return this.#changeOne({ op: 'add', route });
  }

  async replaceRoute(route: RouteSpec): Promise<void> {
    return this.#changeOne({ op: 'replace', route });
  }

  async deleteRoute(route: RouteSpec): Promise<void> {
    return this.#changeOne({ op: 'delete', route });
  }

  async #changeOne(change: Change): Promise<void> {
    const [result] = await this.changeRoutes([change]);
    if (result.error) throw result.error;
  }

  /**
   * Many changes in one call, pipelined to the kernel. Every change is attempted; each result says whether
   * the kernel took it. Invalid input fails the whole call before anything is sent.
   */
  async changeRoutes(changes: Change[]): Promise<ChangeResult[]> {
    if (!Array.isArray(changes)) throw new InvalidInputError('invalid changes: expected an array');
    for (const c of changes) {
      if (c?.op !== 'add' && c?.op !== 'replace' && c?.op !== 'delete') {
        throw new InvalidInputError(`invalid change: op must be add, replace or delete`);
      }
    }
    const wire = changes.map((c) => ({ op: c.op, route: resolveSpec(c.route, c.op) }));
    return this.#serial(async (handle) => {
      if (wire.some((w) => w.route.dev !== undefined)) {
        const indexes = await this.#linkIndexes(handle, operationName(changes[0].op));
        wire.forEach(({ route }, i) => {
          if (route.dev === undefined) return;
          route.oif = indexes.get(route.dev);
          if (route.oif === undefined) {
            const { op, route: spec } = changes[i];
            throw noSuchDevice(route.dev, operationName(op), describeSpec(spec), spec);
          }
        });
      }
      const { errors, messages } = await handle
        .change(encodeChanges(wire))
        .catch((e) => Promise.reject(fromNative(e, operationName(changes[0]?.op))));
      return changes.map((change, i) =>
        errors[i] === 0
          ? { change }
          : {
              change,
              error: new NetlinkError({
                errno: errors[i],
                operation: operationName(change.op),
                subject: describeSpec(change.route),
                route: change.route,
                extack: messages[i],
                reason: errors[i] === ESRCH && change.op === 'delete' && !messages[i] ? 'no such route' : undefined,
              }),
            },
      );
    });
  }

  async listLinks(): Promise<Link[]> {
    return this.#serial(async (handle) => {
      const links = await handle.listLinks().catch((e) => Promise.reject(fromNative(e, 'listLinks')));
      return links.map(toLink);
    });
  }

  /** Closes the socket; calls already queued fail. */
  close(): void {
    this.#handle?.close();
    this.#handle = undefined;
  }
}

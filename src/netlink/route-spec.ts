// Turns a user's RouteSpec into the kernel's numbers, validating every field and filling in the defaults
// that iproute2 uses, so that `addRoute(x)` means what `ip route add x` means.
import { parseAddress, parsePrefix } from '../address.js';
import { InvalidInputError } from '../errors.js';
import { checkInterfaceName, checkUint } from '../names.js';
import { protocols, routeTypes, scopes, tables } from './constants.js';
import type { ChangeOp, RouteSpec, Table } from './types.js';
import type { WireRoute } from './wire.js';

const RT_SCOPE_NOWHERE = 255;
const GATEWAYLESS_TYPES = new Set(['blackhole', 'unreachable', 'prohibit', 'throw']);

export function tableNumber(table: Table | undefined): number {
  if (table === undefined) return tables.numbers.main;
  const n = tables.number(table);
  if (n === undefined || n === 0) {
    throw new InvalidInputError(`invalid table: ${JSON.stringify(table)} (main, local, default or a number)`);
  }
  return checkUint(n, 'table');
}

export function protocolNumber(protocol: string | number): number {
  return lookup(protocols, protocol, 'protocol');
}

function lookup(names: { number(name: string | number): number | undefined }, value: string | number, what: string, max = 255): number {
  const n = names.number(value);
  if (n === undefined) throw new InvalidInputError(`invalid ${what}: ${JSON.stringify(value)}`);
  return checkUint(n, what, max);
}

/** The names of the fields a spec may have; anything else is a mistake worth reporting. */
const FIELDS = new Set(['dst', 'gateway', 'dev', 'metric', 'table', 'protocol', 'scope', 'type', 'prefsrc']);

/** Validates and resolves everything but the device, whose index the caller fills in as `oif`. */
export function resolveSpec(spec: RouteSpec, op: ChangeOp): WireRoute & { dev?: string } {
  if (typeof spec !== 'object' || spec === null) throw new InvalidInputError('invalid route: expected an object');
  for (const key of Object.keys(spec)) {
    if (!FIELDS.has(key)) throw new InvalidInputError(`invalid route: unknown field ${JSON.stringify(key)}`);
  }
  const dst = parsePrefix(spec.dst, 'destination');
  const gateway = spec.gateway === undefined ? undefined : parseAddress(spec.gateway, 'gateway');
  const prefsrc = spec.prefsrc === undefined ? undefined : parseAddress(spec.prefsrc, 'source address');
  if (prefsrc && prefsrc.family !== dst.family) {
    throw new InvalidInputError(`invalid source address: ${prefsrc.text} is not of the destination's family`);
  }
  const typeName = spec.type ?? (op === 'delete' ? undefined : 'unicast');
  const type = typeName === undefined ? 0 : lookup(routeTypes, typeName, 'route type');
  if (typeName && GATEWAYLESS_TYPES.has(typeName) && (gateway || spec.dev !== undefined)) {
    throw new InvalidInputError(`invalid route: a ${typeName} route has no gateway or device`);
  }
  const dev = spec.dev === undefined ? undefined : checkInterfaceName(spec.dev);
  return {
    dst,
    gateway,
    prefsrc,
    dev,
    metric: spec.metric === undefined ? undefined : checkUint(spec.metric, 'metric'),
    table: tableNumber(spec.table),
    protocol: spec.protocol !== undefined ? protocolNumber(spec.protocol) : op === 'delete' ? 0 : protocols.numbers.boot,
    type,
    scope:
      spec.scope !== undefined
        ? lookup(scopes, spec.scope, 'scope')
        : op === 'delete'
          ? RT_SCOPE_NOWHERE
          : defaultScope(typeName ?? 'unicast', gateway !== undefined),
  };
}

/** iproute2's choice: host for local routes, link for on-link unicast and broadcast-like ones, else global. */
function defaultScope(type: string, hasGateway: boolean): number {
  if (type === 'local' || type === 'nat') return scopes.numbers.host;
  if (type === 'broadcast' || type === 'multicast' || type === 'anycast') return scopes.numbers.link;
  if (type === 'unicast' && !hasGateway) return scopes.numbers.link;
  return scopes.numbers.global;
}

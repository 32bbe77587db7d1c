// What tincd tells a host script through its environment (tinc 1.0 and 1.1): INTERFACE, NODE,
// REMOTEADDRESS, REMOTEPORT, and VPN_GATEWAY, which the seed's scripts set by hand.
import { InvalidInputError } from '../errors.js';

export type HookEvent = 'up' | 'down' | 'host-up' | 'host-down' | 'tinc-up' | 'tinc-down';

export interface HookEnv {
  iface: string;
  node?: string;
  remote?: string;
  /** The server's port (REMOTEPORT), when tincd gives a number. */
  remotePort?: number;
  gateways: string[];
}

function required(env: NodeJS.ProcessEnv, name: string, event: HookEvent): string {
  const value = env[name];
  if (value === undefined || value === '')
    throw new InvalidInputError(`${name} is not set (tincd sets it for ${event} scripts)`);
  return value;
}

export function readHookEnv(env: NodeJS.ProcessEnv, event: HookEvent): HookEnv {
  const needsRemote = event === 'up' || event === 'host-up';
  const remote = needsRemote ? required(env, 'REMOTEADDRESS', event) : undefined;
  if (remote === 'unspec')
    throw new InvalidInputError('REMOTEADDRESS is "unspec": tincd does not know the server\'s address');
  return {
    iface: required(env, 'INTERFACE', event),
    node: event.startsWith('host-') ? required(env, 'NODE', event) : env.NODE || undefined,
    remote,
    remotePort: /^\d{1,5}$/.test(env.REMOTEPORT ?? '') ? Number(env.REMOTEPORT) : undefined,
    gateways: (env.VPN_GATEWAY ?? '').split(/[\s,]+/).filter(Boolean),
  };
}

/** A script named NODE-up or host-down (a symbolic link to us) says which event it is. */
export function eventOfScriptName(name: string): HookEvent | undefined {
  if (name === 'host-up' || name === 'host-down') return name;
  const m = /^.+-(up|down)$/.exec(name);
  return m && !/^(tinc|subnet|redirect-gateway)-/.test(name) ? (m[1] as HookEvent) : undefined;
}

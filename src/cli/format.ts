// Text output in the forms users know: `ip route` lines, and JSON.
import { describeSpec } from '../netlink/socket.js';
import type { Change, Route } from '../netlink/types.js';

/** One route as `ip route` prints it (with our protocol named), e.g. '0.0.0.0/1 dev vpn proto redirect-gateway scope link'. */
export function formatRoute(route: Route): string {
  const defaultDst = route.dst === '0.0.0.0/0' || route.dst === '::/0';
  const hostDst = route.dst.endsWith(route.family === 6 ? '/128' : '/32');
  const parts: string[] = [];
  if (route.type !== 'unicast') parts.push(route.type);
  parts.push(defaultDst ? 'default' : hostDst ? route.dst.split('/')[0] : route.dst);
  if (route.gateway) parts.push('via', route.gateway);
  if (route.dev) parts.push('dev', route.dev);
  if (route.table !== 'main') parts.push('table', String(route.table));
  if (route.protocol !== 'boot') parts.push('proto', route.protocol);
  if (route.scope !== 'global') parts.push('scope', route.scope);
  if (route.prefsrc) parts.push('src', route.prefsrc);
  if (route.metric !== undefined && (route.metric !== 0 || route.family === 6)) parts.push('metric', String(route.metric));
  return parts.join(' ');
}

const VERBS: Record<Change['op'], string> = { add: 'added', replace: 'replaced', delete: 'deleted' };

export function formatChange(change: Change): string {
  return `${VERBS[change.op]} ${describeSpec(change.route)}`;
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

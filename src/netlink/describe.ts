// A route spec in `ip route` words, for messages and logs: '10.0.0.0/8 via 192.0.2.1 dev eth0'.
import type { Change, RouteSpec } from './types.js';

export function describeSpec(spec: RouteSpec): string {
  // As ip prints them: the type first where it is not unicast ('unreachable 0.0.0.0/1').
  const parts = spec?.type && spec.type !== 'unicast' ? [spec.type, String(spec.dst)] : [String(spec?.dst)];
  if (spec?.gateway) parts.push(`via ${spec.gateway}`);
  if (spec?.dev) parts.push(`dev ${spec.dev}`);
  if (spec?.metric !== undefined) parts.push(`metric ${spec.metric}`);
  if (spec?.table !== undefined && spec.table !== 'main') parts.push(`table ${spec.table}`);
  return parts.join(' ');
}

/** A change as a log line: 'add 0.0.0.0/1 dev vpn'. */
export function describeChange(change: Change): string {
  return `${change.op} ${describeSpec(change.route)}`;
}

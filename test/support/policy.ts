// The rules strategy's oracle: iproute2's view of the rules and of our protocol's routes in every table.
import { ip, ipJson } from './ip.js';
import { routeText } from './seed.js';

/** Both families' rules and main, and our routes in any table: what "exactly as before" compares. */
export async function policyText(ns: string): Promise<string> {
  return [
    await ip(ns, '-4', 'rule', 'show'),
    await ip(ns, '-6', 'rule', 'show'),
    await routeText(ns),
    await ip(ns, '-4', 'route', 'show', 'table', 'all', 'proto', '157'),
    await ip(ns, '-6', 'route', 'show', 'table', 'all', 'proto', '157'),
  ].join('\n');
}

/** A rule as `ip -j rule show` prints it (the fields the rules strategy uses). */
export interface IpRule {
  priority: number;
  dst?: string;
  dstlen?: number;
  table?: string;
  action?: string;
  suppress_prefixlen?: number;
  ipproto?: string;
  dport?: number;
  protocol?: string;
}

/**
 * Our rules (protocol 157) of a family, a line each in priority order:
 * '30157: to 198.51.100.10 ipproto udp dport 655 lookup main'.
 */
export async function ourRuleLines(ns: string, family: '-4' | '-6' = '-4'): Promise<string[]> {
  const rules = await ipJson<IpRule[]>(ns, family, 'rule', 'show');
  return rules
    .filter((r) => r.protocol === '157')
    .map((r) => {
      const host = r.dstlen === undefined || r.dstlen === 32 || r.dstlen === 128;
      const to = r.dst ? ` to ${r.dst}${host ? '' : `/${r.dstlen}`}` : '';
      const transport = r.ipproto ? ` ipproto ${r.ipproto} dport ${r.dport}` : '';
      const what = r.action === 'unreachable' ? 'unreachable' : `lookup ${r.table}`;
      const suppress = r.suppress_prefixlen !== undefined ? ` suppress_prefixlength ${r.suppress_prefixlen}` : '';
      return `${r.priority}:${to}${transport} ${what}${suppress}`;
    });
}

/** What `ip route get` takes to ask for tinc's own traffic (UDP to its port) rather than any. */
export const TINC_TRAFFIC = ['ipproto', 'udp', 'dport', '655'];

/** The lines of the server's (or a peer's) exception under the rules strategy: tinc's port, TCP and UDP. */
export function exceptionRuleLines(priority: number, address: string, port = 655): string[] {
  const tinc = (what: string) =>
    ['tcp', 'udp'].map((proto) => `${priority}: to ${address} ipproto ${proto} dport ${port} ${what}`);
  return [...tinc('lookup main'), ...tinc('unreachable').map((l) => l.replace(`${priority}:`, `${priority + 1}:`))];
}

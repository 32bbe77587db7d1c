// The demo's text for what acts 4 and 5 report beyond a table: the exception route around a roam, the probe
// after the kill, and a table compared route for route with the one before its redirect.
import type { ProbeReport, RoamReport } from '../../demo/index.js';
import type { Route } from '../../netlink/index.js';
import { formatRoute } from '../format.js';

export function roamText(roam: RoamReport): string {
  const exception = (r: Route | undefined) => (r ? formatRoute(r) : 'none');
  const took =
    roam.followedMs === undefined
      ? 'The follower did NOT fix it in time.'
      : `The follower fixed it ${roam.followedMs} ms after main's default moved to ${roam.newGateway} ` +
        '(measured here, on this machine: a figure, not a promise).';
  const lines = (log: string[]) => (log.length ? log : ['(nothing)']).map((l) => `  ${l}`).join('\n');
  return `The follower made the redirect as up does:
${lines(roam.started)}
The roam: the LAN's gateway ${roam.oldGateway} became ${roam.newGateway} (main's default moved to it, the old address went).
The exception route to the server:
  before the roam: ${exception(roam.before)}
  after the roam:  ${exception(roam.after)}
${took}
The follower's log meanwhile:
${lines(roam.log)}
tinc's own packets to the server go through the new gateway again, everything else through the VPN: the
kernel's lookups below.`;
}

export function probeText(probe: ProbeReport): string {
  const to = `A UDP datagram from the client to ${probe.address} port ${probe.port} (the internet)`;
  return probe.result === 'sent'
    ? `${to}: SENT, in clear.`
    : `${to}: refused by the kernel (${probe.result}); nothing left in clear.`;
}

/** Each route of both tables, ip route's form: '=' in both, '-' only before, '+' only now. */
export function comparisonText(tables: { before: Route[]; after: Route[] }, what: string): string {
  const was = tables.before.map(formatRoute);
  const is = tables.after.map(formatRoute);
  const rows = [
    ...was.map((r) => `${is.includes(r) ? '=' : '-'} ${r}`),
    ...is.filter((r) => !was.includes(r)).map((r) => `+ ${r}`),
  ];
  return `${what} and now, route for route (= in both, - only before, + only now):\n${rows.map((r) => `  ${r}`).join('\n')}`;
}

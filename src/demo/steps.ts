// What each step of the demo reports (DemoStep), and the kernel lookups that prove where destinations go.
import type { Change, Route, RouteSocket } from '../netlink/index.js';
import { SEED } from './sandbox.js';

/** Where a packet goes: out of `dev`, to `gateway` when it has one. */
export interface Path {
  dev: string;
  gateway?: string;
}

export interface Destination {
  address: string;
  label: string;
  /** Where it goes without the redirect (before up, after down). */
  direct: Path;
  /** Where it goes while the redirect is up. */
  redirected: Path;
}

const viaLan: Path = { dev: SEED.lanDev, gateway: SEED.lanGateway };
const viaVpn: Path = { dev: SEED.vpnDev, gateway: SEED.vpnGateway };

/** The destinations the seed's tables are about, and one internet address in each /1 half. */
export const DESTINATIONS: Destination[] = [
  { address: SEED.serverReal, label: "the VPN server's real address", direct: viaLan, redirected: viaLan },
  { address: SEED.vpnGateway, label: 'the VPN server on the VPN', direct: viaLan, redirected: { dev: SEED.vpnDev } },
  {
    address: '192.168.1.20',
    label: 'a host on the LAN',
    direct: { dev: SEED.lanDev },
    redirected: { dev: SEED.lanDev },
  },
  // 10.1.2.3 (private) stands for any internet address below 128.0.0.0: no public address is used.
  { address: '10.1.2.3', label: 'an internet address in 0.0.0.0/1', direct: viaLan, redirected: viaVpn },
  { address: '203.0.113.7', label: 'an internet address in 128.0.0.0/1', direct: viaLan, redirected: viaVpn },
];

/** The same path after the roam of act 4: through the new gateway where it went through the old one. */
export function roamed(path: Path): Path {
  return path.gateway === SEED.lanGateway ? { ...path, gateway: SEED.roamGateway } : path;
}

export interface Lookup {
  destination: Destination;
  /** The kernel's answer (RTM_GETROUTE), or undefined when it had none. */
  path?: Path;
  /** The table entry that matched (RTM_F_FIB_MATCH). */
  matched?: Route;
  error?: string;
  expected: Path;
  ok: boolean;
}

export type StepName = 'before' | 'up' | 'down' | 'roam' | 'kill-switch-up' | 'killed' | 'kill-switch-down';

/** Act 4: the follower's reaction to a roam. */
export interface RoamReport {
  oldGateway: string;
  newGateway: string;
  /** The exception route to the server before the roam and after the follower fixed it. */
  before?: Route;
  after?: Route;
  /** From main's default moving to the new gateway to the exception following it (measured, not a goal). */
  followedMs?: number;
  /** What the follower logged when it started (it makes the redirect, as `up` does), and after the roam. */
  started: string[];
  log: string[];
}

/** Act 5: a datagram to the internet sent from the client after the kill. */
export interface ProbeReport {
  address: string;
  port: number;
  /** 'sent', or the errno code the kernel refused the send with. */
  result: string;
}

export interface DemoStep {
  name: StepName;
  /** The library call of this step, as code; none for 'before'. */
  call?: string;
  /** The same through the command line. */
  command?: string;
  /** What the call changed, in order. */
  changes?: Change[];
  /** The client's IPv4 main table after the step. */
  routes: Route[];
  lookups: Lookup[];
  /** For the steps that end a redirect: the table is exactly the one before its 'up'. */
  sameAsBefore?: boolean;
  /** The tables sameAsBefore is about: before the redirect, and after this step. */
  compared?: { before: Route[]; after: Route[] };
  roam?: RoamReport;
  probe?: ProbeReport;
}

function samePath(a: Path | undefined, b: Path): boolean {
  return a !== undefined && a.dev === b.dev && (a.gateway ?? '') === (b.gateway ?? '');
}

export function describePath(path: Path): string {
  return path.gateway ? `via ${path.gateway} dev ${path.dev}` : `dev ${path.dev}`;
}

/** Asks the kernel where each of `destinations` goes, and whether that is `expectedOf` it. */
export async function lookups(
  nl: RouteSocket,
  expectedOf: (destination: Destination) => Path,
  destinations: readonly Destination[] = DESTINATIONS,
): Promise<Lookup[]> {
  const result: Lookup[] = [];
  for (const destination of destinations) {
    const expected = expectedOf(destination);
    try {
      const route = await nl.getRoute(destination.address);
      const matched = await nl.getRoute(destination.address, { fibMatch: true });
      const path: Path = { dev: route.dev ?? '?', ...(route.gateway ? { gateway: route.gateway } : {}) };
      result.push({ destination, path, matched, expected, ok: samePath(path, expected) });
    } catch (e) {
      result.push({ destination, error: (e as Error).message, expected, ok: false });
    }
  }
  return result;
}

function routeKey(r: Route): string {
  return JSON.stringify([r.dst, r.gateway, r.dev, r.metric, r.protocol, r.scope, r.type, r.prefsrc]);
}

export function sameRoutes(a: Route[], b: Route[]): boolean {
  return JSON.stringify(a.map(routeKey).sort()) === JSON.stringify(b.map(routeKey).sort());
}

/** What the acts share: the client's socket, its table, and the demo's bookkeeping. */
export interface ActContext {
  nl: RouteSocket;
  netns: string;
  /** The IPv4 main table (what route -n shows). */
  table(): Promise<Route[]>;
  /** The main tables of both families. */
  tables(): Promise<Route[]>;
  /** Records the step's problems, then hands it to the reporter. */
  report(step: DemoStep): Promise<void>;
  problem(text: string): void;
  /** Throws when the demo was interrupted. */
  checkpoint(): void;
}

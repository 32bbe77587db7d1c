// `redirect-gateway demo` (npm start): the example of tinc's documentation, live. In a throwaway sandbox of
// network namespaces (sandbox.ts) it takes the client's routing table before the redirect, after
// redirect.up and after redirect.down, asks the kernel where each interesting destination goes at each
// step, checks that against what the documentation says, and removes the sandbox whatever happens.
//
// Nothing here prints: each step is handed to the reporter (the CLI renders it).
import { promises as fs } from 'node:fs';
import { RefusedError } from '../errors.js';
import { open, type Change, type Route, type RouteSocket } from '../netlink/index.js';
import * as redirect from '../redirect/index.js';
import { Sandbox, SEED, type SandboxInfo } from './sandbox.js';

export { SEED, type SandboxInfo } from './sandbox.js';
export { formatRouteN, routeNRow, ROUTE_N_HEADER, ROUTE_N_TITLE } from './route-n.js';

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

export type StepName = 'before' | 'up' | 'down';

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
  /** For 'down': the table is exactly the one before 'up'. */
  sameAsBefore?: boolean;
}

export interface DemoReporter {
  sandbox(info: SandboxInfo): void | Promise<void>;
  step(step: DemoStep): void | Promise<void>;
  removed(namespaces: string[]): void | Promise<void>;
}

export interface DemoOptions {
  /** Aborting stops the demo at the next step; the sandbox is removed either way. */
  signal?: AbortSignal;
}

export interface DemoResult {
  /** What disagreed with the documentation; empty when everything went as it says. */
  problems: string[];
}

function samePath(a: Path | undefined, b: Path): boolean {
  return a !== undefined && a.dev === b.dev && (a.gateway ?? '') === (b.gateway ?? '');
}

export function describePath(path: Path): string {
  return path.gateway ? `via ${path.gateway} dev ${path.dev}` : `dev ${path.dev}`;
}

async function lookups(nl: RouteSocket, redirected: boolean): Promise<Lookup[]> {
  const result: Lookup[] = [];
  for (const destination of DESTINATIONS) {
    const expected = redirected ? destination.redirected : destination.direct;
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

function sameRoutes(a: Route[], b: Route[]): boolean {
  return JSON.stringify(a.map(routeKey).sort()) === JSON.stringify(b.map(routeKey).sort());
}

/** Forgets the redirect's files under /run for the sandbox's namespace (its lock file stays after `down`). */
async function forgetState(netns: string, stateDirExisted: boolean): Promise<void> {
  await redirect.forgetNamespace(netns);
  if (!stateDirExisted) await fs.rmdir(redirect.STATE_DIR).catch(() => undefined); // only if we made it and it is empty
}

export async function runDemo(reporter: DemoReporter, options: DemoOptions = {}): Promise<DemoResult> {
  const { signal } = options;
  const checkpoint = () => {
    if (signal?.aborted) throw new RefusedError('interrupted');
  };
  const stateDirExisted = await fs.stat(redirect.STATE_DIR).then(
    () => true,
    () => false,
  );
  checkpoint();
  const sandbox = await Sandbox.create();
  let nl: RouteSocket | undefined;
  const problems: string[] = [];
  try {
    await reporter.sandbox(sandbox.info);
    checkpoint();
    const netns = sandbox.client;
    nl = await open({ netns });
    const table = () => nl!.listRoutes({ family: 4, table: 'main' });
    const check = (step: DemoStep) => {
      for (const l of step.lookups) {
        if (!l.ok) {
          const got = l.path ? describePath(l.path) : `no route (${l.error})`;
          problems.push(
            `${step.name}: ${l.destination.address} (${l.destination.label}) goes ${got}, expected ${describePath(l.expected)}`,
          );
        }
      }
    };

    const before: DemoStep = { name: 'before', routes: await table(), lookups: await lookups(nl, false) };
    check(before);
    await reporter.step(before);
    checkpoint();

    const upResult = await redirect.up(SEED.vpnDev, SEED.serverReal, { netns, gateway: SEED.vpnGateway });
    const up: DemoStep = {
      name: 'up',
      call: `redirect.up('${SEED.vpnDev}', '${SEED.serverReal}', { gateway: '${SEED.vpnGateway}', netns })`,
      command: `redirect-gateway up ${SEED.vpnDev} ${SEED.serverReal} --gateway ${SEED.vpnGateway} --netns ${netns}`,
      changes: upResult.changes,
      routes: await table(),
      lookups: await lookups(nl, true),
    };
    check(up);
    await reporter.step(up);
    checkpoint();

    const downResult = await redirect.down(SEED.vpnDev, { netns });
    const routes = await table();
    const down: DemoStep = {
      name: 'down',
      call: `redirect.down('${SEED.vpnDev}', { netns })`,
      command: `redirect-gateway down ${SEED.vpnDev} --netns ${netns}`,
      changes: downResult.changes,
      routes,
      lookups: await lookups(nl, false),
      sameAsBefore: sameRoutes(routes, before.routes),
    };
    check(down);
    if (!down.sameAsBefore) problems.push('down: the table is not the one before up');
    await reporter.step(down);
  } finally {
    nl?.close();
    // Its files go while the namespace is still there to name them (by its cookie).
    try {
      await forgetState(sandbox.client, stateDirExisted);
    } finally {
      await reporter.removed(await sandbox.destroy());
    }
  }
  return { problems };
}

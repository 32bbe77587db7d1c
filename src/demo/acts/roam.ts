// Act 4: roaming with the follower (`up --follow`; here the library's redirect.follow in the demo's own process).
// The client's uplink gateway changes as it does on a roam to another access point of the same LAN: the LAN gets
// a new gateway address, main's default moves to it, the old address goes. The follower moves the exception
// route to the server after it; the time it took is measured (printed, never a goal), and the kernel's lookups
// show tinc's own path to the server through the new gateway and the internet through the VPN again.
import { open, type Route, type RouteSocket } from '../../netlink/index.js';
import * as redirect from '../../redirect/index.js';
import { sleep } from '../../sleep.js';
import type { Sandbox } from '../sandbox.js';
import { SEED } from '../sandbox.js';
import { lookups, roamed, type ActContext } from '../steps.js';

const FOLLOW_DEADLINE_MS = 10_000;
const POLL_MS = 5;

/** Our exception route to the server in the client's table, if there is one. */
export function exceptionRoute(routes: Route[]): Route | undefined {
  return routes.find((r) => r.dst === `${SEED.serverReal}/32` && r.protocol === 'redirect-gateway');
}

/** Milliseconds from `from` until the server's path goes through `gateway`; undefined after the deadline. */
async function timeUntilVia(nl: RouteSocket, gateway: string, from: number, checkpoint: () => void) {
  while (performance.now() - from < FOLLOW_DEADLINE_MS) {
    checkpoint();
    if ((await nl.getRoute(SEED.serverReal)).gateway === gateway) return Math.round(performance.now() - from);
    await sleep(POLL_MS);
  }
  return undefined;
}

/** The roam itself: a new gateway address in the LAN, the client's default moved to it, the old address gone. */
async function roam(nl: RouteSocket, lan: RouteSocket): Promise<number> {
  const dev = SEED.lanDev;
  await lan.setSysctl(`net/ipv4/conf/${dev}/promote_secondaries`, '1'); // the new address outlives the old one
  await lan.addAddress({ dev, address: `${SEED.roamGateway}/24` });
  const roamed = performance.now();
  await nl.replaceRoute({ dst: '0.0.0.0/0', gateway: SEED.roamGateway, dev });
  await lan.deleteAddress({ dev, address: `${SEED.lanGateway}/24` });
  return roamed;
}

export async function roamAct(context: ActContext, sandbox: Sandbox): Promise<void> {
  const { nl, netns, checkpoint } = context;
  const log: string[] = [];
  const lan = await open({ netns: sandbox.lan });
  let follower: redirect.Follower | undefined;
  try {
    follower = await redirect.follow(SEED.vpnDev, SEED.serverReal, {
      netns,
      gateway: SEED.vpnGateway,
      log: (line) => log.push(line),
    });
    const before = exceptionRoute(await context.table());
    const started = log.length;
    const from = await roam(nl, lan);
    const followedMs = await timeUntilVia(nl, SEED.roamGateway, from, checkpoint);
    if (followedMs === undefined) {
      context.problem(`roam: the exception route did not follow within ${FOLLOW_DEADLINE_MS / 1000} s`);
    }
    const routes = await context.table();
    await context.report({
      name: 'roam',
      call: `redirect.follow('${SEED.vpnDev}', '${SEED.serverReal}', { gateway: '${SEED.vpnGateway}', netns })`,
      command: `redirect-gateway up ${SEED.vpnDev} ${SEED.serverReal} --gateway ${SEED.vpnGateway} --follow --netns ${netns}`,
      routes,
      lookups: await lookups(nl, (d) => roamed(d.redirected)),
      roam: {
        oldGateway: SEED.lanGateway,
        newGateway: SEED.roamGateway,
        before,
        after: exceptionRoute(routes),
        followedMs,
        started: log.slice(0, started),
        log: log.slice(started),
      },
    });
  } finally {
    await follower?.close();
    lan.close();
  }
  // The redirect ends before the next act, which starts from the roamed table.
  await redirect.down(SEED.vpnDev, { netns });
}

// Act 5: the kill switch after a kill. With `--kill-switch`, `kill -9` of tincd (no script runs; the kernel
// deletes its tun device and the half-routes with it) leaves the fallback unreachable routes and the exception
// route to the server standing: a datagram to the internet is refused by the kernel instead of leaving in clear,
// while tinc's own path to the server stays open. `down` lifts it, and the main tables of both families (the kill
// switch refuses IPv6 too) are exactly the ones before `up`.
import * as redirect from '../../redirect/index.js';
import type { Sandbox } from '../sandbox.js';
import { SEED } from '../sandbox.js';
import { DESTINATIONS, lookups, roamed, sameRoutes, type ActContext } from '../steps.js';

/** An internet address (TEST-NET-3) and the discard port: the probe's datagram goes nowhere in any case. */
const PROBE = { address: '203.0.113.7', port: 9 };

export async function killSwitchAct(context: ActContext, sandbox: Sandbox): Promise<void> {
  const { nl, netns, table } = context;
  const before = await context.tables();
  const server = DESTINATIONS.filter((d) => d.address === SEED.serverReal);

  const up = await redirect.up(SEED.vpnDev, SEED.serverReal, { netns, gateway: SEED.vpnGateway, killSwitch: true });
  await context.report({
    name: 'kill-switch-up',
    call: `redirect.up('${SEED.vpnDev}', '${SEED.serverReal}', { gateway: '${SEED.vpnGateway}', killSwitch: true, netns })`,
    command: `redirect-gateway up ${SEED.vpnDev} ${SEED.serverReal} --gateway ${SEED.vpnGateway} --kill-switch --netns ${netns}`,
    changes: up.changes,
    routes: await table(),
    lookups: await lookups(nl, (d) => roamed(d.redirected)),
  });

  await sandbox.vanishVpn();
  const result = await sandbox.probe(PROBE.address, PROBE.port);
  if (result === 'sent') context.problem(`killed: the probe to ${PROBE.address} was sent in clear`);
  await context.report({
    name: 'killed',
    routes: await table(),
    lookups: await lookups(nl, (d) => roamed(d.redirected), server),
    probe: { ...PROBE, result },
  });

  const down = await redirect.down(SEED.vpnDev, { netns });
  const after = await context.tables();
  await context.report({
    name: 'kill-switch-down',
    call: `redirect.down('${SEED.vpnDev}', { netns })`,
    command: `redirect-gateway down ${SEED.vpnDev} --netns ${netns}`,
    changes: down.changes,
    routes: await table(),
    lookups: [],
    sameAsBefore: sameRoutes(after, before),
    compared: { before, after },
  });
}

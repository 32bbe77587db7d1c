// Target 3: redirect.up + redirect.down cost the same on a main table of 1M routes as on an empty one.
// Same namespace, measured on the empty table, then again after the table has grown to 1M routes
// (10.0.0.0/8 in /28s, proto bgp). Also the pieces: the protocol-filtered dump the redirect code uses to
// find its own routes (the kernel walks the whole table for it), the kernel's route lookup (cost
// independent of the table), and the exact-route lookups (findRoutes) a dump-free design would use.
import * as L from './lib.js';

const big = L.smoke ? 5000 : 1_000_000;
const cycles = L.smoke ? 20 : 300;
const REMOTE = '198.51.100.7';

async function timeEach(n, f) {
  for (let i = 0; i < Math.max(5, n / 10); i++) await f();
  const times = [];
  for (let i = 0; i < n; i++) {
    const t = L.nowUs();
    await f();
    times.push(L.nowUs() - t);
  }
  return L.median(times);
}

const { redirect, netlink } = await L.loadPackage();
const ns = L.makeNamespace('scale');
const nl = await netlink.open({ netns: ns });

async function measure() {
  const cycle = await timeEach(cycles, async () => {
    await redirect.up('vpn', REMOTE, { netns: ns });
    await redirect.down('vpn', { netns: ns });
  });
  const netlinkDumps = await timeEach(cycles, () => L.netlinkCycle(netlink, ns, 'dumps'));
  const netlinkLookups = await timeEach(cycles, () => L.netlinkCycle(netlink, ns, 'lookups'));
  await redirect.up('vpn', REMOTE, { netns: ns });
  const ownedDump = await timeEach(cycles, () => nl.listRoutes({ table: 'main', protocol: 'redirect-gateway' }));
  const lookup = await timeEach(cycles, () => nl.getRoute(REMOTE, { fibMatch: true }));
  const exact = await timeEach(cycles, () =>
    nl.findRoutes([
      { dst: '0.0.0.0/1', dev: 'vpn', protocol: 'redirect-gateway' },
      { dst: '128.0.0.0/1', dev: 'vpn', protocol: 'redirect-gateway' },
      { dst: `${REMOTE}/32`, protocol: 'redirect-gateway' },
    ]),
  );
  await redirect.down('vpn', { netns: ns });
  return {
    cycleUs: cycle,
    netlinkDumpsUs: netlinkDumps,
    netlinkLookupsUs: netlinkLookups,
    ownedDumpUs: ownedDump,
    lookupUs: lookup,
    exactUs: exact,
  };
}

const empty = await measure();
await L.fillTable(nl, 0, big);
const full = await measure();
nl.close();
L.dropNamespace(ns);

const us = (v) => `${v.toFixed(0)} us`;
const row = (what, key) =>
  console.log(
    `  ${what.padEnd(44)} ${us(empty[key]).padStart(9)} ${us(full[key]).padStart(11)}  ${(full[key] / empty[key]).toFixed(2)}x`,
  );
console.log(`medians, in process            ${'empty table'.padStart(26)} ${`${big} routes`.padStart(11)}`);
row('redirect.up + redirect.down', 'cycleUs');
row('  its route calls alone, exact lookups', 'netlinkLookupsUs');
row('  its route calls alone, with dumps', 'netlinkDumpsUs');
row('listRoutes({ protocol }) (filtered dump)', 'ownedDumpUs');
row('getRoute(server, { fibMatch }) (lookup)', 'lookupUs');
row('findRoutes(3 exact routes) (no dump)', 'exactUs');
L.report({ bench: 'scale', smoke: L.smoke, routes: big, empty, full, ratio: full.cycleUs / empty.cycleUs });

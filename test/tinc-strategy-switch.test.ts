// A change of strategy under --kill-switch, with and without --lockdown, with a real tincd (the world of test/support/tinc.ts, hooks
// from install-hook): while tinc is connected and a stream of datagrams runs from the client to the internet
// host, `redirect-gateway up` switches halves -> rules -> halves -> rules -> halves. The counter there tells
// the datagrams apart by source: the server's (masqueraded, through the tunnel) or the client's LAN address (in
// clear). None may arrive in clear across the switches; the tunnel carries probes after each; `down` leaves
// routes, rules and the nft ruleset exactly as before.
import { describe, expect, it } from 'vitest';
import { cli } from './support/cli.js';
import { phaseSources, SENDER, startCounter, STREAM } from './support/leak-probe.js';
import { netnsExec } from './support/netns.js';
import { kernelState } from './support/server-world.js';
import { ADDRESSES as A, createTincWorld, NetnsProcess, startTincd, waitUntil } from './support/tinc.js';
import { installHook, skipWithout, TINCD } from './support/tinc-suite.js';

const PORT = 7781;
const SWITCHES = ['rules', 'halves', 'rules', 'halves'];
/** The lockdown's firewall refuses what a gap in the routes would let out; the kill switch alone relies on the routes. */
const PROTECTIONS = [
  { protection: '--kill-switch --lockdown', flags: ['--kill-switch', '--lockdown'] },
  { protection: '--kill-switch', flags: ['--kill-switch'] },
];

describe.skipIf(skipWithout('nft'))('a change of strategy under a kill switch with a real tincd', () => {
  it.each(PROTECTIONS)(
    '$protection: nothing in clear across the switches; the tunnel works after each; down is exact',
    async ({ flags }) => {
      const world = await createTincWorld(TINCD!);
      const ns = world.ns.client;
      const installed = await installHook(world.client.confbase, ...flags, '--address', `${A.clientVpn}/16`, '--force');
      expect(installed.code, installed.stderr).toBe(0);
      const before = await kernelState(ns);
      const counter = await startCounter(world.ns.inet, A.internetHost, PORT, 150_000);
      const sources = async (phase: string) => {
        await new Promise((resolve) => setTimeout(resolve, 300)); // the last datagrams' way through the VPN
        return [...new Set(phaseSources(counter, phase))];
      };
      /** Probes until one comes through the VPN (tinc may drop the first packets while it sets up a session key). */
      const throughVpn = (phase: string) =>
        waitUntil(
          async () => {
            await netnsExec(ns, process.execPath, ['-e', SENDER, A.internetHost, String(PORT), phase, '300']);
            return (await sources(phase)).includes(A.server);
          },
          30_000,
          () => `no probe came through the VPN (${phase}): ${JSON.stringify(phaseSources(counter, phase))}`,
        );

      const env = { PATH: process.env.PATH };
      await startTincd(TINCD!, world.server, env);
      const client = await startTincd(TINCD!, world.client, env);
      await throughVpn('up');

      const stream = new NetnsProcess(
        'stream',
        ns,
        process.execPath,
        ['-e', STREAM, 'switching', '120000', `${A.internetHost},${PORT}`],
        {},
      );
      await stream.waitForOutput(/ready/);
      for (const [i, strategy] of SWITCHES.entries()) {
        const up = await cli(['up', 'vpn', A.server, ...flags, '--strategy', strategy, '--netns', ns]);
        expect(up.code, up.stderr).toBe(0);
        await throughVpn(`${strategy}-${i}`);
      }
      await stream.stop('SIGTERM');
      expect(Number(/sent (\d+)/.exec(stream.output)?.[1])).toBeGreaterThan(SWITCHES.length);
      expect(await sources('switching')).toEqual([A.server]); // live through the tunnel, and never in clear

      await client.stop('SIGKILL');
      const down = await cli(['down', 'vpn', '--netns', ns]);
      expect(down.code, down.stderr).toBe(0);
      expect(await kernelState(ns)).toBe(before);
    },
    150_000,
  );
});

// `status` against what really happens: real tincd killed while a redirect stands; its follower killed.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { cli, upFollowed } from './support/cli.js';
import { runStatus } from './support/exec.js';
import { ip } from './support/ip.js';
import { TINC_TRAFFIC } from './support/policy.js';
import { createSeedWithoutState, routeText, SERVER } from './support/seed.js';
import { createTincWorld, startTincd, waitUntil } from './support/tinc.js';
import { installHook, TINCD } from './support/tinc-suite.js';
import { holdTun } from './support/tun.js';

describe('status after kill -9 of tincd', () => {
  for (const strategy of ['halves', 'rules'] as const) {
    it(`--strategy ${strategy}: not active (it said active under rules), and not healthy`, async () => {
      const world = await createTincWorld(TINCD!);
      const client = world.ns.client;
      await installHook(world.client.confbase, '--strategy', strategy);
      await startTincd(TINCD!, world.server, { PATH: process.env.PATH });
      const daemon = await startTincd(TINCD!, world.client, { PATH: '/nonexistent' });
      await waitUntil(
        async () => (await cli(['status', 'vpn', '--netns', client])).code === 0,
        15_000,
        () => `no redirect:\n${daemon.output}`,
      );
      await daemon.stop('SIGKILL');
      const r = await cli(['status', 'vpn', '--netns', client]);
      expect(r.code, r.stdout).not.toBe(0);
      expect(r.stdout).toMatch(/^vpn: not active/);
    });
  }
});

describe('status of a follower that died', () => {
  it('kill -9 of the follower `up --follow` started: a problem (exit 1) until down forgets it', async () => {
    const { ns } = await createSeedWithoutState('client', { held: true });
    const pid = await upFollowed('vpn', SERVER, ns);
    await waitUntil(
      async () => (await cli(['status', 'vpn', '--netns', ns])).stdout.includes(`follower: pid ${pid}`),
      15_000,
      () => 'status never showed the follower',
    );
    expect((await cli(['status', 'vpn', '--netns', ns])).code).toBe(0);
    process.kill(pid, 'SIGKILL');
    await waitUntil(
      async () => !(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')),
      10_000,
      () => 'the follower did not die',
    );
    const status = await cli(['status', 'vpn', '--netns', ns]);
    expect(status.code, status.stdout).toBe(1);
    expect(status.stdout).toContain(`problem: its follower (pid ${pid}) died`);
    expect((await cli(['down', 'vpn', '--netns', ns])).code).toBe(0);
    expect((await cli(['up', 'vpn', SERVER, '--netns', ns])).code).toBe(0);
    const after = await cli(['status', 'vpn', '--netns', ns]);
    expect(after.code, after.stdout).toBe(0);
    expect((await cli(['down', 'vpn', '--netns', ns])).code).toBe(0);
  });
});

describe('status looks where the server goes now', () => {
  it('the exception route gone (as a link flap flushes it): the server refused is reported; with our rules gone too, its loop', async () => {
    const { ns, clean } = await createSeedWithoutState();
    expect((await cli(['up', 'vpn', SERVER, '--netns', ns])).code).toBe(0);
    await ip(ns, 'route', 'del', `${SERVER}/32`);
    const refused = await cli(['status', 'vpn', '--netns', ns]);
    expect(refused.code, refused.stdout).toBe(1);
    expect(refused.stdout).toContain(`problem: the server ${SERVER} has no path outside the VPN`);
    // What a network manager deleting rules it did not make does: then nothing stands between it and the loop.
    await ip(ns, 'rule', 'del', 'priority', '32765');
    await ip(ns, 'rule', 'del', 'priority', '32764');
    const status = await cli(['status', 'vpn', '--netns', ns]);
    expect(status.code, status.stdout).toBe(1);
    expect(status.stdout).toContain(`problem: the rule priority 32765 to ${SERVER}/32 unreachable refusing`);
    expect(status.stdout).toContain(`problem: the server ${SERVER} is routed through vpn itself`);
    expect((await cli(['down', 'vpn', '--netns', ns])).code).toBe(0);
    expect(await routeText(ns)).toBe(clean);
  });
});

describe('status of a server with no path outside the VPN, whatever the strategy', () => {
  for (const strategy of ['halves', 'rules'] as const) {
    it(`--strategy ${strategy}: a link flap took the uplink's routes: tinc's packets refused, a problem`, async () => {
      const { ns } = await createSeedWithoutState('client', { held: true });
      expect((await cli(['up', 'vpn', SERVER, '--strategy', strategy, '--netns', ns])).code).toBe(0);
      await ip(ns, 'link', 'set', 'eth0', 'down'); // the kernel flushes the routes through it
      await ip(ns, 'link', 'set', 'eth0', 'up');
      const tinc = await runStatus('ip', ['-n', ns, 'route', 'get', SERVER, ...TINC_TRAFFIC]);
      expect([tinc.code, tinc.stderr.trim()]).toEqual([2, 'RTNETLINK answers: Network is unreachable']);
      const status = await cli(['status', 'vpn', '--netns', ns]);
      expect(status.code, status.stdout).toBe(1);
      expect(status.stdout).toContain(
        `problem: the server ${SERVER} has no path outside the VPN: its packets are refused (ENETUNREACH), not looped`,
      );
      expect((await cli(['down', 'vpn', '--netns', ns])).code).toBe(0);
    });

    // Under halves the flap takes the last route of ours (the exception): as under the kill switch (whose
    // fallbacks stay), the state is still the redirect's, for its lockdown stands.
    it(`--strategy ${strategy}, the lockdown alone, tincd killed before the flap: the same problem, the lockdown shown`, async () => {
      const { ns } = await createSeedWithoutState('client', { held: true });
      expect((await cli(['up', 'vpn', SERVER, '--lockdown', '--strategy', strategy, '--netns', ns])).code).toBe(0);
      await ip(ns, 'link', 'delete', 'vpn');
      await ip(ns, 'link', 'set', 'eth0', 'down');
      await ip(ns, 'link', 'set', 'eth0', 'up');
      const status = await cli(['status', 'vpn', '--netns', ns]);
      expect(status.code, status.stdout).toBe(1);
      expect(status.stdout).toContain(
        `problem: the server ${SERVER} has no path outside the VPN: its packets are refused`,
      );
      expect(status.stdout).toContain('lockdown: table inet redirect_gateway_lockdown');
      expect(status.stdout).not.toContain('problem: the interface vpn is gone');
      expect((await cli(['down', 'vpn', '--netns', ns])).code).toBe(0);
    });
  }
});

describe('status of a tunnel no process holds', () => {
  for (const strategy of ['halves', 'rules'] as const) {
    it(`--strategy ${strategy}: healthy while the tun device is held; its holder killed, no carrier is a problem`, async () => {
      const { seed, ns } = await createSeedWithoutState();
      const holder = await holdTun({ ns, name: seed.vpn });
      expect((await cli(['up', 'vpn', SERVER, '--strategy', strategy, '--netns', ns])).code).toBe(0);
      const held = await cli(['status', 'vpn', '--netns', ns]);
      expect(held.code, held.stdout).toBe(0);
      await holder.kill();
      const dead = await cli(['status', 'vpn', '--netns', ns]);
      expect(dead.code, dead.stdout).toBe(1);
      expect(dead.stdout).toContain('problem: vpn has no carrier: no process holds the tunnel');
      expect((await cli(['down', 'vpn', '--netns', ns])).code).toBe(0);
    });
  }
});

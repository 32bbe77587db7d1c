// `status` against what really happens to packets: real tincd ends (killed) while a redirect stands.
import { describe, expect, it } from 'vitest';
import { cli } from './support/cli.js';
import { createTincWorld, startTincd, waitUntil } from './support/tinc.js';
import { installHook, TINCD } from './support/tinc-suite.js';

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

// Issue 21: without root, every command that needs it says so, in one line, exit 1; nothing claims a redirect
// is "not active" because it could not read the state, and nothing is an "internal error".
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI } from './support/cli.js';
import { findProgram, runAsNobody } from './support/exec.js';
import { createSeed, routeText, SERVER, type Seed } from './support/seed.js';

let seed: Seed;

beforeAll(async () => {
  seed = await createSeed();
});

describe('run without root (nobody, no capabilities)', () => {
  const cases: string[][] = [
    ['up', 'vpn', SERVER],
    ['down', 'vpn'],
    ['status'],
    ['status', 'vpn'],
    ['serve', 'vpn'],
    ['unserve', 'vpn'],
    ['follow', 'vpn', SERVER],
    ['routes', '--netns', 'NS'],
    ['rules', '--netns=NS'],
  ];
  for (const args of cases) {
    it(`${args.join(' ')}: needs root (CAP_NET_ADMIN), exit 1, the table untouched`, async (ctx) => {
      if (!findProgram('setpriv')) ctx.skip();
      const before = await routeText(seed.ns);
      const withNs = args.map((a) => a.replace('NS', seed.ns));
      const r = await runAsNobody(process.execPath, [CLI, ...withNs]);
      expect(r.stderr).toBe(`redirect-gateway: ${args[0]}: needs root (CAP_NET_ADMIN)\n`);
      expect(r.code).toBe(1);
      expect(await routeText(seed.ns)).toBe(before);
    });
  }

  it("the library's redirect.status(): a RefusedError saying it needs root, not a status without its state", async (ctx) => {
    if (!findProgram('setpriv')) ctx.skip();
    const index = join(dirname(CLI), '..', 'index.js');
    const script = `import(${JSON.stringify(index)}).then(({ redirect }) => redirect.status()).then(
      (s) => console.log('status ' + JSON.stringify(s)),
      (e) => console.log(e.name + ': ' + e.message),
    );`;
    const r = await runAsNobody(process.execPath, ['-e', script]);
    expect(r.stdout).toMatch(/^RefusedError: status needs root \(CAP_NET_ADMIN\): /);
  });

  it('install-hook into a confbase nobody may write: the denial and that it needs root, no internal error', async (ctx) => {
    if (!findProgram('setpriv')) ctx.skip();
    const confbase = await mkdtemp(join(tmpdir(), 'rg-confbase-'));
    const r = await runAsNobody(process.execPath, [CLI, 'install-hook', '--node', 'server', '--confbase', confbase]);
    expect(r.stderr).toMatch(/^redirect-gateway: install-hook: .*needs root \(CAP_NET_ADMIN\)\)?\n$/);
    expect(r.stderr).not.toContain('internal error');
    expect(r.code).toBe(1);
  });
});

// A lookup (getRoute, findRoutes, getLink) is one request answered by one message, its route or link or its
// error: the request asks for no ack, so the kernel makes none and the reader waits for none. Graded by strace
// on a process that makes the lookups: its sendmsg and recvmsg calls between two markers, and the answers
// themselves against the table ip shows.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { start } from './support/exec.js';
import { REPO, tempDir } from './support/package.js';
import { OUR_PROTOCOL } from './support/routes.js';
import { createTunLan } from './support/tun-client.js';

const MARK = '/nonexistent-redirect-gateway-mark';

it('each lookup is one message in and one out, found or not', async () => {
  const lan = await createTunLan({ routes: [`route add 10.5.0.0/16 dev vpn proto ${OUR_PROTOCOL}`] });
  const dir = await tempDir('lookup-replies');
  const script = join(dir, 'lookups.mjs');
  await writeFile(
    script,
    `
    import { accessSync } from 'node:fs';
    import { netlink } from ${JSON.stringify(pathToFileURL(join(REPO, 'dist/index.js')).href)};
    const mark = (n) => { try { accessSync(${JSON.stringify(MARK)} + n); } catch {} };
    const nl = await netlink.open({ netns: ${JSON.stringify(lan.client)} });
    mark('begin');
    const route = await nl.getRoute('10.5.1.1');
    const found = await nl.findRoutes([{ dst: '10.5.0.0/16' }, { dst: '10.6.0.0/16' }, { dst: '0.0.0.0/0' }]);
    const link = await nl.getLink('vpn');
    const none = await nl.getLink('nosuchlink');
    mark('end');
    nl.close();
    console.log(JSON.stringify({ route: route.dev, found: found.map((r) => r?.dst ?? null), link: link?.name, none: none ?? null }));
    `,
  );
  const trace = join(dir, 'trace');
  const strace = ['-f', '-qq', '-o', trace, '-e', 'trace=access,sendmsg,sendto,recvmsg,recvfrom'];
  const exit = await start('strace', [...strace, process.execPath, script], { timeoutMs: 30_000 }).exit;
  expect(exit.code, exit.stderr).toBe(0);
  expect(JSON.parse(exit.stdout)).toEqual({
    route: 'vpn',
    found: ['10.5.0.0/16', null, '0.0.0.0/0'],
    link: 'vpn',
    none: null,
  });
  const lines = (await readFile(trace, 'utf8')).split('\n');
  const between = lines.slice(
    lines.findIndex((l) => l.includes(`${MARK}begin`)),
    lines.findIndex((l) => l.includes(`${MARK}end`)),
  );
  const count = (call: RegExp) => between.filter((l) => call.test(l)).length;
  // getRoute, findRoutes (its three lookups in one send), and each getLink.
  expect(count(/ send(msg|to)\(/)).toBe(4);
  expect(count(/ recv(msg|from)\(/), between.join('\n')).toBe(1 + 3 + 1 + 1);
});

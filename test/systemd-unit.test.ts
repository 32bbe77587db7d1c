// The shipped systemd unit (contrib/redirect-gateway-follow@.service): systemd's own `systemd-analyze verify`
// reads a copy of it (in a temporary directory, as the instance @vpn) and finds nothing to say; and it follows
// tinc's unit of the same instance.
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findProgram, runStatus } from './support/exec.js';
import { REPO, tempDir } from './support/package.js';

const UNIT = 'redirect-gateway-follow@.service';
const ANALYZE = findProgram('systemd-analyze');

/** What `systemd-analyze verify` says of the unit text, as the instance @vpn. */
async function verify(text?: string) {
  const dir = await tempDir('unit');
  if (text === undefined) await copyFile(join(REPO, 'contrib', UNIT), join(dir, UNIT));
  else await writeFile(join(dir, UNIT), text);
  return runStatus(ANALYZE!, ['verify', join(dir, 'redirect-gateway-follow@vpn.service')]);
}

/** The unit's `Key=Value` lines, by key. */
function directives(text: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const [, key, value] of text.matchAll(/^(\w+)=(.*)$/gm)) found.set(key, [...(found.get(key) ?? []), value]);
  return found;
}

// Under CI systemd-analyze is installed (.ci/run): there the suite runs, and fails without it.
describe.skipIf(!ANALYZE && process.env.CI !== 'true')(`contrib/${UNIT}`, () => {
  it('systemd-analyze verify finds nothing wrong', async () => {
    const r = await verify();
    expect([r.code, r.stderr, r.stdout]).toEqual([0, '', '']);
  });

  it('verify does complain about a unit with a misspelt directive (the check can fail)', async () => {
    const text = await readFile(join(REPO, 'contrib', UNIT), 'utf8');
    const r = await verify(text.replace('PartOf=', 'PartsOf='));
    expect(r.stderr).toMatch(/Unknown key 'PartsOf' in section \[Unit\]/);
  });

  it('is started with tinc@%i, after it, and stopped and restarted with it', async () => {
    const unit = directives(await readFile(join(REPO, 'contrib', UNIT), 'utf8'));
    expect(unit.get('After')?.join(' ').split(/\s+/)).toContain('tinc@%i.service');
    expect(unit.get('PartOf')).toEqual(['tinc@%i.service']);
    expect(unit.get('WantedBy')).toEqual(['tinc@%i.service']);
    expect(unit.get('ExecStart')).toEqual(['/usr/bin/env redirect-gateway follow %i']);
  });
});

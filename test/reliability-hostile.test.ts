// Hostile and malformed input: thousands of generated bad command lines and hook environments, through the CLI's
// entry function in this process and a few hundred of them as real processes. Each must end with exit 2 (bad
// input) or 1 (refused: no such interface, no such namespace) and exactly one line on stderr starting
// "redirect-gateway: ", never a stack trace, never an internal error, never a hang; and the routing table and
// the state directory must be as they were.
//
// Every case carries at least one defect the generator knows for certain (so none of them may succeed); when
// one of its defects is bad input, the exit must be 2, since input is checked before anything is sent.
// Replay a run with RG_SEED=<seed printed in the summary line>.
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { cli } from './support/cli.js';
import { type InProcessResult, pool, Prng, runInProcess, runSeed } from './support/reliability-tools.js';
import { snapshotRoutes } from './support/routes.js';
import { createSeedWithoutState, routeText, SERVER, VPN_GATEWAY } from './support/seed.js';
import { stateFiles } from './support/state.js';

const IN_PROCESS = 5000;
const AS_PROCESSES = 300;
const MAX_ARG_BYTES = 100_000; // below Linux's 128 KiB limit for one argument

type Kind = 'usage' | 'refusal';

interface Case {
  args: string[];
  env: Record<string, string>;
  /** What is wrong, for the failure message. */
  defects: string[];
  expected: 1 | 2;
}

// --- bad values ----------------------------------------------------------------------------------------------------

const FORBIDDEN_IN_NAMES = ['/', ':', ' ', '\t', '\n', '\r', '\v', '\f', '\0', '\u00a0', '\u2028'];

function badInterfaceName(p: Prng): string {
  switch (p.int(8)) {
    case 0:
      return '';
    case 1:
      return p.pick(['.', '..']);
    case 2:
      return 'x'.repeat(p.range(16, 64)); // IFNAMSIZ - 1 is 15 bytes
    case 3:
      return p.pick([
        'ü'.repeat(8),
        '🙂'.repeat(4),
        'ηλεκτρονικό0',
        'vpn\u0301'.repeat(4),
        'x'.repeat(p.chance(0.3) ? 1 << 20 : 5000),
      ]);
    case 4:
      return p.pick(['a/b', '/', '../etc', 'vpn/', '/vpn', 'vpn:0', ':', 'a:b:c']);
    default: {
      const base = randomName(p, p.range(1, 12));
      const at = p.int(base.length + 1);
      return base.slice(0, at) + p.pick(FORBIDDEN_IN_NAMES) + base.slice(at);
    }
  }
}

/** A name Linux would accept for an interface (1-15 bytes, no '/', ':' or white space, not '.' or '..'). */
function randomName(p: Prng, length: number): string {
  const chars = 'abcdefghijklmnopqrstuvwxyz0123456789_-.@+=%';
  let name = '';
  while (name.length < length) name += chars[p.int(chars.length)];
  if (name.startsWith('-')) name = `n${name.slice(1)}`; // a leading '-' would make it an option
  return name === '.' || name === '..' ? 'n' : name;
}

/** A valid name that no interface in the test namespace has (up refuses: no such interface). */
function absentInterfaceName(p: Prng): string {
  // Linux takes control characters in a name (only '/', ':' and ASCII white space are out): the message that
  // names the interface must not pass them on.
  const name = p.chance(0.25)
    ? p.pick([
        'tun0',
        'wg0',
        'vpn0',
        'eth1',
        'ünï',
        'vpn.1',
        'VPN',
        'lo0',
        'a\u001b[31mb',
        'vpn\u007f',
        'x\u009b2J',
        'é\u0085',
        'v\u202ep',
      ])
    : randomName(p, p.range(1, 15));
  return ['vpn', 'eth0', 'lo'].includes(name) ? `${name}x` : name;
}

function junk(p: Prng, max = 40): string {
  const alphabets = [
    '0123456789.',
    '0123456789abcdef:',
    'abcdefghijklmnopqrstuvwxyz',
    '!@#$%^&*()[]{}<>?\\|"\'`~;',
    '０１２３４５６７８９．',
    '\u202e\u200b\u0000\u001b\u007f',
  ];
  let s = '';
  const n = p.range(0, max);
  for (let i = 0; i < n; i++) {
    const a = p.pick(alphabets);
    s += [...a][p.int([...a].length)];
  }
  return s;
}

/** Something that is not an IP address at all (checked against node's own parser). */
function notAnAddress(p: Prng): string {
  for (;;) {
    const text = p.chance(0.5)
      ? p.pick([
          '',
          ' ',
          '1.2.3',
          '1.2.3.4.5',
          '256.1.1.1',
          '1.2.3.-4',
          '1.2.3.4.',
          '.1.2.3',
          '1..2.3',
          '0x7f.0.0.1',
          '01.02.03.04',
          '1e3.0.0.1',
          '::g',
          ':::',
          '1::2::3',
          '12345::',
          'fe80::1%eth0',
          '[::1]',
          '2001:db8::1/64',
          '198.51.100.10/32',
          '1.2.3.4/33',
          '::/129',
          '1.2.3.4/',
          '/24',
          '198.51.100.10 ',
          ' 198.51.100.10',
          '198.51.100.10\n',
          '198.51.100.10\0',
          '１.２.３.４',
          'localhost',
          'unspec',
          '-1',
          '4294967296',
          'x'.repeat(1 << 20),
          '198.51.100.' + '1'.repeat(5000),
        ])
      : junk(p);
    if (isIP(text) === 0) return text;
  }
}

/** A bad address without white space, commas or NUL: one word of a list. */
function oneWord(text: string): string {
  const word = text.replace(/[\s,\0]+/g, '');
  return isIP(word) === 0 && word !== '' ? word : 'not-an-address';
}

/** A well-formed address that no server or gateway can have. */
function notUnicast(p: Prng): string {
  return p.pick([
    '0.0.0.0',
    '127.0.0.1',
    '127.255.255.254',
    '224.0.0.1',
    '239.255.255.250',
    '255.255.255.255',
    '::',
    '::1',
    'ff02::1',
    'ff05::2',
  ]);
}

function badFamily(p: Prng): string {
  return p.pick(['', '5', '46', 'four', 'Both', 'both ', ' 4', '4.0', '0x4', 'inet', 'ipv4', '-4', `${junk(p, 10)}z`]);
}

function badTable(p: Prng): string {
  return p.pick(['', 'mian', 'Main', '-1', '4294967296', '1e3', '0x100', 'main ', 'all,main', `${junk(p, 12)}z`]);
}

function unknownOption(p: Prng): string {
  // Not '-' (a positional) or '--' (the end of the options): whether those are wrong depends on the rest.
  const name = p.pick([
    '--bogus',
    '--Netns',
    '--net-ns',
    '--gw',
    '--families',
    '-x',
    '-4x',
    '---',
    '--=',
    '--json5',
    '--no-json',
  ]);
  return p.chance(0.2) ? `--${junk(p, 20).replace(/^-+/, '')}x` : name;
}

// --- cases ---------------------------------------------------------------------------------------------------------

function buildCase(p: Prng, ns: string): Case {
  const defects: [string, Kind][] = [];
  const env: Record<string, string> = {};
  let positionals: string[];
  const options: string[][] = [];
  let netns: string[] = ['--netns', ns];
  const command = p.pick([
    'up',
    'up',
    'up',
    'down',
    'status',
    'routes',
    'hook',
    'hook',
    'hook',
    'unknown',
    'install-hook',
  ]);

  // Defects shared by the commands that take --netns.
  let netnsDone = false; // one defect at --netns: a second would undo the first
  const netnsDefect = (): void => {
    if (netnsDone) return;
    netnsDone = true;
    switch (p.int(3)) {
      case 0:
        netns = [
          '--netns',
          p.pick(['', 'a/b', '..', '.', 'x\0y', 'n'.repeat(300), '/run/netns/../netns/x', '/a/../b']),
        ];
        defects.push(['netns name', 'usage']);
        break;
      case 1:
        netns = ['--netns', `no-such-ns-${p.int(1e6)}${p.pick(['', '', '\r', '\u001b[2J', '\u2028x', '\u0085'])}`];
        defects.push(['no such namespace', 'refusal']);
        break;
      default:
        netns = ['--netns', p.pick(['/etc/passwd', '/dev/null', '/tmp', '/run/netns', '/nonexistent/ns'])];
        defects.push(['not a namespace', 'refusal']);
    }
  };
  const optionDefect = (): void => {
    switch (p.int(4)) {
      case 0:
        options.push([unknownOption(p)]);
        defects.push(['unknown option', 'usage']);
        break;
      case 1:
        options.push(['--json=yes']);
        defects.push(['a flag with a value', 'usage']);
        break;
      case 2:
        options.push(['--netns', ns]);
        defects.push(['--netns twice', 'usage']);
        break;
      default:
        options.push(['--netns']);
        defects.push(['an option without its value (last)', 'usage']);
    }
  };

  if (command === 'unknown') {
    const name = p.pick([
      '',
      'UP',
      'upp',
      'Down',
      'route',
      'stat',
      'hooks',
      'up\0',
      'install',
      'rm -rf /',
      '--netns',
      '-v',
      '--version',
      `${junk(p, 15)}z`,
    ]);
    return {
      args: [name, ...(p.chance(0.5) ? ['vpn', SERVER] : []), '--netns', ns],
      env,
      defects: ['unknown command'],
      expected: 2,
    };
  }
  if (command === 'install-hook') {
    const args = [p.pick(['install-hook', 'uninstall-hook']), unknownOption(p), '--node', 'server', '--netname', 'vpn'];
    return { args, env, defects: ['unknown option'], expected: 2 };
  }

  if (command === 'up') {
    positionals = ['vpn', SERVER];
    if (p.chance(0.3)) options.push(p.pick([['--json'], ['--family', '4'], ['--gateway', VPN_GATEWAY]]));
    // Up to three defects, each at a place of its own (a later one must not undo an earlier one).
    const taken = new Set<string>();
    const kinds = p.range(1, 3);
    for (let i = 0; i < kinds; i++) {
      const pick = p.int(12);
      const place = [
        'iface',
        'iface',
        'remote',
        'remote',
        'gateway',
        'gateway',
        'family',
        'count',
        'count',
        'option',
        'netns',
        'netns',
      ][pick];
      if (
        taken.has(place) ||
        (place === 'count' && (taken.has('iface') || taken.has('remote'))) ||
        ((place === 'iface' || place === 'remote') && taken.has('count'))
      )
        continue;
      if ((place === 'gateway' && taken.has('family')) || (place === 'family' && taken.has('gateway'))) continue;
      taken.add(place);
      switch (pick) {
        case 0:
          positionals[0] = badInterfaceName(p);
          defects.push(['interface name', 'usage']);
          break;
        case 1:
          positionals[0] = absentInterfaceName(p);
          defects.push(['no such interface', 'refusal']);
          break;
        case 2:
          positionals[1] = notAnAddress(p);
          defects.push(['server address', 'usage']);
          break;
        case 3:
          positionals[1] = notUnicast(p);
          defects.push(['server address not unicast', 'usage']);
          break;
        case 4:
          options.push(['--gateway', p.chance(0.5) ? notAnAddress(p) : notUnicast(p)]);
          defects.push(['gateway', 'usage']);
          break;
        case 5:
          options.push(['--gateway', '2001:db8::1'], ['--family', '4']);
          defects.push(['gateway of the wrong family', 'usage']);
          break;
        case 6:
          options.push(['--family', badFamily(p)]);
          defects.push(['family', 'usage']);
          break;
        case 7:
          positionals.push(p.pick(['extra', SERVER, junk(p, 10) || 'x']));
          defects.push(['an extra argument', 'usage']);
          break;
        case 8:
          positionals = positionals.slice(0, p.int(2));
          defects.push(['a missing argument', 'usage']);
          break;
        case 9:
          optionDefect();
          break;
        default:
          netnsDefect();
      }
    }
  } else if (command === 'down' || command === 'status') {
    positionals = command === 'down' || p.chance(0.5) ? ['vpn'] : [];
    if (p.chance(0.3)) options.push(['--json']);
    switch (p.int(5)) {
      case 0:
        positionals = [badInterfaceName(p)];
        defects.push(['interface name', 'usage']);
        break;
      case 1:
        positionals = ['vpn', 'vpn'];
        defects.push(['an extra argument', 'usage']);
        break;
      case 2:
        if (command === 'down') {
          positionals = [];
          defects.push(['a missing argument', 'usage']);
        } else netnsDefect();
        break;
      case 3:
        optionDefect();
        break;
      default:
        netnsDefect();
    }
  } else if (command === 'routes') {
    positionals = [];
    if (p.chance(0.3)) options.push([p.pick(['-4', '-6', '--json'])]);
    switch (p.int(4)) {
      case 0:
        options.push(['--table', badTable(p)]);
        defects.push(['table', 'usage']);
        break;
      case 1:
        positionals = [p.pick(['main', 'vpn', junk(p, 8) || 'x'])];
        defects.push(['an argument', 'usage']);
        break;
      case 2:
        optionDefect();
        break;
      default:
        netnsDefect();
    }
  } else {
    // hook EVENT, reading tincd's environment
    const event = p.pick(['up', 'up', 'down', 'host-up', 'host-down']);
    positionals = [event];
    env.INTERFACE = 'vpn';
    env.NODE = 'server';
    if (event === 'up' || event === 'host-up') env.REMOTEADDRESS = SERVER;
    if (event === 'up' && p.chance(0.3)) env.VPN_GATEWAY = VPN_GATEWAY;
    let interfaceDone = false; // one defect at INTERFACE: a second would undo the first
    const envDefects: (() => void)[] = [
      () => {
        if (interfaceDone) return;
        interfaceDone = true;
        if (event === 'up' && p.chance(0.3)) {
          env.INTERFACE = absentInterfaceName(p);
          defects.push(['no such interface', 'refusal']);
          return;
        }
        if (p.chance(0.5)) delete env.INTERFACE;
        else env.INTERFACE = p.chance(0.3) ? '' : badInterfaceName(p).replace(/\0/g, '/');
        defects.push(['INTERFACE', 'usage']);
      },
    ];
    if (event === 'up') {
      envDefects.push(() => {
        // One word (VPN_GATEWAY is split at white space and commas), or a good gateway and a bad one.
        env.VPN_GATEWAY = p.pick([
          oneWord(notAnAddress(p)),
          notUnicast(p),
          `${VPN_GATEWAY},${notUnicast(p)}`,
          `${VPN_GATEWAY} ${oneWord(notAnAddress(p))}`,
        ]);
        defects.push(['VPN_GATEWAY', 'usage']);
      });
    }
    if (event === 'up' || event === 'host-up') {
      envDefects.push(() => {
        const choice = p.int(4);
        if (choice === 0) delete env.REMOTEADDRESS;
        else
          env.REMOTEADDRESS =
            choice === 1
              ? 'unspec'
              : choice === 2
                ? ''
                : (p.chance(0.5) ? notAnAddress(p) : notUnicast(p)).replace(/\0/g, 'x');
        defects.push(['REMOTEADDRESS', 'usage']);
      });
    }
    if (event === 'host-up' || event === 'host-down') {
      envDefects.push(() => {
        if (p.chance(0.3)) delete env.NODE;
        else
          env.NODE = p.pick([
            '',
            'a b',
            'a-b',
            'ü',
            'node/1',
            '.',
            'x'.repeat(70_000) + '-',
            '$(reboot)',
            junk(p, 10) + '-',
          ]);
        defects.push(['NODE', 'usage']);
      });
    }
    const argDefects: (() => void)[] = [
      () => {
        positionals = [p.pick(['', 'UP', 'upp', 'host_up', 'hostup', 'host-', 'start', `${junk(p, 10)}z`])];
        defects.push(['event', 'usage']);
      },
      () => {
        positionals.push(p.pick(['vpn', 'extra']));
        defects.push(['an extra argument', 'usage']);
      },
      () => {
        options.push(['--family', badFamily(p)]);
        defects.push(['family', 'usage']);
      },
      optionDefect,
      netnsDefect,
    ];
    if (event === 'up')
      argDefects.push(() => {
        options.push(['--gateway', notAnAddress(p)]);
        defects.push(['gateway', 'usage']);
      });
    const kinds = p.range(1, 2);
    for (let i = 0; i < kinds; i++) (p.chance(0.5) ? p.pick(envDefects) : p.pick(argDefects))();
    // Unrelated variables tincd might set: no influence.
    if (p.chance(0.3)) env.NETNAME = junk(p, 10);
    if (p.chance(0.2)) env.DEVICE = junk(p, 10);
  }

  // Options anywhere among the positionals, which keep their order. (A missing argument, then another defect at
  // its place, leaves a hole: gone, the argument is still missing.)
  const parts = positionals.filter((x) => x !== undefined).map((x) => [x]);
  for (const option of [...options, netns]) parts.splice(p.int(parts.length + 1), 0, option);
  // An option without its value must come last to be without its value; positionals that look like options
  // would be options: both are kept as generated.
  const last = parts.findIndex((x) => x.length === 1 && x[0] === '--netns');
  if (last >= 0) parts.push(...parts.splice(last, 1));
  const args = [command, ...parts.flat()];
  const expected = defects.some(([, kind]) => kind === 'usage') ? 2 : 1;
  return { args, env, defects: defects.map(([d]) => d), expected };
}

// --- checks --------------------------------------------------------------------------------------------------------

// Characters that end or rewrite a line on a terminal or in a log: C0/C1 controls, DEL, line and paragraph
// separators. One line of text has none of them.
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

function describeCase(c: Case, seed: number): string {
  const show = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}...(${s.length})` : s);
  return `[seed ${seed}] args ${c.args.map(show).join(' ')} env ${JSON.stringify(Object.fromEntries(Object.entries(c.env).map(([k, v]) => [k, v.length > 80 ? `${v.slice(0, 80)}...` : v])))} (${c.defects.join(', ')})`;
}

/** The checks every bad input must pass; returns the problems found (none, one hopes). */
function judge(c: Case, code: number | null | 'hung', stdout: string[], stderrLines: string[], seed: number): string[] {
  const what = describeCase(c, seed);
  const problems: string[] = [];
  if (code === 'hung' || code === null) problems.push(`${what}: hung or killed`);
  else if (code !== c.expected)
    problems.push(`${what}: exit ${code}, expected ${c.expected}: ${stderrLines.join(' | ').slice(0, 300)}`);
  if (stderrLines.length !== 1)
    problems.push(`${what}: ${stderrLines.length} lines on stderr: ${JSON.stringify(stderrLines).slice(0, 300)}`);
  const line = stderrLines[0] ?? '';
  if (!line.startsWith('redirect-gateway: '))
    problems.push(`${what}: stderr does not start with "redirect-gateway: ": ${line.slice(0, 200)}`);
  if (CONTROL.test(line))
    problems.push(`${what}: a control character on stderr: ${JSON.stringify(line.slice(0, 300))}`);
  if (/internal error/.test(line)) problems.push(`${what}: an internal error: ${line.slice(0, 300)}`);
  if (/\bat .+:\d+:\d+\)?$|^\s+at /m.test(line)) problems.push(`${what}: a stack trace: ${line.slice(0, 300)}`);
  if (stdout.join('') !== '') problems.push(`${what}: something on stdout: ${stdout.join('').slice(0, 200)}`);
  return problems;
}

describe('hostile and malformed input', () => {
  it(`${IN_PROCESS} generated bad inputs in process, ${AS_PROCESSES} of them as processes: exit 1 or 2, one line, nothing changed`, async () => {
    const { ns, key, clean: tableBefore } = await createSeedWithoutState();
    const allBefore = await snapshotRoutes(ns);
    const runnerBefore = await snapshotRoutes(null);
    const prng = new Prng(runSeed());
    const cases = Array.from({ length: IN_PROCESS }, () => buildCase(prng, ns));

    const problems: string[] = [];
    const started = performance.now();
    let longest = 0;
    const byDefect = new Map<string, number>();
    for (const c of cases) {
      const r: InProcessResult = await runInProcess(c.args, c.env, 10_000);
      // In process, io.err receives each line: one call, and no newline in it.
      const lines = r.err.flatMap((t) => t.split('\n'));
      problems.push(...judge(c, r.code, r.out, lines, prng.seed));
      longest = Math.max(longest, ...r.err.map((t) => t.length));
      for (const d of c.defects) byDefect.set(d, (byDefect.get(d) ?? 0) + 1);
      if (problems.length > 20) break;
    }
    const inProcessMs = performance.now() - started;

    // As processes: the ones an argv can carry (no NUL, no argument over the limit), at most 4 at a time.
    const carriable = cases.filter((c) =>
      [...c.args, ...Object.values(c.env)].every((s) => !s.includes('\0') && Buffer.byteLength(s) < MAX_ARG_BYTES),
    );
    const picked = carriable
      .filter((_, i) => i % Math.max(1, Math.floor(carriable.length / AS_PROCESSES)) === 0)
      .slice(0, AS_PROCESSES);
    const processStarted = performance.now();
    await pool(picked, 4, async (c) => {
      const r = await cli(c.args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...c.env }, timeoutMs: 15_000 });
      const lines = r.stderr.endsWith('\n') ? r.stderr.slice(0, -1).split('\n') : [r.stderr];
      problems.push(...judge(c, r.timedOut ? 'hung' : r.code, r.stdout ? [r.stdout] : [], lines, prng.seed));
    });
    const processMs = performance.now() - processStarted;

    console.log(
      `hostile input: seed ${prng.seed}: ${cases.length} cases in process (${(inProcessMs / 1000).toFixed(1)} s), ${picked.length} as processes ` +
        `(${(processMs / 1000).toFixed(1)} s), ${problems.length} problems; longest error line ${longest} characters; defects: ` +
        [...byDefect]
          .sort((a, b) => b[1] - a[1])
          .map(([d, n]) => `${d} ${n}`)
          .join(', '),
    );
    expect(problems.slice(0, 20)).toEqual([]);
    expect(picked.length).toBeGreaterThanOrEqual(AS_PROCESSES * 0.9);
    // Nothing changed: the table as ip prints it, every table in detail, the runner's own namespace, and no
    // state file was written for the namespace (a lock file is no state).
    expect(await routeText(ns)).toBe(tableBefore);
    expect(await snapshotRoutes(ns)).toEqual(allBefore);
    expect(await snapshotRoutes(null)).toEqual(runnerBefore);
    expect((await stateFiles(key)).filter((n) => !n.endsWith('.lock'))).toEqual([]);
  }, 240_000);
});

import { createInterface } from 'node:readline';
import { RefusedError } from '../../errors.js';
import type { Route } from '../../netlink/index.js';
import {
  describePath,
  DESTINATIONS,
  formatRouteN,
  runDemo,
  SEED,
  type DemoStep,
  type Lookup,
  type SandboxInfo,
} from '../../demo/index.js';
import { expectPositionals } from '../args.js';
import type { Command, Output } from '../command.js';
import { formatChange, formatRoute } from '../format.js';
import { comparisonText, probeText, roamText } from './demo-acts-text.js';

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

const indent = (lines: string[], by = '  ') => lines.map((l) => `${by}${l}`).join('\n');

function matchedText(route: Route | undefined): string {
  if (!route) return '';
  const dst = route.dst === '0.0.0.0/0' ? 'default' : route.dst.endsWith('/32') ? route.dst.slice(0, -3) : route.dst;
  return `${dst}${route.protocol === 'redirect-gateway' ? ' (ours)' : ''}`;
}

function lookupLines(lookups: Lookup[]): string[] {
  const width = (f: (l: Lookup) => string) => Math.max(...lookups.map((l) => f(l).length));
  const goes = (l: Lookup) => (l.path ? describePath(l.path) : `no route: ${l.error}`);
  const [wa, wl, wg, wm] = [
    width((l) => l.destination.address),
    width((l) => l.destination.label),
    width(goes),
    width((l) => matchedText(l.matched)),
  ];
  return lookups.map((l) =>
    [
      l.destination.address.padEnd(wa),
      l.destination.label.padEnd(wl),
      goes(l).padEnd(wg),
      `matched ${matchedText(l.matched).padEnd(wm)}`,
      l.ok ? 'ok' : `UNEXPECTED (the documentation says ${describePath(l.expected)})`,
    ].join('  '),
  );
}

function sandboxText(info: SandboxInfo): string {
  const vpn = info.vpnKind === 'tun' ? 'tun device' : 'veth standing in for a tun device (no /dev/net/tun here)';
  return `The sandbox
  client  network namespace ${info.client}: the machine of the documentation's tables
            ${SEED.lanDev}  ${SEED.clientLan}/24 on the LAN ${SEED.lanPrefix}, default route via ${SEED.lanGateway}
            ${SEED.vpnDev}   ${vpn}, the client's VPN address ${SEED.clientVpn}/32 (the VPN is ${SEED.vpnPrefix})
  LAN     network namespace ${info.lan}: the LAN's gateway ${SEED.lanGateway}
  server  ${SEED.vpnGateway} on the VPN; its real address is ${SEED.serverReal}, a documentation address (TEST-NET-2)
          standing for the documentation's ${SEED.seedServerReal}`;
}

const TITLES: Record<DemoStep['name'], string> = {
  before: "1. Before: the client's routing table (the documentation's first table)",
  up: "2. Up: the redirect (the documentation's last table, with two /1 routes instead of a new default route)",
  down: '3. Down: the redirect removed',
  roam: '4. Roaming with --follow: the uplink gateway changes, the follower moves the exception route after it',
  'kill-switch-up': '5. The kill switch: up --kill-switch (unreachable fallback routes behind the half-routes)',
  killed: '6. kill -9 of tincd: no script runs, the kernel deletes its tun device and the half-routes with it',
  'kill-switch-down': '7. Down: the kill switch lifted, the table as it was',
};

const NOTES: Partial<Record<DemoStep['name'], string>> = {
  killed: `(No tincd runs in this sandbox: the demo deletes the tun device ${SEED.vpnDev}, which is what the kernel does
when tincd dies and its file descriptor closes.)`,
};

/** What each step's table is compared with. */
const BEFORE: Partial<Record<DemoStep['name'], string>> = {
  down: 'The IPv4 main table before the redirect (1.)',
  'kill-switch-down': 'The main tables of IPv4 and IPv6 before up --kill-switch (5.)',
};

function stepText(step: DemoStep): string {
  const parts = [`== ${TITLES[step.name]}`];
  if (step.call) {
    parts.push(`${step.call}\n  (the command line: ${step.command})`);
    if (step.changes) parts.push(indent(step.changes.length ? step.changes.map(formatChange) : ['nothing changed']));
  }
  if (NOTES[step.name]) parts.push(NOTES[step.name]!);
  if (step.roam) parts.push(roamText(step.roam));
  parts.push(formatRouteN(step.routes).join('\n'));
  parts.push(`ip route:\n${indent(step.routes.map(formatRoute))}`);
  if (step.lookups.length) {
    parts.push(
      `Where the kernel sends each destination (RTM_GETROUTE, as \`ip route get\` does):\n${indent(lookupLines(step.lookups))}`,
    );
  }
  if (step.probe) parts.push(probeText(step.probe));
  if (step.compared) parts.push(comparisonText(step.compared, BEFORE[step.name] ?? 'The table before'));
  if (step.sameAsBefore !== undefined) {
    parts.push(
      step.sameAsBefore
        ? 'The table is exactly as it was before the redirect.'
        : 'The table is NOT as it was before the redirect.',
    );
  }
  return `${parts.join('\n\n')}\n`;
}

/** With --pause: waits for Enter after each step; rejects when the demo is interrupted meanwhile. */
function pauser(output: Output, signal: AbortSignal): { pause(): Promise<void>; close(): void } {
  const lines = createInterface({ input: process.stdin });
  const waiting: (() => void)[] = [];
  let ended = false;
  lines.on('line', () => waiting.shift()?.());
  lines.on('close', () => {
    ended = true;
    for (const resume of waiting.splice(0)) resume();
  });
  return {
    pause: () => {
      if (ended) return Promise.resolve();
      output.out('(press Enter to go on; Ctrl-C stops the demo and removes the sandbox)');
      return new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(new RefusedError('interrupted'));
        signal.addEventListener('abort', onAbort, { once: true });
        waiting.push(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    },
    close: () => lines.close(),
  };
}

export const demo: Command = {
  synopsis: 'redirect-gateway demo [--pause]',
  help: `Reproduces the example of tinc's documentation ("redirecting the default gateway") in a throwaway
sandbox of network namespaces: prints the client's routing table before the redirect, after up and after
down (as \`route -n\` and as \`ip route\`), asks the kernel where ${DESTINATIONS.length} destinations go at each step; then
a roam with --follow (the exception route before and after, and the follower's time) and the kill switch
after a kill -9 of tincd (a probe refused, down restoring the table exactly); and removes the sandbox, also
on Ctrl-C or an error. The host's own network is not touched. Needs root.
  --pause   wait for Enter after each step`,
  options: { '--pause': {} },
  async run(parsed, output) {
    expectPositionals(parsed, 0, 0, '');
    if (process.getuid?.() !== 0) {
      throw new RefusedError('the demo creates network namespaces and must run as root (sudo npm start)');
    }
    const controller = new AbortController();
    let caught: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      caught ??= signal;
      controller.abort();
    };
    for (const s of SIGNALS) process.on(s, onSignal);
    const pause = parsed.options.has('--pause') ? pauser(output, controller.signal) : undefined;
    try {
      output.out(`redirect-gateway demo: tinc's "redirecting the default gateway" example, live, in a throwaway sandbox
of network namespaces. The host's own network is not touched, and the sandbox is removed at the end.
`);
      const result = await runDemo(
        {
          sandbox: async (info) => {
            output.out(`${sandboxText(info)}\n`);
            await pause?.pause();
          },
          step: async (step) => {
            output.out(stepText(step));
            if (step.name !== 'kill-switch-down') await pause?.pause();
          },
          removed: (namespaces) => {
            if (namespaces.length)
              output.out(`The sandbox is removed: network namespaces ${namespaces.join(' and ')} deleted.`);
          },
        },
        { signal: controller.signal },
      );
      if (result.problems.length) {
        throw new RefusedError(`the kernel disagreed with the documentation: ${result.problems.join('; ')}`);
      }
      output.out(`Every destination went where the documentation says. In tinc's router mode (its default) the gateway
can be left out: 0.0.0.0/1 and 128.0.0.0/1 then go "dev ${SEED.vpnDev}" without one, as its last section says.`);
    } catch (e) {
      if (caught) throw new RefusedError(`interrupted by ${caught}; the sandbox was removed`);
      throw e;
    } finally {
      pause?.close();
      for (const s of SIGNALS) process.off(s, onSignal);
    }
  },
};

// `redirect-gateway demo` (npm start): the example of tinc's documentation, live. In a throwaway sandbox of
// network namespaces (sandbox.ts) it takes the client's routing table before the redirect, after
// redirect.up and after redirect.down, asks the kernel where each interesting destination goes at each
// step, checks that against what the documentation says; then two acts beyond the documentation, each in
// acts/: a roam with the follower (--follow) and the kill switch after tincd is killed. It removes the
// sandbox whatever happens.
//
// Nothing here prints: each step is handed to the reporter (the CLI renders it).
import { promises as fs } from 'node:fs';
import { RefusedError } from '../errors.js';
import { open, type RouteSocket } from '../netlink/index.js';
import * as redirect from '../redirect/index.js';
import { killSwitchAct } from './acts/kill-switch.js';
import { roamAct } from './acts/roam.js';
import { Sandbox, SEED, type SandboxInfo } from './sandbox.js';
import { describePath, lookups, sameRoutes, type ActContext, type DemoStep } from './steps.js';

export { SEED, type SandboxInfo } from './sandbox.js';
export { formatRouteN, routeNRow, ROUTE_N_HEADER, ROUTE_N_TITLE } from './route-n.js';
export {
  describePath,
  DESTINATIONS,
  type Destination,
  type DemoStep,
  type Lookup,
  type Path,
  type ProbeReport,
  type RoamReport,
  type StepName,
} from './steps.js';

export interface DemoReporter {
  sandbox(info: SandboxInfo): void | Promise<void>;
  step(step: DemoStep): void | Promise<void>;
  removed(namespaces: string[]): void | Promise<void>;
}

export interface DemoOptions {
  /** Aborting stops the demo at the next step; the sandbox is removed either way. */
  signal?: AbortSignal;
}

export interface DemoResult {
  /** What disagreed with the documentation; empty when everything went as it says. */
  problems: string[];
}

/** Forgets the redirect's files under /run for the sandbox's namespace (its lock file stays after `down`). */
async function forgetState(netns: string, stateDirExisted: boolean): Promise<void> {
  await redirect.forgetNamespace(netns);
  if (!stateDirExisted) await fs.rmdir(redirect.STATE_DIR).catch(() => undefined); // only if we made it and it is empty
}

export async function runDemo(reporter: DemoReporter, options: DemoOptions = {}): Promise<DemoResult> {
  const { signal } = options;
  const checkpoint = () => {
    if (signal?.aborted) throw new RefusedError('interrupted');
  };
  const stateDirExisted = await fs.stat(redirect.STATE_DIR).then(
    () => true,
    () => false,
  );
  checkpoint();
  const sandbox = await Sandbox.create();
  let nl: RouteSocket | undefined;
  const problems: string[] = [];
  try {
    await reporter.sandbox(sandbox.info);
    checkpoint();
    const netns = sandbox.client;
    nl = await open({ netns });
    const socket = nl;
    const context: ActContext = {
      nl: socket,
      netns,
      table: () => socket.listRoutes({ family: 4, table: 'main' }),
      tables: () => socket.listRoutes({ table: 'main' }),
      problem: (text) => problems.push(text),
      checkpoint,
      async report(step) {
        for (const l of step.lookups) {
          if (!l.ok) {
            const got = l.path ? describePath(l.path) : `no route (${l.error})`;
            problems.push(
              `${step.name}: ${l.destination.address} (${l.destination.label}) goes ${got}, expected ${describePath(l.expected)}`,
            );
          }
        }
        if (step.sameAsBefore === false) problems.push(`${step.name}: the table is not the one before up`);
        await reporter.step(step);
        checkpoint();
      },
    };
    const { table } = context;

    const before: DemoStep = { name: 'before', routes: await table(), lookups: await lookups(nl, (d) => d.direct) };
    await context.report(before);

    const upResult = await redirect.up(SEED.vpnDev, SEED.serverReal, { netns, gateway: SEED.vpnGateway });
    await context.report({
      name: 'up',
      call: `redirect.up('${SEED.vpnDev}', '${SEED.serverReal}', { gateway: '${SEED.vpnGateway}', netns })`,
      command: `redirect-gateway up ${SEED.vpnDev} ${SEED.serverReal} --gateway ${SEED.vpnGateway} --netns ${netns}`,
      changes: upResult.changes,
      routes: await table(),
      lookups: await lookups(nl, (d) => d.redirected),
    });

    const downResult = await redirect.down(SEED.vpnDev, { netns });
    const routes = await table();
    await context.report({
      name: 'down',
      call: `redirect.down('${SEED.vpnDev}', { netns })`,
      command: `redirect-gateway down ${SEED.vpnDev} --netns ${netns}`,
      changes: downResult.changes,
      routes,
      lookups: await lookups(nl, (d) => d.direct),
      sameAsBefore: sameRoutes(routes, before.routes),
      compared: { before: before.routes, after: routes },
    });

    await roamAct(context, sandbox);
    await killSwitchAct(context, sandbox);
  } finally {
    nl?.close();
    // Its files go while the namespace is still there to name them (by its cookie).
    try {
      await forgetState(sandbox.client, stateDirExisted);
    } finally {
      await reporter.removed(await sandbox.destroy());
    }
  }
  return { problems };
}

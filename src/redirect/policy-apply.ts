// Applying a policy plan (routes of our table and rules, in order) with rollback: runs of route steps go to
// apply() as one batch each (which undoes its own on failure), rules one at a time; if any step fails, every
// change already made is undone in reverse order, so a failed change leaves rules and tables as it found them.
import { NetlinkError } from '../errors.js';
import { protocolNumber, type Change, type RouteSocket, type Rule } from '../netlink/index.js';
import { apply } from './apply.js';
import type { Step } from './plan.js';
import type { PolicyStep, RuleChange } from './rules-plan.js';

export interface PolicyChanges {
  /** Route changes (in our table), in order. */
  changes: Change[];
  /** Rule changes, in order. */
  rules: RuleChange[];
}

/** Ours (by `protocol`) of the kernel's `rules` at the `count` priorities from `first`: one part's rules. */
export function rulesAt(rules: Rule[], protocol: number, first: number, count: number): Rule[] {
  return rules.filter(
    (r) => protocolNumber(r.protocol) === protocol && r.priority >= first && r.priority < first + count,
  );
}

function runRule(nl: RouteSocket, change: RuleChange): Promise<void> {
  return change.op === 'add' ? nl.addRule(change.rule) : nl.deleteRule(change.rule);
}

/** Consecutive steps of one kind. */
function runs(steps: PolicyStep[]): PolicyStep[][] {
  const out: PolicyStep[][] = [];
  for (const step of steps) {
    const last = out[out.length - 1];
    if (last && last[0].kind === step.kind) last.push(step);
    else out.push([step]);
  }
  return out;
}

async function undoAll(nl: RouteSocket, done: PolicyStep[]): Promise<string[]> {
  const failures: string[] = [];
  for (const step of [...done].reverse()) {
    if (step.kind === 'rule') {
      await runRule(nl, step.undo).catch((e: Error) => failures.push(e.message));
    } else {
      const [result] = await nl.changeRoutes([step.undo]);
      if (result.error) failures.push(result.error.message);
    }
  }
  return failures;
}

export async function applyPolicy(nl: RouteSocket, steps: PolicyStep[]): Promise<PolicyChanges> {
  const done: PolicyStep[] = [];
  try {
    for (const run of runs(steps)) {
      if (run[0].kind === 'route') {
        await apply(nl, run as Step[]);
        done.push(...run);
      } else {
        for (const step of run) {
          await runRule(nl, step.change as RuleChange);
          done.push(step);
        }
      }
    }
  } catch (e) {
    if (done.length === 0) throw e;
    const failures = await undoAll(nl, done);
    const undone = failures.length
      ? `; undoing failed too: ${failures.join('; ')}`
      : `; the ${done.length} change(s) already made were undone`;
    if (e instanceof NetlinkError) {
      // The same error, what was asked and all, with the undoing said.
      throw new NetlinkError({
        errno: e.errno,
        operation: e.message.slice(0, e.message.length - e.reason.length - 2),
        route: e.route,
        extack: e.extack,
        reason: `${e.reason}${undone}`,
      });
    }
    if (e instanceof Error) e.message += undone;
    throw e;
  }
  return {
    changes: done.flatMap((s) => (s.kind === 'route' ? [s.change] : [])),
    rules: done.flatMap((s) => (s.kind === 'rule' ? [s.change] : [])),
  };
}

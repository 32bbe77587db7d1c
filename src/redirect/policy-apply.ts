// Applying a policy plan (routes of our table and rules, in order) with rollback: runs of route steps go to
// apply() as one batch each (which undoes its own on failure), runs of rule steps to changeRules as one batch
// each (every rule of the run attempted); if any step fails, every change already made is undone in reverse
// order, a run of one kind in one batch, so a failed change leaves rules and tables as it found them.
import { NetlinkError } from '../errors.js';
import { protocolNumber, type Change, type RouteSocket, type Rule, type RuleChange } from '../netlink/index.js';
import { apply } from './apply.js';
import type { Step } from './plan.js';
import type { PolicyStep } from './rules-plan.js';

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

/** The undos of the steps made, last first, a run of one kind a batch; the failures' messages. */
async function undoAll(nl: RouteSocket, done: PolicyStep[]): Promise<string[]> {
  const failures: string[] = [];
  for (const run of runs([...done].reverse())) {
    const results =
      run[0].kind === 'rule'
        ? await nl.changeRules(run.map((s) => s.undo as RuleChange)).catch((e: Error) => [{ error: e }])
        : await nl.changeRoutes(run.map((s) => s.undo as Change));
    for (const { error } of results) if (error) failures.push(error.message);
  }
  return failures;
}

/** A run of rule steps in one batch: those the kernel took are done, and the first refusal is thrown. */
async function applyRules(nl: RouteSocket, run: PolicyStep[], done: PolicyStep[]): Promise<void> {
  const results = await nl.changeRules(run.map((s) => s.change as RuleChange));
  done.push(...run.filter((_, i) => !results[i].error));
  const failed = results.find((r) => r.error);
  if (failed) throw failed.error;
}

export async function applyPolicy(nl: RouteSocket, steps: PolicyStep[]): Promise<PolicyChanges> {
  const done: PolicyStep[] = [];
  try {
    for (const run of runs(steps)) {
      if (run[0].kind === 'route') {
        await apply(nl, run as Step[]);
        done.push(...run);
      } else {
        await applyRules(nl, run, done);
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

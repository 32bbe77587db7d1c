// Applying a plan: every change in one batch, and if any fails, the ones that succeeded are undone, so a
// failed operation leaves the routing table as it found it.
import { parsePrefix } from '../address.js';
import { NetlinkError, RefusedError } from '../errors.js';
import { describeChange, describeSpec, type Change, type RouteSocket } from '../netlink/index.js';
import type { Step } from './plan.js';

/** For a refused add, the routes that stand in the way (only on this error path is the table read whole). */
async function conflictingRoutes(nl: RouteSocket, change: Change): Promise<string> {
  const dst = parsePrefix(change.route.dst);
  const same = (await nl.listRoutes({ family: dst.family, table: 'main' }).catch(() => [])).filter(
    (r) => r.dst === dst.cidr,
  );
  return same.length ? same.map((r) => `${describeSpec(r)} proto ${r.protocol}`).join(', ') : 'another route';
}

export async function apply(nl: RouteSocket, steps: Step[]): Promise<Change[]> {
  if (steps.length === 0) return [];
  const results = await nl.changeRoutes(steps.map((s) => s.change));
  const failed = results.findIndex((r) => r.error);
  if (failed < 0) return steps.map((s) => s.change);
  const error = results[failed].error!;
  const undo = steps
    .filter((_, i) => !results[i].error)
    .map((s) => s.undo)
    .reverse();
  const undoFailures = (await nl.changeRoutes(undo)).filter((r) => r.error);
  const step = `step ${failed + 1} of ${steps.length} (${describeChange(steps[failed].change)})`;
  const undone = undoFailures.length
    ? `; undoing failed too: ${undoFailures.map((r) => r.error!.message).join('; ')}`
    : undo.length
      ? `; the ${undo.length} change(s) already made were undone`
      : '';
  if (error.code === 'EEXIST' && steps[failed].change.op === 'add') {
    const conflict = await conflictingRoutes(nl, steps[failed].change);
    throw new RefusedError(
      `${step} refused: ${steps[failed].change.route.dst} is already taken by a route that is not ours: ${conflict}${undone}`,
    );
  }
  throw new NetlinkError({
    errno: error.errno,
    operation: step,
    route: steps[failed].change.route,
    extack: error.extack,
    reason: `${error.reason}${undone}`,
  });
}

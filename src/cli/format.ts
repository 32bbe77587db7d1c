// Text output in the forms users know: `ip route` lines, JSON, and one-line errors.
import { NetlinkError } from '../errors.js';
import { describeSpec, type Change, type Route } from '../netlink/index.js';
import { NEEDS_ROOT } from './privilege.js';
import { ipRouteText } from './route-text.js';

export { formatRule, ruleJson } from './rule-format.js';

/** One route as `ip route` prints it (with our protocol named), without its trailing spaces. */
export function formatRoute(route: Route): string {
  return ipRouteText(route).trimEnd();
}

const VERBS: Record<Change['op'], string> = { add: 'added', replace: 'replaced', delete: 'deleted' };

export function formatChange(change: Change): string {
  return `${VERBS[change.op]} ${describeSpec(change.route)}`;
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

// eslint-disable-next-line no-control-regex -- control characters are what it is for
const UNSAFE_IN_A_LINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * Text from the user or the system made safe for one line of a terminal or a log: control characters (C0, DEL,
 * C1, which JSON.stringify leaves as they are from DEL on) and the Unicode line and paragraph separators are
 * written as \uXXXX, so an interface or namespace name cannot end the line or send escape sequences.
 */
export function oneLine(text: string): string {
  return text.replace(UNSAFE_IN_A_LINE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One line that says what failed and why; never a stack trace. */
export function describeError(e: unknown): string {
  if (e instanceof NetlinkError && e.code === 'EPERM') return oneLine(`${e.message} (${NEEDS_ROOT})`);
  if (e instanceof Error) return oneLine(e.message.replace(/\s*\n\s*/g, ' '));
  return oneLine(String(e));
}

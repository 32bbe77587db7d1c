// Text output in the forms users know: `ip route` lines, JSON, and one-line errors.
import { NetlinkError } from '../errors.js';
import { describeSpec, type Change, type Route } from '../netlink/index.js';
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

// JSON text of a route as JSON.stringify(list, null, 2) puts it inside a list, made for the Route shape:
// the CLI prints a million of them. Addresses and numbers need no escaping; names go through JSON.stringify.
const quoted = new Map<string, string>();
function q(text: string): string {
  let json = quoted.get(text);
  if (json === undefined) {
    json = JSON.stringify(text);
    if (quoted.size < 10_000) quoted.set(text, json);
  }
  return json;
}

/** The keys of a plain route (wire.ts RouteDecoder's shape); any other is an extra (route-extras.ts). */
const PLAIN_KEYS = 11;

export function routeJsonInList(r: Route): string {
  if (Object.keys(r).length > PLAIN_KEYS) return JSON.stringify(r, null, 2).replace(/^/gm, '  ');
  let s = `  {\n    "family": ${r.family},\n    "table": ${typeof r.table === 'number' ? r.table : q(r.table)},\n    "dst": "${r.dst}"`;
  if (r.gateway !== undefined) s += `,\n    "gateway": "${r.gateway}"`;
  if (r.dev !== undefined) s += `,\n    "dev": ${q(r.dev)}`;
  if (r.metric !== undefined) s += `,\n    "metric": ${r.metric}`;
  s += `,\n    "protocol": ${q(r.protocol)},\n    "scope": ${q(r.scope)},\n    "type": ${q(r.type)}`;
  if (r.prefsrc !== undefined) s += `,\n    "prefsrc": "${r.prefsrc}"`;
  if (r.pref !== undefined) s += `,\n    "pref": ${q(r.pref)}`;
  return `${s}\n  }`;
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
  if (e instanceof NetlinkError && e.code === 'EPERM') return oneLine(`${e.message} (needs root or CAP_NET_ADMIN)`);
  if (e instanceof Error) return oneLine(e.message.replace(/\s*\n\s*/g, ' '));
  return oneLine(String(e));
}

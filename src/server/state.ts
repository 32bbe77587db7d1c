// What serve did, under /run/redirect-gateway beside the redirects' files: per interface, the masquerade rules it
// asked for (`<ns>_<iface>.serve.json`); per namespace, the settings forwarding moves as they were before the
// first serve changed them (`<ns>_.forwarding.json`), restored by the last unserve.
import type { MasqueradeRule } from '../netlink/index.js';
import { namesWithSuffix, readFileNoFollow, removeFile, statePath, writeJson } from '../store/index.js';
import type { Settings } from './settings.js';

const SERVE = '.serve.json';
const FORWARDING = '.forwarding.json';

export interface ServeState {
  version: 1;
  iface: string;
  rules: MasqueradeRule[];
}

function isRule(r: unknown): r is MasqueradeRule {
  const rule = r as MasqueradeRule;
  return (rule?.family === 4 || rule?.family === 6) && typeof rule.source === 'string' && typeof rule.oif === 'string';
}

function parse(text: string | undefined): unknown {
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined; // garbled: as if absent
  }
}

export async function readServeState(nsId: string, iface: string): Promise<ServeState | undefined> {
  const value = parse(readFileNoFollow(statePath(nsId, iface, SERVE))) as ServeState | undefined;
  return value?.version === 1 && value.iface === iface && Array.isArray(value.rules) && value.rules.every(isRule)
    ? value
    : undefined;
}

/** The states of every served interface of the namespace. */
export async function servedStates(nsId: string): Promise<ServeState[]> {
  const states = await Promise.all(namesWithSuffix(nsId, SERVE).map((i) => readServeState(nsId, i)));
  return states.filter((s): s is ServeState => s !== undefined);
}

export function writeServeState(nsId: string, state: ServeState): Promise<void> {
  return writeJson(statePath(nsId, state.iface, SERVE), state);
}

export function removeServeState(nsId: string, iface: string): Promise<void> {
  return removeFile(statePath(nsId, iface, SERVE));
}

/** Each setting's value before serve changed it (or the kernel with it). */
export async function readForwarding(nsId: string): Promise<Settings | undefined> {
  const value = parse(readFileNoFollow(statePath(nsId, '', FORWARDING)));
  if (typeof value !== 'object' || value === null) return undefined;
  const entries = Object.entries(value);
  return entries.every(([, v]) => typeof v === 'string') ? (Object.fromEntries(entries) as Settings) : undefined;
}

export function writeForwarding(nsId: string, state: Settings): Promise<void> {
  return writeJson(statePath(nsId, '', FORWARDING), state);
}

export function removeForwarding(nsId: string): Promise<void> {
  return removeFile(statePath(nsId, '', FORWARDING));
}

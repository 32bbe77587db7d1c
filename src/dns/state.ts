// What `up --dns` did, under /run/redirect-gateway beside the redirect's state (`<ns>_<iface>.dns.json`):
// written before the resolver is touched, so `down` after a crash finds it; with resolv.conf, the previous file.
import { readFileNoFollow, removeFile, statePath, writeJson } from '../store/index.js';

const DNS = '.dns.json';

export interface DnsRecord {
  version: 1;
  via: 'resolved' | 'resolv.conf';
  servers: string[];
  domains: string[];
  /** via resolv.conf: the file as it was before (its bytes, base64, and mode), or null when there was none. */
  previous?: { base64: string; mode: number } | null;
}

function isRecord(value: unknown): value is DnsRecord {
  const r = value as DnsRecord;
  const strings = (list: unknown) => Array.isArray(list) && list.every((s) => typeof s === 'string');
  const previous = r?.previous;
  return (
    typeof r === 'object' &&
    r !== null &&
    r.version === 1 &&
    (r.via === 'resolved' || r.via === 'resolv.conf') &&
    strings(r.servers) &&
    strings(r.domains) &&
    (previous === undefined ||
      previous === null ||
      (typeof previous.base64 === 'string' && Number.isInteger(previous.mode)))
  );
}

export function readDnsRecord(nsId: string, iface: string): DnsRecord | undefined {
  const text = readFileNoFollow(statePath(nsId, iface, DNS));
  try {
    const value: unknown = text === undefined ? undefined : JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export const writeDnsRecord = (nsId: string, iface: string, record: DnsRecord) =>
  writeJson(statePath(nsId, iface, DNS), record);

export const removeDnsRecord = (nsId: string, iface: string) => removeFile(statePath(nsId, iface, DNS));

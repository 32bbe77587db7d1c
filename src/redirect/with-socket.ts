// The route socket an operation works through: the caller's, or one opened for it (and closed after).
import { open, type RouteSocket } from '../netlink/index.js';
import type { CheckedCommon } from './options.js';
import { namespaceKey } from '../store/index.js';

export async function withSocket<T>(o: CheckedCommon, work: (nl: RouteSocket, nsId: string) => Promise<T>): Promise<T> {
  if (o.socket) return work(o.socket, namespaceKey(o.socket));
  const nl = await open({ netns: o.netns, timeoutMs: o.timeoutMs });
  try {
    return await work(nl, namespaceKey(nl));
  } finally {
    nl.close();
  }
}

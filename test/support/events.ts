// Reading a watch() stream in the background: every event kept, and waits for what a test expects.
import type { EventStream, WatchEvent } from '../../src/index.js';
import { defer } from './cleanup.js';

export interface Collected {
  readonly events: WatchEvent[];
  /** Resolves with the events so far once one satisfies pred; rejects after timeoutMs (a deadline, not a bound). */
  waitFor(pred: (e: WatchEvent) => boolean, timeoutMs?: number): Promise<WatchEvent[]>;
}

/** Reads the stream until it ends; the stream is closed when the test ends. */
export function collect(stream: EventStream): Collected {
  defer(() => stream.close());
  const events: WatchEvent[] = [];
  const waiters = new Set<() => void>();
  void (async () => {
    for await (const e of stream) {
      events.push(e);
      for (const w of waiters) w();
    }
  })();
  return {
    events,
    waitFor(pred, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!events.some(pred)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve([...events]);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no such event within ${timeoutMs} ms; got ${JSON.stringify(events.slice(-5))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

export const isRoute = (dst: string, action?: 'new' | 'delete') => (e: WatchEvent) =>
  e.type === 'route' && e.route.dst === dst && (action === undefined || e.action === action);

// How a batch of changes (routes, rules) goes to the addon (native/change_batch_napi.h): a small one from the calling
// thread, whose kernel answers inside sendmsg; a larger one through the libuv pool, chunk by chunk, so that the event
// loop runs on while the kernel works through thousands.

/** Up to this many changes go to the kernel from the calling thread; more go through the libuv pool. */
const SYNC_CHANGES = 64;

/** Changes [start, end) of a batch, and whether they go through the pool. */
export interface ChangeChunk {
  start: number;
  end: number;
  onPool: boolean;
}

/** The chunks of a batch of `count` changes, up to chunkSize each, in order: each sent once the one before is made. */
export function* changeChunks(count: number, chunkSize: number): Generator<ChangeChunk, void, undefined> {
  const onPool = count > SYNC_CHANGES;
  for (let start = 0; start < count; start += chunkSize)
    yield { start, end: Math.min(count, start + chunkSize), onPool };
}

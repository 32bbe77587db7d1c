// Whether a call leaves the event loop free: the loop's turns counted while its promise is in flight.

/**
 * The call's result, and how many turns of the event loop ran while it was in flight (setImmediate callbacks
 * that found it unsettled): 0 when the call did all its work on this thread before its promise settled.
 */
export async function turnsDuring<T>(call: Promise<T>): Promise<{ result: T; turns: number }> {
  let settled = false;
  let turns = 0;
  const turn = () => {
    if (settled) return;
    turns++;
    setImmediate(turn);
  };
  setImmediate(turn);
  try {
    const result = await call;
    return { result, turns };
  } finally {
    settled = true;
  }
}

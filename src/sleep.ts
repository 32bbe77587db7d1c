// A pause, for the loops that wait for a condition (a lock, a follower's end). Written out rather than
// node:timers/promises, whose import would load with every hook.

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Teardown that happens even when a test fails: fixtures register what they made with `defer`.
//
// Called during a test (or its beforeEach), the cleanup runs when that test finishes, pass or fail.
// Called anywhere else (beforeAll, a describe body), it runs after the test file's last test
// (setup.ts registers `runDeferred` as a file-level afterAll). Cleanups run newest first, like a stack,
// so a veth pair goes before the namespace that holds it; one failing does not stop the others.
import { onTestFinished } from 'vitest';

export type Cleanup = () => unknown | Promise<unknown>;

const fileScoped: Cleanup[] = [];

export function defer(cleanup: Cleanup): void {
  try {
    onTestFinished(async () => {
      await cleanup();
    });
  } catch {
    // Not inside a test: keep it for the end of the file.
    fileScoped.push(cleanup);
  }
}

/** Runs (and forgets) every file-scoped cleanup, newest first; throws the first failure after trying all. */
export async function runDeferred(): Promise<void> {
  const failures: unknown[] = [];
  while (fileScoped.length > 0) {
    const cleanup = fileScoped.pop()!;
    try {
      await cleanup();
    } catch (e) {
      failures.push(e);
    }
  }
  if (failures.length > 0) throw failures[0];
}

// Loaded before every test file (vitest.config.ts: setupFiles).
import { afterAll } from 'vitest';
import { runDeferred } from './cleanup.js';
import { assertSandboxed } from './sandbox.js';

assertSandboxed();

// Resources made outside a test (beforeAll, describe bodies) are torn down after the file's last test.
afterAll(runDeferred, 60_000);

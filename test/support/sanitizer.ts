// Whether the suite runs under a sanitizer: `npm run test:asan` (scripts/test-asan) sets RG_TEST_SANITIZER=asan
// for the whole run. Then every node process has the ASan runtime preloaded: each starts about three times
// slower than an uninstrumented node, and the runtime slows every fork it makes.
export const SANITIZER: string | undefined = process.env.RG_TEST_SANITIZER || undefined;

/**
 * True when a test whose assertions bound the wall-clock time of whole CLI runs (bounds calibrated for an
 * uninstrumented node) must skip itself: under ASan, unless RG_ASAN_TIMING_TESTS=1 asks for those tests too.
 * Such a test says so with `it.skipIf(WALL_CLOCK_BOUNDS_OFF)` and explains its bound; vitest then counts it as
 * skipped, by name, in the run's summary.
 */
export const WALL_CLOCK_BOUNDS_OFF = SANITIZER === 'asan' && process.env.RG_ASAN_TIMING_TESTS !== '1';

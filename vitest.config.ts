import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// The test tiers, chosen by what a test file needs; this is the one place that says which
// file is in which tier (a file that needs something is listed here, never skipped at run time).
//   unit       an ordinary user with Node and a POSIX shell, nothing else: every file not
//              listed below (npm test)
//   kernel     root: network namespaces, nftables, a real etcd, files of other users, real
//              users made with useradd
//              (npm run test:kernel)
//   packaging  root and Debian's tools: dpkg-deb, lintian, shellcheck, systemd-analyze,
//              promtool (npm run test:packaging)
// The VM suites are the e2e tier, in vitest.e2e.config.ts (npm run test:e2e), so that a bare
// `vitest run` (all three tiers here) never boots a VM.
export const KERNEL = [
  'test/kernel/**/*.test.ts',
  // a real etcd in network namespaces
  'test/store/etcd-fleet.test.ts',
  'test/store/etcd-fleet-down.test.ts',
  'test/store/etcd-stale.test.ts',
  'test/store/etcd-lifelines.test.ts',
  'test/store/etcd-watch-skip.test.ts',
  'test/store/etcd-auth.test.ts',
  'test/store/etcd-reporting.test.ts',
  'test/store/etcd-duplicate-host.test.ts',
  'test/store/etcd-large-prefix.test.ts',
  'test/store/etcd-keepalive.test.ts',
  'test/store/etcd-drain.test.ts',
  'test/store/fleet-hostile.test.ts',
  'test/store/hostile-cache.test.ts',
  // files and directories of other users (chown), real users (useradd)
  'test/config/read-file-owner.test.ts',
  'test/drain/record-owner.test.ts',
  'test/config/written-paths-owner.test.ts',
  'test/config/store-files.test.ts',
  'test/install/install-owner.test.ts',
  'test/install/binary-path.test.ts',
  'test/install/unsafe-path.test.ts',
  'test/system/atomic-write-owner.test.ts',
  'test/system/service-user-owner.test.ts',
  'test/system/trusted-path.test.ts',
];
export const PACKAGING = [
  'test/deb/package.test.ts',
  'test/deb/maintainer-scripts.test.ts',
  'test/examples/prometheus-rules.test.ts',
  'test/units/units.test.ts',
];

// Unit files that need a process of their own, so run apart from the rest (forks, isolated):
// one that replaces a module (vi.mock), which only takes in a module graph of its own, and
// one that sets process.env.TZ, which a worker thread's Date does not follow.
export const UNIT_ISOLATED = ['test/system/atomic-write.test.ts', 'test/daemon/wall-clock-format.test.ts'];

const NEEDS = 'test/helpers/tier-needs.ts';

export default defineConfig({
  test: {
    // Real-kernel tests each make their own network namespace; they can run side by side.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // Every core: these tests compute rather than wait (vitest's default leaves one idle).
          maxWorkers: availableParallelism(),
          // Threads that keep their module graph from file to file: importing the sources
          // again for each of 100 files was a third of the tier's time. A file that changes
          // process state (timers, spies, the environment) puts it back in afterEach.
          pool: 'threads',
          isolate: false,
          include: ['test/**/*.test.ts'],
          exclude: [...KERNEL, ...PACKAGING, ...UNIT_ISOLATED, 'test/e2e/**', 'node_modules/**'],
        },
      },
      {
        extends: true,
        test: { name: 'unit-isolated', maxWorkers: availableParallelism(), include: UNIT_ISOLATED },
      },
      // tier-needs stops a tier whose machine lacks root or a command, with one line saying so.
      // A real-kernel test runs the CLI several times over, each a node start: at a load of 12
      // on 2 cores an 8-command sequence took 31 s. Its timeout catches a hang; what it waits
      // for is bounded by the test's own waits, which name what did not happen.
      {
        extends: true,
        test: {
          name: 'kernel',
          include: KERNEL,
          // Two files at a time, whatever the cores: these tests mostly wait (for a daemon's
          // repair, an etcd election, a namespace's prober), and each works in namespaces,
          // users and directories of its own. They pass with two CPU hogs beside them
          // (stress-ng --cpu 2, the busy CI runs), a harder neighbour than one more file.
          maxWorkers: 2,
          globalSetup: [NEEDS],
          sequence: { groupOrder: 1 },
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        // lintian and the package builds take as long as the machine's load makes them: the
        // timeout is there to catch a hang, not to time them.
        test: {
          name: 'packaging',
          include: PACKAGING,
          sequence: { groupOrder: 2 },
          globalSetup: [NEEDS],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});

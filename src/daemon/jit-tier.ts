import { setFlagsFromString } from 'node:v8';

// V8's tiers: 0 the interpreter, 1 its baseline compiler (Sparkplug), then the optimizing
// compilers (Maglev, TurboFan). The daemon stops at the baseline.
export const DAEMON_MAX_OPT = '--max-opt=1';

// The daemon runs without V8's optimizing compilers. Its work is small and spread out
// (a sysctl re-read every 100 ms, a pass now and then whose time goes to its `ip` and
// `nft` children), so optimized code gains it nothing measurable, while the first
// optimization brings the compiler's code (several MiB of the node binary) and its
// working memory into the process for good: 4 to 5 MiB more RSS for an idle daemon with
// one VIP, and compile jobs on its worker threads. Set before the daemon's code runs;
// V8 reads it each time it decides whether to optimize a function.
export function limitJitTier(): void {
  setFlagsFromString(DAEMON_MAX_OPT);
}

import { limitJitTier } from '../daemon/jit-tier.js';
import type { LogFormat } from '../daemon/log.js';
import { routeGrpcLog } from '../store/etcd-client.js';
import { routeNodeWarnings } from '../system/node-warnings.js';
import { agentOptions, runCommand, type GlobalArgs } from './common.js';

// Exit 0 after SIGTERM/SIGINT, 1 when the first convergence could not run, 2 for a
// bad config or missing privileges.
export async function runDaemonCommand(args: GlobalArgs & { 'log-format'?: LogFormat }): Promise<void> {
  limitJitTier(); // before the daemon's code runs (see jit-tier.ts)
  await runCommand(async () => {
    const [{ runDaemon }, { createLogger }] = await Promise.all([
      import('../daemon/run.js'),
      import('../daemon/log.js'),
    ]);
    const logger = createLogger(args['log-format'] ?? 'json');
    // Node's own warnings are log lines like any other (JSON stays JSON).
    routeNodeWarnings((text, code) => logger.log('warning', 'node-warning', text, { code }));
    routeGrpcLog((text) => logger.log('warning', 'grpc', text, { error: text }));
    return runDaemon({ agent: await agentOptions(args), logger });
  });
}

import type { Config } from '../../config/types.js';
import { readDrain } from '../../drain/record.js';
import type { HealthAnswer, HealthState } from '../../health/answer.js';
import { startHealth, type HealthService } from '../../health/server.js';
import type { Logger } from '../log.js';
import type { PassResult } from '../pass-result.js';
import type { TriggerSource } from './trigger-source.js';

// The health endpoint the director polls (health.listen, health.agent), as one of the
// daemon's sources: bound at start, so a port in use stops `run` before the first pass
// (and a reload that cannot bind keeps the rest), closed at stop; after each pass it takes
// the pass's verdict. It never asks for a pass, and it answers from what the last pass
// published and the drain record, never from the lock: an answer never waits for a pass.
export function healthEndpoint(config: Config, logger: Logger): TriggerSource | null {
  const { health, drain } = config;
  if (health.listen === null && health.agent === null) return null;
  let verdict: HealthState['verdict'] = null;
  let service: HealthService | null = null;
  const state = (): HealthState => ({ verdict, drain: readDrain(drain.file) });
  const said = (a: HealthAnswer) =>
    logger.log('info', 'health', `health: ${a.status} ${a.lines[0] ?? ''}`, { status: a.status, state: a.state });
  return {
    key: `health ${JSON.stringify([health, drain.file])}`,
    async start() {
      service = await startHealth(health, state, said);
      if (service) logger.log('info', 'health-listening', `serving ${service.listening.join(', ')}`);
    },
    stop() {
      void service?.close();
      service = null;
    },
    afterPass(result: PassResult) {
      verdict = passVerdict(result);
    },
  };
}

// A pass that could not run at all counts as not in sync, its error the reason.
export function passVerdict(result: PassResult): NonNullable<HealthState['verdict']> {
  if (result.reconcile) return result.reconcile.verdict;
  return { inSync: false, why: [`error: ${result.error ?? 'the pass could not run'}`] };
}

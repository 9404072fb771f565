import type { Logger } from '../log.js';
import type { PassQueue } from '../pass-queue.js';
import type { Scheduler } from '../scheduler.js';
import { startWatch, type Watch } from '../watch.js';
import type { Source } from './source.js';

const RESTART_MS = 1000;

// Address, route and link changes as the kernel reports them (`ip monitor`). The
// child is restarted when it dies, and the restart asks for a pass: changes made
// while nothing watched went unseen.
export function kernelEvents(queue: PassQueue, scheduler: Scheduler, logger: Logger): Source {
  let watch: Watch | null = null;
  let stopped = false;
  const begin = () => {
    watch = startWatch({
      onChange: () => queue.request('event'),
      onExit: (reason) => {
        if (stopped) return;
        logger.log('error', 'watch-ended', `${reason}; restarting it in ${RESTART_MS / 1000} s`);
        scheduler.after('watch-restart', RESTART_MS, () => {
          begin();
          queue.request('event');
        });
      },
    });
  };
  return {
    start() {
      stopped = false;
      begin();
    },
    stop() {
      stopped = true;
      scheduler.cancel('watch-restart');
      watch?.stop();
      watch = null;
    },
  };
}

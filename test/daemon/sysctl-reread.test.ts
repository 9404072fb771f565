import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PassQueue } from '../../src/daemon/pass-queue.js';
import { Scheduler } from '../../src/daemon/scheduler.js';
import { sysctlReread } from '../../src/daemon/triggers/sysctl-reread.js';
import type { Trigger } from '../../src/daemon/stats.js';
import { createSysctlFs } from '../../src/system/sysctl-fs.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('sysctl re-read on real files', () => {
  it('re-reads each file through a reader kept open and asks for a pass on the first difference', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
    const root = mkdtempSync(join(tmpdir(), 'rsa-watch-'));
    mkdirSync(join(root, 'net/ipv4/conf/eth0'), { recursive: true });
    const file = join(root, 'net/ipv4/conf/eth0/arp_ignore');
    writeFileSync(file, '1\n');
    const scheduler = new Scheduler();
    const passes: Trigger[][] = [];
    const queue = new PassQueue(async (t) => void passes.push([...t]), 1, scheduler);
    const reread = sysctlReread(queue, scheduler, createSysctlFs(root), () => 100);
    reread.rebase(['net/ipv4/conf/eth0/arp_ignore', 'net/ipv4/conf/gone/arp_ignore']);
    reread.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(passes).toEqual([]);
    writeFileSync(file, '0\n'); // rewritten in place, as /proc/sys files are
    await vi.advanceTimersByTimeAsync(101);
    expect(passes).toEqual([['sysctl']]);
    reread.rebase(['net/ipv4/conf/eth0/arp_ignore']);
    await vi.advanceTimersByTimeAsync(500);
    expect(passes).toHaveLength(1);
    reread.stop();
    await queue.close();
    rmSync(root, { recursive: true, force: true });
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sysctlReread } from '../../src/daemon/triggers/sysctl-reread.js';
import { createSysctlFs } from '../../src/system/sysctl-fs.js';
import { passResultWith, recordingContext } from '../helpers/trigger-context.js';

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
    const { ctx, requests } = recordingContext();
    const reread = sysctlReread(createSysctlFs(root), 100);
    reread.start(ctx);
    const sysctls = ['net/ipv4/conf/eth0/arp_ignore', 'net/ipv4/conf/gone/arp_ignore'];
    reread.afterPass?.(passResultWith({ sysctls }), {} as never);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(requests).toEqual([]);
    writeFileSync(file, '0\n'); // rewritten in place, as /proc/sys files are
    await vi.advanceTimersByTimeAsync(101);
    // An ARP sysctl reset: protection is gone, the pass is urgent.
    expect(requests).toEqual([{ trigger: 'sysctl', urgent: true }]);
    reread.afterPass?.(passResultWith({ sysctls: ['net/ipv4/conf/eth0/arp_ignore'] }), {} as never);
    await vi.advanceTimersByTimeAsync(500);
    expect(requests).toHaveLength(1);
    reread.stop();
    rmSync(root, { recursive: true, force: true });
  });
});

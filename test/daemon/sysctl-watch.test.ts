import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startSysctlWatch } from '../../src/daemon/sysctl-watch.js';
import { createSysctlFs } from '../../src/system/sysctl-fs.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('sysctl watch', () => {
  it('re-reads each file through a reader kept open and asks for a pass on the first difference', () => {
    vi.useFakeTimers();
    const root = mkdtempSync(join(tmpdir(), 'rsa-watch-'));
    mkdirSync(join(root, 'net/ipv4/conf/eth0'), { recursive: true });
    const file = join(root, 'net/ipv4/conf/eth0/arp_ignore');
    writeFileSync(file, '1\n');
    let changes = 0;
    const watch = startSysctlWatch(createSysctlFs(root), 100, () => changes++);
    watch.rebase(['net/ipv4/conf/eth0/arp_ignore', 'net/ipv4/conf/gone/arp_ignore']);
    vi.advanceTimersByTime(1_000);
    expect(changes).toBe(0);
    writeFileSync(file, '0\n'); // rewritten in place, as /proc/sys files are
    vi.advanceTimersByTime(100);
    expect(changes).toBe(1);
    watch.rebase(['net/ipv4/conf/eth0/arp_ignore']);
    vi.advanceTimersByTime(500);
    expect(changes).toBe(1);
    watch.stop();
    rmSync(root, { recursive: true, force: true });
  });
});

import { describe, expect, it } from 'vitest';
import { start } from '../../src/agent.js';
import { fakeAgent } from '../helpers/fake-agent.js';

// A module to load when the commands run without CAP_SYS_MODULE (the watcher unit's
// CAP_NET_ADMIN alone): rs-agent says what can load it and runs no modprobe, whose own
// error under the unit's sandbox would mislead; what needs no module converges.
describe('a kernel module rs-agent may not load', () => {
  it('is named with what can load it, modprobe is not run, and the DR VIP is still put in place', async () => {
    const { kernel, opts } = fakeAgent('vips: [192.0.2.10, {address: 198.51.100.7, mode: tun}]\ninterfaces: [eth0]\n');
    const ran: string[] = [];
    const runner = {
      run: (argv: readonly string[], options?: Parameters<typeof kernel.run>[1]) => {
        ran.push(argv[0]!);
        return kernel.run(argv, options);
      },
      canLoadModules: () => false,
    };
    const result = await start({ ...opts, runner });
    const failed = result.outcomes.filter((o) => o.status === 'failed');
    expect(failed.map((o) => `${o.change.kind} ${o.change.target}`)).toEqual(['module ipip']);
    expect(failed[0]!.error).toMatch(
      /^kernel module ipip is not loaded, and rs-agent runs without CAP_SYS_MODULE: load it as root \(modprobe ipip\)/,
    );
    expect(ran).not.toContain('modprobe');
    const applied = result.outcomes
      .filter((o) => o.status === 'applied')
      .map((o) => `${o.change.kind} ${o.change.target}`);
    expect(applied).toContain('address 192.0.2.10/32 dev lo');
  });
});

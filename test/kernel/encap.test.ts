import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestNamespace } from '../helpers/netns.js';

// GUE and GRE on this machine's kernel, which has neither fou nor ip_gre nor ipip: what
// can be shown here is the real `ip fou show` of a kernel without fou, the failure paths
// (modprobe stubbed to fail as it does where a module is missing: nothing is loaded for
// the host) and bad input. The working paths run in the e2e VM (tun-gue, tun-gre, ...).

let ns: TestNamespace;
beforeEach(async () => {
  ns = await TestNamespace.create();
});
afterEach(async () => {
  await ns.destroy();
});

const noModules = () =>
  ns.stubCommand(
    'modprobe',
    'echo "modprobe: FATAL: Module $1 not found in directory /lib/modules/$(uname -r)" >&2; exit 1',
  );

async function loAddresses(): Promise<string[]> {
  return (await ns.addresses('lo')).map((a) => `${a.local}/${a.prefixlen}`);
}

describe('encapsulation on a kernel without the modules', () => {
  it('GUE: fou and ipip fail, their listener and VIP are not attempted, the DR VIP is in place; stop is clean', async () => {
    ns.writeConfig(
      'vips:\n  - 192.0.2.10\n  - {address: 198.51.100.7, mode: tun, encap: gue, port: 6080}\ninterfaces: [eth0]\n',
    );
    const env = noModules();
    const result = await ns.cli(['start'], env);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /^rs-agent: failed: \+ module fou \(load; GUE listeners\): kernel module fou is not available \(modprobe fou: modprobe: FATAL: Module fou not found/m,
    );
    expect(result.stderr).toMatch(/^rs-agent: failed: \+ module ipip \(load; creates tunl0\)/m);
    expect(result.stderr).toMatch(
      /^rs-agent: not attempted: \d+ changes \(not attempted: kernel module \w+ failed first\)$/m,
    );
    expect(await loAddresses()).toEqual(['127.0.0.1/8', '192.0.2.10/32']);
    expect(await ns.sysctl('net/ipv4/conf/all/arp_ignore')).toBe('1');
    // The real `ip fou show` of a kernel without fou is read as "no listener", not an error.
    const check = await ns.cli(['check'], env);
    expect(check.exitCode).toBe(1);
    expect(check.stdout + check.stderr).toMatch(/fou port 6080 gue: missing/);
    const stop = await ns.cli(['stop'], env);
    expect(stop.stderr).toBe('');
    expect(stop.exitCode).toBe(0);
    expect(await loAddresses()).toEqual(['127.0.0.1/8']);
    expect(await ns.sysctl('net/ipv4/conf/all/arp_ignore')).toBe('0');
    expect(existsSync(join(ns.stateDir, 'state.json'))).toBe(false);
  });

  it('GRE: ip_gre fails, the GRE VIP is not attempted; stop is clean', async () => {
    ns.writeConfig('vips:\n  - 192.0.2.10\n  - {address: 198.51.100.7, mode: tun, encap: gre}\ninterfaces: [eth0]\n');
    const env = noModules();
    const result = await ns.cli(['start'], env);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /^rs-agent: failed: \+ module ip_gre \(load; creates gre0\): kernel module ip_gre is not available/m,
    );
    expect(result.stderr).toMatch(
      /^rs-agent: not attempted: \d+ changes \(not attempted: kernel module ip_gre failed first\)$/m,
    );
    expect(await loAddresses()).toEqual(['127.0.0.1/8', '192.0.2.10/32']);
    expect((await ns.cli(['stop'], env)).exitCode).toBe(0);
    expect(existsSync(join(ns.stateDir, 'state.json'))).toBe(false);
  });

  it.each([
    [
      'encap on a DR VIP',
      'vips: [{address: 192.0.2.10, encap: gre}]\n',
      /^rs-agent: config .*: vips\[0\]\.encap: "gre" applies to TUN VIPs only; this VIP is dr$/,
    ],
    [
      'GUE without its port',
      'mode: tun\nvips: [{address: 198.51.100.7, encap: gue}]\n',
      /^rs-agent: config .*: vips\[0\]\.port: is required with encap gue/,
    ],
  ])('bad input (%s): exit 2, one line, nothing changed', async (_name, yaml, message) => {
    ns.writeConfig(yaml);
    const result = await ns.cli(['start'], noModules());
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(await loAddresses()).toEqual(['127.0.0.1/8']);
    expect(await ns.sysctl('net/ipv4/conf/all/arp_ignore')).toBe('0');
    expect(existsSync(join(ns.stateDir, 'state.json'))).toBe(false);
  });
});

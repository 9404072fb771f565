// vitest globalSetup of the kernel and packaging tiers: what the tier needs of the machine,
// checked once before any of its tests, so that a missing piece stops the run with one line
// saying what to do instead of a hundred failures that each say "Operation not permitted".
import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';

const NEEDS: Record<string, { commands: string[]; packages: string }> = {
  kernel: {
    commands: [
      'ip',
      'nft',
      'etcd',
      'etcdctl',
      'python3',
      'setpriv',
      'unshare',
      'useradd',
      'systemd-analyze',
      'haproxy',
      'ldirectord',
    ],
    packages: 'iproute2, nftables, etcd-server, etcd-client, python3, util-linux, passwd, systemd, haproxy, ldirectord',
  },
  packaging: {
    commands: ['dpkg-deb', 'lintian', 'shellcheck', 'systemd-analyze', 'promtool', 'groff', 'man', 'etcd', 'unshare'],
    packages: 'dpkg, lintian, shellcheck, systemd, prometheus, groff-base, man-db, etcd-server, util-linux',
  },
};

// The commands the shell does not find on PATH.
function notOnPath(commands: string[]): string[] {
  const script = 'for c in "$@"; do command -v "$c" >/dev/null || echo "$c"; done';
  return execFileSync('sh', ['-c', script, 'sh', ...commands], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
}

export default function setup(project: TestProject): void {
  const tier = project.name;
  const needs = NEEDS[tier];
  if (!needs) throw new Error(`test/helpers/tier-needs.ts: no needs listed for the tier "${tier}"`);
  const problems: string[] = [];
  if (process.getuid?.() !== 0)
    problems.push('root (its tests make network namespaces, mounts and files of other users)');
  const missing = notOnPath(needs.commands);
  if (missing.length > 0) problems.push(`${missing.join(', ')} on PATH (Debian: ${needs.packages})`);
  if (problems.length > 0)
    throw new Error(
      `the ${tier} tier needs ${problems.join(' and ')}: run it as root after bash test/install-deps.sh, ` +
        'or run npm test (the unit tier) alone',
    );
}

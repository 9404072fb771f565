// The shell way rs-agent replaces: what the lvsdrrip init script does, in a loop over
// the VIPs. Start: per VIP one ifconfig (address on lo:N) and one route (host route),
// then the ARP sysctls. Stop: per VIP one route del and one ifconfig down, then the
// sysctls back to 0. Two processes per VIP each way, as on the real servers.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SYSCTLS = ['lo/arp_ignore', 'lo/arp_announce', 'all/arp_ignore', 'all/arp_announce'];

export function writeShellScripts(dir, vips) {
  const list = join(dir, 'vips.txt');
  writeFileSync(list, `${vips.join('\n')}\n`);
  const start = join(dir, 'lvsdrrip-start.sh');
  const stop = join(dir, 'lvsdrrip-stop.sh');
  writeFileSync(
    start,
    [
      'set -e',
      'n=0',
      'while read -r vip; do',
      '  /sbin/ifconfig lo:$n $vip netmask 255.255.255.255 up',
      '  /sbin/route add -host $vip dev lo:$n',
      '  n=$((n + 1))',
      `done < ${list}`,
      ...SYSCTLS.map((s) => `echo ${s.endsWith('ignore') ? 1 : 2} > /proc/sys/net/ipv4/conf/${s}`),
      '',
    ].join('\n'),
  );
  writeFileSync(
    stop,
    [
      'set -e',
      'n=0',
      'while read -r vip; do',
      '  /sbin/route del -host $vip dev lo:$n',
      '  /sbin/ifconfig lo:$n down',
      '  n=$((n + 1))',
      `done < ${list}`,
      ...SYSCTLS.map((s) => `echo 0 > /proc/sys/net/ipv4/conf/${s}`),
      '',
    ].join('\n'),
  );
  return { start: ['bash', start], stop: ['bash', stop] };
}

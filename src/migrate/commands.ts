import { parseVipAddress } from '../config/address.js';
import { DEFAULT_TUNNELS } from '../config/types.js';
import { ifconfigPrefix, ipv4Network, type KernelPrefix } from './prefix.js';
import type { Findings, ImportedVip, Origin } from './types.js';
import type { Words } from './shell-words.js';

// Translators for the commands real-server scripts use, one per command. Each records
// what it understood in the findings, or a note saying why it could not.

const TUNNEL_FAMILY: Record<string, 4 | 6> = { [DEFAULT_TUNNELS.ipv4]: 4, [DEFAULT_TUNNELS.ipv6]: 6 };

// `kernel` is the prefix the kernel gives when the command names none (ifconfig's classful one).
export function addVip(f: Findings, text: string, dev: string, at: Origin, kernel?: KernelPrefix): void {
  const base = dev.split(':')[0] as string;
  const mode = base === 'lo' ? 'dr' : base in TUNNEL_FAMILY ? 'tun' : null;
  if (mode === null) {
    note(
      f,
      at,
      `an address on ${dev}: rs-agent puts VIPs only on lo (DR) and the tunnel devices (TUN); is this a director's script?`,
    );
    return;
  }
  const [address = '', prefix] = text.split('/');
  const parsed = parseVipAddress(address);
  if (typeof parsed === 'string') {
    note(f, at, `${address} ${parsed}`);
    return;
  }
  if (mode === 'tun' && TUNNEL_FAMILY[base] !== parsed.family) {
    note(f, at, `an IPv${parsed.family} address on ${base}, which carries IPv${TUNNEL_FAMILY[base]} tunnels only`);
    return;
  }
  const host = parsed.family === 4 ? 32 : 128;
  const length = prefix !== undefined ? Number(prefix) : kernel?.length;
  if (length !== undefined && length !== host) {
    const cause =
      prefix !== undefined
        ? `added as /${prefix}`
        : `${kernel?.cause}: the kernel gives ${parsed.address} the prefix /${length}`;
    const network = parsed.family === 4 ? ipv4Network(parsed.address, length) : `its /${length}`;
    const owns =
      mode === 'dr'
        ? `this host takes every address in ${network} as its own`
        : `the kernel routes all of ${network} into ${base}`;
    note(f, at, `${cause}, so ${owns}; rs-agent adds the VIP as a single host (/${host})`);
  }
  const earlier = f.seen.vips.get(parsed.address);
  if (earlier && earlier.mode !== mode) {
    note(f, at, `${parsed.address} is also added on line ${earlier.line}; kept as ${earlier.mode}`);
  }
  if (!earlier) {
    const vip: ImportedVip = { address: parsed.address, family: parsed.family, mode, ...at };
    f.vips.push(vip);
    f.seen.vips.set(vip.address, vip);
  }
}

const IFCONFIG_KEYWORDS = new Set([
  'netmask',
  'broadcast',
  'pointopoint',
  'dstaddr',
  'mtu',
  'metric',
  'txqueuelen',
  'hw',
  'add',
  'del',
  'tunnel',
]);
const IFCONFIG_FLAGS = /^-?(up|arp|trailers|allmulti|multicast|promisc|dynamic|inet|-broadcast|-pointopoint)$/;

// ifconfig lo:0 VIP [netmask M] [broadcast B] [up] | ifconfig DEV inet6 add VIP/128 | ifconfig tunl0 up
export function ifconfig(f: Findings, args: string[], at: Origin): void {
  const [dev, ...rest] = args;
  if (dev === undefined || rest.length === 0 || rest.includes('down')) return; // a query, or stop's work
  if (rest[0] === 'inet6') {
    if (rest[1] === 'add' && rest[2]) addVip(f, rest[2], dev, at);
    return;
  }
  // The address is the word that is neither a flag nor a keyword's value (broadcast $VIP is one).
  let address: string | undefined;
  for (let i = 0; i < rest.length && address === undefined; i++) {
    const word = rest[i] as string;
    if (IFCONFIG_KEYWORDS.has(word)) i++;
    else if (!IFCONFIG_FLAGS.test(word)) address = word;
  }
  if (address === undefined) return; // bringing a device up: implied by its VIPs
  const netmask = rest.includes('netmask') ? rest[rest.indexOf('netmask') + 1] : undefined;
  const kernel = address.includes('/') ? undefined : ifconfigPrefix(address, netmask);
  if (typeof kernel === 'string') note(f, at, `${kernel}; rs-agent adds the VIP as a single host (/32)`);
  addVip(f, address, dev, at, typeof kernel === 'string' ? undefined : kernel);
}

const IP_OPTIONS_WITH_VALUE = new Set(['-f', '-family', '-n', '-netns', '-b', '-batch', '-rc', '-rcvbuf']);
const ADDRESS_KEYWORDS = new Set([
  'dev',
  'label',
  'broadcast',
  'brd',
  'scope',
  'preferred_lft',
  'valid_lft',
  'peer',
  'metric',
  'anycast',
  'proto',
]);

// ip [-4|-6] address add VIP[/len] dev DEV ... | ip route add ... | ip link set DEV up
export function ip(f: Findings, args: string[], at: Origin): void {
  let i = 0;
  while (args[i]?.startsWith('-')) i += IP_OPTIONS_WITH_VALUE.has(args[i] as string) ? 2 : 1;
  const object = args[i] ?? '';
  const verb = args[i + 1] ?? '';
  const rest = args.slice(i + 2);
  const dev = valueAfter(rest, 'dev');
  if ('address'.startsWith(object) && object.length > 0) {
    if (!['add', 'a', 'replace', 'change'].includes(verb)) return; // show, del, flush
    const target = firstOperand(rest, ADDRESS_KEYWORDS);
    if (!target || !dev) return note(f, at, 'no address or no device found in this command');
    addVip(f, target, dev, at);
  } else if ('route'.startsWith(object) && object.length > 0) {
    if (!['add', 'a', 'replace', 'append'].includes(verb)) return;
    const target = firstOperand(rest, ADDRESS_KEYWORDS);
    if (target) f.routes.push({ address: target, dev: dev ?? '?', ...at });
  } else if ('link'.startsWith(object) && object.length > 0) {
    const name = rest[0] === 'dev' ? rest[1] : rest[0];
    if (verb === 'set' && rest.includes('arp') && rest.includes('off')) {
      note(
        f,
        at,
        `turns ARP off on ${name}: rs-agent suppresses ARP for the VIPs with arp_ignore/arp_announce instead`,
      );
    } else if (verb === 'add') {
      note(
        f,
        at,
        'creates a device: rs-agent does not create devices; keep it (e.g. a systemd-networkd .netdev) and name it under tunnel:',
      );
    } else if (!(verb === 'set' && (name === 'lo' || (name ?? '') in TUNNEL_FAMILY) && rest.includes('up'))) {
      if (verb !== 'show' && verb !== '') note(f, at, 'not translated');
    }
  } else {
    note(f, at, 'not translated');
  }
}

// route add -host VIP dev lo:0 | route add -net VIP netmask 255.255.255.255 dev lo | route add VIP lo
export function route(f: Findings, args: string[], at: Origin): void {
  if (args[0] !== 'add') return;
  const rest = args.slice(1).filter((a) => a !== '-host' && a !== '-net');
  const target = firstOperand(rest, new Set(['dev', 'netmask', 'gw', 'metric']));
  const dev = valueAfter(rest, 'dev') ?? rest[rest.length - 1];
  if (target) f.routes.push({ address: target, dev: dev ?? '?', ...at });
}

const SYSCTL_FLAGS = new Set(['-w', '-q', '-e', '--write', '--quiet']);

// sysctl [-w] [-q] key=value ... | sysctl -p [file]
export function sysctl(f: Findings, args: string[], at: Origin): void {
  if (args.includes('-p') || args.includes('--load') || args.includes('--system')) {
    note(
      f,
      at,
      'loads sysctl files as they are on this host: check them for ARP or rp_filter lines ("rs-agent install" writes its own drop-in)',
    );
    return;
  }
  for (const arg of args) {
    if (SYSCTL_FLAGS.has(arg) || !arg.includes('=')) continue;
    const [key = '', value = ''] = arg.split('=');
    // A dot inside an interface name is written as '/' (net.ipv4.conf.eth0/100.arp_ignore).
    const path = key
      .split('.')
      .map((part) => part.replace(/\//g, '.'))
      .join('/');
    setSysctl(f, path, value.trim(), at);
  }
}

// echo V > /proc/sys/net/ipv4/conf/DEV/KEY
export function echo(f: Findings, w: Words, at: Origin): void {
  const target = w.redirects.find((r) => (r.op === '>' || r.op === '>>') && r.target.startsWith('/proc/sys/'));
  if (!target) return; // a message for the operator
  const value = w.words
    .slice(1)
    .filter((word) => !/^-[neE]+$/.test(word))
    .join(' ')
    .trim();
  setSysctl(f, target.target.slice('/proc/sys/'.length), value, at);
}

export function setSysctl(f: Findings, path: string, value: string, at: Origin): void {
  const conf = /^net\/ipv4\/conf\/([^/]+)\/([a-z_]+)$/.exec(path);
  const key = conf?.[2];
  if (conf && (key === 'arp_ignore' || key === 'arp_announce' || key === 'rp_filter')) {
    const list = key === 'arp_ignore' ? f.arpIgnore : key === 'arp_announce' ? f.arpAnnounce : f.rpFilter;
    list.push({ dev: conf[1] as string, value, ...at });
  } else if (key === 'hidden') {
    note(f, at, 'the "hidden" flag of the old 2.4-kernel hidden patch: arp_ignore and arp_announce replace it');
  } else if (path === 'net/ipv4/ip_forward' || path.endsWith('/forwarding')) {
    note(f, at, 'a real server does not forward packets; rs-agent leaves forwarding alone');
  } else {
    note(f, at, 'not translated: rs-agent manages only arp_ignore, arp_announce and rp_filter');
  }
}

// Once per line and reason: an unrolled loop would repeat it.
export function note(f: Findings, at: Origin, reason: string): void {
  const key = `${at.line} ${reason}`;
  if (f.seen.notes.has(key)) return;
  f.seen.notes.add(key);
  f.notes.push({ ...at, reason });
}

function valueAfter(args: string[], keyword: string): string | undefined {
  const i = args.indexOf(keyword);
  return i >= 0 ? args[i + 1] : undefined;
}

// The first word that is neither a keyword nor a keyword's value.
function firstOperand(args: string[], keywords: Set<string>): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const word = args[i] as string;
    if (keywords.has(word)) i++;
    else if (!['local', 'unicast', 'to'].includes(word)) return word;
  }
  return undefined;
}

#!/usr/bin/python3
# A stand-in for ipvsadm where the kernel has no IPVS: the IPVS table kept in a JSON file
# (IPVSADM_TABLE), for a director's own program (ldirectord) to drive. It takes what
# ldirectord runs: -A/-E/-D a TCP virtual service (-t VIP:PORT -s SCHED), -a/-e/-d a real
# server (-r RIP:PORT -g|-i|-m -w WEIGHT, -x/-y thresholds), and -L -n [--thresholds] in
# ipvsadm's own layout; anything else fails, naming it.
import json, os, sys

TABLE = os.environ.get('IPVSADM_TABLE', '/run/ipvsadm-table.json')
FORWARD = {'-g': 'Route', '-i': 'Tunnel', '-m': 'Masq'}


def load():
    try:
        with open(TABLE) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def fail(why):
    print(f'ipvsadm stand-in: {why}: {" ".join(sys.argv[1:])}', file=sys.stderr)
    sys.exit(2)


args = sys.argv[1:]
table = load()
if args[:2] == ['-L', '-n']:
    thresholds = args[2:] == ['--thresholds']
    if args[2:] not in ([], ['--thresholds']):
        fail('unexpected listing')
    print('IP Virtual Server version 1.2.1 (size=4096)')
    print('Prot LocalAddress:Port Scheduler Flags')
    print('  -> RemoteAddress:Port           ' + ('Uthreshold Lthreshold' if thresholds else 'Forward Weight') + ' ActiveConn InActConn')
    for vip, service in table.items():
        print(f'TCP  {vip} {service["scheduler"]}')
        for rip, real in service['real'].items():
            cols = f'{real["u"]:<10} {real["l"]:<10}' if thresholds else f'{real["forward"]:<7} {real["weight"]:<6}'
            print(f'  -> {rip:<28} {cols} 0          0')
    sys.exit(0)

command, rest = args[0], args[1:]
opts = {}
i = 0
while i < len(rest):
    flag = rest[i]
    if flag in FORWARD:
        opts['forward'] = FORWARD[flag]
        i += 1
    elif flag in ('-t', '-s', '-r', '-w', '-x', '-y') and i + 1 < len(rest):
        opts[flag] = rest[i + 1]
        i += 2
    else:
        fail(f'unexpected option {flag}')
vip = opts.get('-t') or fail('no -t VIP:PORT')
if command in ('-A', '-E'):
    table.setdefault(vip, {'real': {}})['scheduler'] = opts.get('-s', 'wlc')
elif command == '-D':
    table.pop(vip, None) if vip in table else fail('no such service')
elif command in ('-a', '-e', '-d'):
    service = table.get(vip) or fail('no such service')
    rip = opts.get('-r') or fail('no -r RIP:PORT')
    if command == '-d':
        service['real'].pop(rip, None) if rip in service['real'] else fail('no such destination')
    else:
        if (command == '-a') == (rip in service['real']):
            fail('destination already exists' if command == '-a' else 'no such destination')
        old = service['real'].get(rip, {'forward': 'Route', 'weight': 1, 'u': 0, 'l': 0})
        service['real'][rip] = {
            'forward': opts.get('forward', old['forward']),
            'weight': int(opts.get('-w', old['weight'])),
            'u': int(opts.get('-x', old['u'])),
            'l': int(opts.get('-y', old['l'])),
        }
else:
    fail('unexpected command')
with open(TABLE, 'w') as f:
    json.dump(table, f)
with open(TABLE + '.log', 'a') as f:
    f.write(' '.join(args) + '\n')

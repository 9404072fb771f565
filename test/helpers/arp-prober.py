#!/usr/bin/env python3
# Asks "who has VIP?" on IFACE every INTERVAL_MS milliseconds for DURATION_S seconds, as a
# router looking for the VIP does, and counts the ARP replies that claim the VIP. Prints
# one JSON line: {"sent": N, "answered": M}. arping cannot go faster than one a second.
#   usage: arp-prober.py IFACE SOURCE_IP VIP INTERVAL_MS DURATION_S
import json
import select
import socket
import struct
import sys
import time

iface, source_ip, vip = sys.argv[1], sys.argv[2], sys.argv[3]
interval, duration = float(sys.argv[4]) / 1000, float(sys.argv[5])
with open(f"/sys/class/net/{iface}/address") as f:
    mac = bytes.fromhex(f.read().strip().replace(":", ""))

ETH_P_ARP = 0x0806
frame = (
    b"\xff" * 6 + mac + struct.pack("!H", ETH_P_ARP)
    + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1)
    + mac + socket.inet_aton(source_ip)
    + b"\x00" * 6 + socket.inet_aton(vip)
)
vip_bytes = socket.inet_aton(vip)

sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
sock.bind((iface, ETH_P_ARP))
# Said on stderr (stdout is the result): a caller timing something against the probe
# can wait for this, since python may take seconds to start on a loaded machine.
print("ready", file=sys.stderr, flush=True)
sent = answered = 0
start = time.monotonic()
next_send = start
while True:
    now = time.monotonic()
    if now >= start + duration + 0.2:
        break
    if now >= next_send and now < start + duration:
        sock.send(frame)
        sent += 1
        next_send += interval
    ready, _, _ = select.select([sock], [], [], max(0.0, min(next_send, start + duration + 0.2) - time.monotonic()))
    if ready:
        pkt = sock.recv(128)
        # ARP reply (op 2) whose sender protocol address is the VIP
        if len(pkt) >= 42 and pkt[12:14] == b"\x08\x06" and pkt[20:22] == b"\x00\x02" and pkt[28:32] == vip_bytes:
            answered += 1
print(json.dumps({"sent": sent, "answered": answered}), flush=True)

#!/usr/bin/env python3
# Asks "who has VIP?" on IFACE every INTERVAL_MS milliseconds until SIGTERM, then prints how
# many requests it sent. Broadcast ARP requests, exactly what a router sends when it looks
# for the VIP; arping cannot go faster than one a second, and a real server that holds the
# VIP before its ARP sysctls are set may do so for only a few milliseconds.
#   usage: arp-prober.py IFACE SOURCE_IP VIP INTERVAL_MS
import signal
import socket
import struct
import sys
import time

iface, source_ip, vip, interval_ms = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
with open(f"/sys/class/net/{iface}/address") as f:
    mac = bytes.fromhex(f.read().strip().replace(":", ""))

ETH_P_ARP = 0x0806
frame = (
    b"\xff" * 6 + mac + struct.pack("!H", ETH_P_ARP)          # Ethernet: broadcast, from us
    + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1)               # ARP: Ethernet/IPv4, request
    + mac + socket.inet_aton(source_ip)                       # sender
    + b"\x00" * 6 + socket.inet_aton(vip)                     # target: the VIP
)

sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sock.bind((iface, ETH_P_ARP))
sent = 0
running = True


def stop(_signum, _frame):
    global running
    running = False


signal.signal(signal.SIGTERM, stop)
print("ready", flush=True)
while running:
    sock.send(frame)
    sent += 1
    time.sleep(interval_ms / 1000)
print(sent, flush=True)

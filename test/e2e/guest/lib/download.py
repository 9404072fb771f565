#!/usr/bin/env python3
# The drain case's long download (test/e2e/guest/lib/drain.sh).
#   download.py serve PORT BYTES      on [::]:PORT (both families): sends BYTES to each
#                                     client, then closes. Its send buffer is small, so its
#                                     side stays open (ESTABLISHED) until the client has read
#                                     nearly everything: the connection a drain must wait for
#   download.py fetch HOST PORT BYTES RATE [HOLD|- [IDLE]]
#                                     reads at about RATE bytes/s with a small receive
#                                     buffer; says "receiving" on stderr at the first bytes;
#                                     prints one JSON line: bytes, complete, seconds, error,
#                                     ended (epoch seconds), held (seconds). With HOLD (a file):
#                                     halfway, reads nothing while HOLD exists (at most 300 s),
#                                     the connection established and idle, so that whoever
#                                     removes HOLD knows the transfer outlasts that moment.
#                                     IDLE: seconds without a byte before it gives up (30)
import json
import os
import socket
import sys
import threading
import time


def send(c, size):
    try:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
        block = b'x' * 8192
        sent = 0
        while sent < size:
            sent += c.send(block[:min(len(block), size - sent)])
    except OSError:
        pass
    c.close()


def serve(port, size):
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(('::', port))
    s.listen(16)
    print('listening', flush=True)
    while True:
        c, _ = s.accept()
        threading.Thread(target=send, args=(c, size), daemon=True).start()


def fetch(host, port, size, rate, hold=None, idle=30.0):
    t0 = time.monotonic()
    out = {'expected': size, 'bytes': 0, 'complete': False, 'error': None, 'held': 0.0}
    try:
        s = socket.socket(socket.AF_INET)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(idle)
        s.connect((host, port))
        while True:
            if hold and out['bytes'] >= size // 2 and os.path.exists(hold):
                h0 = time.monotonic()
                while os.path.exists(hold) and time.monotonic() - h0 < 300:
                    time.sleep(0.1)
                out['held'] = round(time.monotonic() - h0, 2)
                hold = None
            chunk = s.recv(4096)
            if not chunk:
                break
            if out['bytes'] == 0:
                print('receiving', file=sys.stderr, flush=True)
            out['bytes'] += len(chunk)
            time.sleep(len(chunk) / rate)
        s.close()
    except OSError as e:
        out['error'] = f'{type(e).__name__}: {e}'
    out['complete'] = out['bytes'] == size
    out['seconds'] = round(time.monotonic() - t0, 2)
    out['ended'] = round(time.time(), 2)
    print(json.dumps(out), flush=True)


if sys.argv[1] == 'serve':
    serve(int(sys.argv[2]), int(sys.argv[3]))
else:
    hold = sys.argv[6] if len(sys.argv) > 6 and sys.argv[6] != '-' else None
    idle = float(sys.argv[7]) if len(sys.argv) > 7 else 30.0
    fetch(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), hold, idle)

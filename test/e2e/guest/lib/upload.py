#!/usr/bin/env python3
# The MSS case's two ends (test/e2e/guest/lib/mss.sh).
#   upload.py serve PORT            receives uploads on [::]:PORT (both families), each in a
#                                   thread of its own (a stalled one must not hold up the
#                                   next): reads to EOF, answers with the number of bytes it got
#   upload.py send HOST PORT BYTES SECONDS
#                                   sends BYTES, half-closes, reads the answer; gives up after
#                                   SECONDS in all; prints one JSON line: the MSS the server
#                                   advertised (TCP_MAXSEG: the client runs without timestamps,
#                                   so no option eats into it), the bytes the server acknowledged
#                                   (tcpi_bytes_acked), its answer, the time taken, any error
import json
import socket
import struct
import sys
import threading
import time


def receive(c):
    c.settimeout(120)
    got = 0
    try:
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            got += len(chunk)
        c.sendall(str(got).encode())
    except OSError:
        pass
    c.close()


def serve(port):
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(('::', port))
    s.listen(16)
    while True:
        c, _ = s.accept()
        threading.Thread(target=receive, args=(c,), daemon=True).start()


def acked(s):
    # struct tcp_info: tcpi_bytes_acked is the u64 at offset 120 (Linux >= 4.1).
    info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    return struct.unpack_from('<Q', info, 120)[0] if len(info) >= 128 else None


def send(host, port, size, seconds):
    t0 = time.monotonic()
    deadline = t0 + seconds
    out = {'bytes': size, 'mss': None, 'acked': None, 'answer': None, 'error': None}
    s = None
    try:
        s = socket.create_connection((host, port), timeout=seconds)
        out['mss'] = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)
        data = b'x' * 65536
        sent = 0
        while sent < size:
            s.settimeout(max(deadline - time.monotonic(), 0.01))
            sent += s.send(data[:min(len(data), size - sent)])
        s.shutdown(socket.SHUT_WR)
        answer = b''
        while True:
            s.settimeout(max(deadline - time.monotonic(), 0.01))
            chunk = s.recv(100)
            if not chunk:
                break
            answer += chunk
        out['answer'] = int(answer) if answer else None
    except (OSError, ValueError) as e:
        out['error'] = f'{type(e).__name__}: {e}'
    if s is not None:
        try:
            out['acked'] = acked(s)
            # Given up: reset rather than close, so no FIN waits behind the stuck data.
            if out['error'] is not None:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        except OSError:
            pass
        s.close()
    out['seconds'] = round(time.monotonic() - t0, 2)
    print(json.dumps(out))


if sys.argv[1] == 'serve':
    serve(int(sys.argv[2]))
else:
    send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))

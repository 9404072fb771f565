#!/usr/bin/env python3
# Runs COMMAND with one system call refused (EPERM) by a seccomp filter, as systemd's
# SystemCallFilter=~… with SystemCallErrorNumber=EPERM refuses it to a unit. Sets
# no_new_privs first, as the filter needs without CAP_SYS_ADMIN (and as NoNewPrivileges=yes).
#   usage: deny-syscall.py SYSCALL COMMAND [ARG...]
import ctypes
import os
import platform
import struct
import sys

NUMBERS = {"x86_64": {"capset": 126}, "aarch64": {"capset": 91}}
number = NUMBERS[platform.machine()][sys.argv[1]]

# Load seccomp_data.nr; if it is the call, return ERRNO(EPERM), else ALLOW.
program = [
    (0x20, 0, 0, 0),  # BPF_LD | BPF_W | BPF_ABS, offset 0
    (0x15, 0, 1, number),  # BPF_JMP | BPF_JEQ | BPF_K
    (0x06, 0, 0, 0x00050000 | 1),  # BPF_RET: SECCOMP_RET_ERRNO | EPERM
    (0x06, 0, 0, 0x7FFF0000),  # BPF_RET: SECCOMP_RET_ALLOW
]
code = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *op) for op in program))


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


fprog = SockFprog(len(program), ctypes.addressof(code))
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
ulong = ctypes.c_ulong
if libc.prctl(PR_SET_NO_NEW_PRIVS, ulong(1), ulong(0), ulong(0), ulong(0)) != 0:
    raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
if libc.prctl(PR_SET_SECCOMP, ulong(SECCOMP_MODE_FILTER), ctypes.byref(fprog), ulong(0), ulong(0)) != 0:
    raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")
os.execvp(sys.argv[2], sys.argv[2:])

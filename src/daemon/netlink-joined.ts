import { readFile, readdir, readlink } from 'node:fs/promises';

// A `… monitor` child hears of a change only once its netlink socket has joined the
// kernel's multicast group for it; before that, changes pass unseen. `ip monitor` joins at
// once, `nft monitor` only after it has read the whole ruleset (a while, on a loaded host).
// The child's own /proc/PID/net/netlink (its network namespace's sockets) shows each
// socket's groups and inode; /proc/PID/fd links its sockets as socket:[INODE]. Any error
// (the child gone, /proc unreadable) reads as "not joined": the caller keeps looking at
// everything meanwhile.
export async function joinedNetlinkGroup(pid: number): Promise<boolean> {
  try {
    const fds = await readdir(`/proc/${pid}/fd`);
    const links = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
    const inodes = new Set(links.map((l) => /^socket:\[(\d+)\]$/.exec(l)?.[1]).filter((i) => i !== undefined));
    if (inodes.size === 0) return false;
    return joinedIn(await readFile(`/proc/${pid}/net/netlink`, 'utf8'), inodes);
  } catch {
    return false;
  }
}

// Of /proc/net/netlink's rows (sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode), whether
// one of the given sockets has a group: Groups is a hex bitmap of the first 32 groups
// (nft monitor's NFNLGRP_NFTABLES is group 7, bit 0x40).
export function joinedIn(table: string, inodes: ReadonlySet<string>): boolean {
  return table
    .split('\n')
    .slice(1)
    .map((row) => row.trim().split(/\s+/))
    .some(
      (cols) =>
        cols.length >= 10 &&
        inodes.has(cols[9] as string) &&
        /^[0-9a-f]+$/i.test(cols[3] as string) &&
        Number.parseInt(cols[3] as string, 16) !== 0,
    );
}

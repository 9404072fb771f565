import { describe, expect, it } from 'vitest';
import { AgentError, CommandNotFoundError } from '../../src/errors.js';
import { nftListArgv, readNftTable } from '../../src/observe/nft-read.js';
import type { Runner } from '../../src/system/runner.js';

// What `nft -j list table` tells the MSS clamp's report: nft missing (install it) from nft
// there but failing (a timeout on a loaded machine: not a package to install).
const failing = (error: Error): Runner => ({ run: () => Promise.reject(error) });
const exiting = (exitCode: number, stderr: string): Runner => ({
  run: () => Promise.resolve({ exitCode, stdout: '', stderr }),
});
const read = (runner: Runner) => readNftTable(runner, nftListArgv('inet', 'rs_agent'), () => null as never);

describe('readNftTable', () => {
  it('nft not installed, or no nf_tables in the kernel: unavailable and missing', async () => {
    expect(await read(failing(new CommandNotFoundError('nft: command not found in PATH')))).toEqual({
      available: false,
      missing: true,
      reason: 'nft: command not found in PATH',
      table: null,
    });
    expect(await read(exiting(1, 'Error: Could not process rule: Operation not supported\n'))).toMatchObject({
      available: false,
      missing: true,
    });
  });

  it('nft that timed out or was refused: unavailable, not missing, with what failed', async () => {
    const timeout = 'nft -j list table inet rs_agent: no answer after 10 s; killed it';
    expect(await read(failing(new AgentError(timeout)))).toEqual({
      available: false,
      missing: false,
      reason: timeout,
      table: null,
    });
    expect(await read(exiting(1, 'Error: Could not process rule: Operation not permitted\n'))).toEqual({
      available: false,
      missing: false,
      reason: 'nft -j list table inet rs_agent: Error: Could not process rule: Operation not permitted',
      table: null,
    });
  });

  it('no such table: available, nothing there', async () => {
    expect(await read(exiting(1, 'Error: No such file or directory\n'))).toEqual({ available: true, table: null });
  });
});

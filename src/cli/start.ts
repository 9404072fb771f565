import { agentOptions, print, printError, printJson, printProgress, runCommand, type GlobalArgs } from './common.js';
import { reportConflicts, reportOutcomes, reportProblems } from './report.js';

export async function startCommand(args: GlobalArgs): Promise<void> {
  await runCommand(async () => {
    const { start } = await import('../agent.js');
    const result = await start(await agentOptions(args));
    if (result.changes.length === 0 && result.conflicts.length === 0 && result.problems.length === 0)
      print('in sync: nothing to change');
    const status = reportOutcomes(result.outcomes, result.error, result.held);
    return Math.max(reportConflicts(result.conflicts), reportProblems(result.problems), status);
  });
}

export async function stopCommand(args: GlobalArgs & { json?: boolean; drain?: boolean }): Promise<void> {
  await runCommand(async () => {
    const [{ stop }, { drainBeforeStop, liftStopDrain }] = await Promise.all([
      import('../agent.js'),
      import('../drain/drain.js'),
    ]);
    const opts = await agentOptions(args);
    // Progress on stderr: stdout stays what stop prints (and JSON with --json).
    const drained = await drainBeforeStop(opts, args.drain === true, printProgress);
    if (drained && drained.outcome !== 'drained')
      printError(
        `drain ${drained.outcome === 'timeout' ? 'timed out' : 'cancelled'}: ${drained.line}; stopping anyway`,
      );
    const cut = drained !== null && drained.outcome !== 'drained' ? 1 : 0;
    const result = await stop(opts);
    if (drained && result.ok && liftStopDrain(drained))
      printProgress('drain lifted: stop set it, and the VIPs are gone');
    const kept = result.kept ?? [];
    if (args.json) {
      printJson({ outcomes: result.outcomes, kept, unrecorded: result.unrecorded });
      return result.ok ? cut : 2;
    }
    if (result.changes.length === 0 && kept.length === 0) {
      print(
        result.unrecorded.length === 0
          ? 'nothing to undo'
          : `nothing to undo: rs-agent has no record of adding anything (no state file in ${opts.stateDir})`,
      );
    }
    // Still exit 0: stop undid all it knows of. Not deleted: nothing proves these are rs-agent's.
    for (const a of result.unrecorded) {
      const key = `${a.address}/${a.prefixlen}`;
      print(
        `left in place: ${key} on ${a.dev}: rs-agent has no record of adding it; if it did before its state file was lost, remove it with "ip address del ${key} dev ${a.dev}"`,
      );
    }
    const status = reportOutcomes(result.outcomes, result.error, result.held);
    const { formatKept } = await import('../render/change.js');
    for (const k of kept) print(formatKept(k));
    return Math.max(status, cut);
  });
}

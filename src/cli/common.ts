import type { AgentOptions } from '../agent.js';
import { AgentError } from '../errors.js';

export interface GlobalArgs {
  config: string;
  'state-dir': string;
  'allow-insecure-config': boolean;
}

// The options every library call takes, with the real seams.
export async function agentOptions(args: GlobalArgs): Promise<AgentOptions> {
  const [{ createRunner }, { createSysctlFs }] = await Promise.all([
    import('../system/runner.js'),
    import('../system/sysctl-fs.js'),
  ]);
  return {
    configPath: args.config,
    stateDir: args['state-dir'],
    runner: createRunner(),
    sysctlFs: createSysctlFs(),
    allowInsecureConfig: args['allow-insecure-config'],
  };
}

// Runs a command body; expected failures become one line on stderr and their exit
// status, anything else is a bug and keeps its stack.
export async function runCommand(body: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (error) {
    if (error instanceof AgentError) {
      process.stderr.write(`rs-agent: ${error.message}\n`);
      process.exitCode = error.exitCode;
    } else {
      const { readableStack } = await import('../system/stack.js');
      process.stderr.write(`rs-agent: internal error (please report): ${readableStack(error)}\n`);
      process.exitCode = 2;
    }
  }
}

export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

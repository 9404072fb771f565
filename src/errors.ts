// Expected failures: each carries one line for the operator and the exit status to use.
// Anything else that escapes is a bug and is reported with its stack.
export class AgentError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'AgentError';
    this.exitCode = exitCode;
  }
}

// A config that does not validate: the message names the key path and the value.
export class ConfigError extends AgentError {
  constructor(
    readonly source: string,
    readonly keyPath: string,
    readonly detail: string,
  ) {
    super(`config ${source}: ${keyPath ? `${keyPath}: ` : ''}${detail}`);
    this.name = 'ConfigError';
  }
}

// A command rs-agent ran that failed: names the command and its stderr.
export class CommandError extends AgentError {
  constructor(
    readonly argv: readonly string[],
    readonly stderr: string,
    readonly exitStatus: number | undefined,
  ) {
    super(`command failed: ${argv.join(' ')}: ${joinLines(stderr) || `exit status ${exitStatus ?? 'unknown'}`}`);
    this.name = 'CommandError';
  }
}

// A command that is not installed (not in PATH): what needs it may go without, saying so.
export class CommandNotFoundError extends AgentError {
  constructor(message: string) {
    super(message);
    this.name = 'CommandNotFoundError';
  }
}

// A command's output as one line for the operator: every non-blank line, trimmed,
// joined with "; " (ip and nft may explain an error over several lines).
export function joinLines(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('; ');
}

// Whether a Node error carries this errno code.
export function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === code;
}

// A file-system error in the operator's terms.
export function describeError(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const e = error as { code?: string; message?: string };
    if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied (run as root)';
    if (e.code === 'EROFS') return 'read-only file system';
    // Node's message already starts with the code ("ENOSPC: no space left on device, write").
    if (e.code) return e.message?.startsWith(`${e.code}: `) ? e.message : `${e.code}: ${e.message ?? ''}`.trim();
    if (e.message) return e.message;
  }
  return String(error);
}

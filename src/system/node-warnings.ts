// Node prints a process warning as "(node:PID) [CODE] …" on stderr: in the daemon's JSON log
// that line is not JSON, and a command's stderr is rs-agent's to word. Each warning goes to
// `write` instead (the last call wins). DEP0123 is dropped: grpc-js gives an https:// endpoint
// named by IP address to TLS as the server name, which Node says RFC 6066 forbids; the member's
// certificate is still checked against that address, so there is nothing to report.
export function routeNodeWarnings(write: (text: string, code: string | null) => void): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    if (warning.code === 'DEP0123') return;
    write(`${warning.name}${warning.code ? ` ${warning.code}` : ''}: ${warning.message}`, warning.code ?? null);
  });
}

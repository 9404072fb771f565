import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useTempDir } from './temp-dir.js';

// A copy of /etc/passwd to look the service user up in: root and an ordinary user, plus
// whatever lines a test adds.
export const SYSTEM_USERS = 'root:x:0:0:root:/root:/bin/bash\nbob:x:1000:1000::/home/bob:/bin/bash\n';

// A writer of passwd files in a temporary directory of the test file's own.
export function usePasswdFile(): { tmp: () => string; passwd: (text: string) => string } {
  const tmp = useTempDir('rsa-svc-');
  const passwd = (text: string) => {
    const path = join(tmp(), 'passwd');
    writeFileSync(path, text);
    return path;
  };
  return { tmp, passwd };
}

import { describe, expect, it } from 'vitest';
import { utilLinux } from '../../src/system/util-linux.js';

describe('utilLinux', () => {
  it('finds flock and setpriv on PATH, else in /usr/bin or /bin', () => {
    expect(utilLinux('flock', '/nonexistent')).toMatch(/^\/(usr\/)?bin\/flock$/);
    expect(utilLinux('setpriv', '')).toMatch(/^\/(usr\/)?bin\/setpriv$/);
  });
});

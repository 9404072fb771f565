// Whether a case pattern (start|restart, 'start', 192.0.2.*, *) matches the word: the
// script's own value, or "start" when the word is its action argument.
export function matchesPattern(pattern: string, word: string): boolean {
  return pattern.split('|').some((alt) => {
    const glob = alt.trim().replace(/^["']|["']$/g, '');
    const regex = glob
      .replace(/[.+^${}()\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    return new RegExp(`^${regex}$`).test(word);
  });
}

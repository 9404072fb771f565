// One diff for every kind of owned object: what to add so that all desired items are
// present, and which owned items to delete because they are present but no longer desired.
// Items present but never owned are someone else's and never deleted.
export function diffOwned<T>(
  desired: readonly T[],
  present: readonly T[],
  owned: readonly T[],
  keyOf: (item: T) => string,
): { add: T[]; remove: T[] } {
  const presentKeys = new Set(present.map(keyOf));
  const desiredKeys = new Set(desired.map(keyOf));
  const add = desired.filter((item) => !presentKeys.has(keyOf(item)));
  const remove = owned.filter((item) => !desiredKeys.has(keyOf(item)) && presentKeys.has(keyOf(item)));
  return { add, remove };
}

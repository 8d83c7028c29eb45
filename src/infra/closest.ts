/**
 * "Did you mean …?" for names a person typed: the known name fewest single-character edits away
 * (Levenshtein distance) when that is close enough to be a slip, else a known name that holds
 * every word of the typed one in order (`SLACK_TOKEN` → `SLACK_BOT_TOKEN`, `TURN_TIMEOUT` →
 * `TURN_TIMEOUT_SECONDS`). Case does not matter.
 */
export function closest(word: string, known: readonly string[]): string | undefined {
  const typed = word.toUpperCase();
  const limit = Math.max(2, Math.floor(typed.length / 3));
  const ranked = known
    .map((name) => ({ name, distance: editDistance(typed, name.toUpperCase()) }))
    .sort((a, b) => a.distance - b.distance);
  return (ranked.find((r) => r.distance <= limit) ?? ranked.find((r) => wordsInOrder(typed, r.name.toUpperCase())))?.name;
}

/** Every `_`-separated word of `typed` appears in `name`'s words, in the same order. */
function wordsInOrder(typed: string, name: string): boolean {
  const words = name.split('_');
  let at = 0;
  for (const w of typed.split('_').filter(Boolean)) {
    at = words.indexOf(w, at) + 1;
    if (at === 0) return false;
  }
  return typed.includes('_');
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}

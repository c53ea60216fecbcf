/** "Did you mean" suggestions for misspelt option and flag names. Not public. */

/** The candidate within edit distance 2 of `word` (case-insensitive), if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** The first key of an object that is not a known one, and the message that names it. */
export interface UnknownKey {
  /** The key as it was given. */
  key: string;
  /** `unknown <what> "<key>" (did you mean "<known>"?); known <what>s: a, b, c`. */
  message: string;
}

/**
 * The first own key of `value` outside `known`, or undefined. Keys whose value is `undefined` count too:
 * a misspelt name is wrong whatever it holds.
 */
export function unknownKey(value: object, known: readonly string[], what: string): UnknownKey | undefined {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const guess = closest(key, known);
    const hint = guess ? ` (did you mean "${guess}"?)` : "";
    return { key, message: `unknown ${what} ${JSON.stringify(key)}${hint}; known ${what}s: ${known.join(", ")}` };
  }
  return undefined;
}

/**
 * Extra readings of a text that the detector scores when the text looks encoded, without the
 * text having to say so: a Caesar shift (ROT13 among them), a reversal, pig Latin, Morse code,
 * and camelCase / PascalCase prose ("ignoreAllPreviousInstructions"). The model reads n-grams
 * of the folded text, so "vtaber nyy cerivbhf vafgehpgvbaf" or ".. --. -. --- .-. ." say
 * nothing to it, and an attacker need not name the encoding ("rot13") for an LLM to read it.
 *
 * Detection costs next to nothing on ordinary text: the scan (./features.ts) already looks
 * every word up in the lexicon table, and the images of common English words (`READ_WORDS`)
 * under each shift, reversed and in pig Latin sit in that table, so the scan counts per reading
 * how many words of the text are a common word read that way, plus the Morse characters and
 * the long words it met (`ReadingStats`). Only when these say "encoded" is the raw text looked
 * at again; the caller (`viewAndScan` in ./model.ts, for training and scoring alike) then
 * builds the view with the reading appended and scans it once more.
 */

/**
 * Common English words whose shifted, reversed and pig-Latin images mark a text written that
 * way. Three letters or more: the images of two-letter words ("gb", "bs", "vf") collide with
 * abbreviations too often.
 */
export const READ_WORDS = (
  "the and you your that this with for are not from have what how all any can will was but they them " +
  "tell give write make now please ignore previous instructions system prompt secret password rules " +
  "reveal print answer question output explain steps about there their which would should into"
).split(" ");

/**
 * Images of READ_WORDS that are words or common tokens of ordinary text themselves ("max" is
 * "the" shifted by 19, "won" is "now" reversed), found in the benign training text and by
 * hand: never counted as a hit of a reading.
 */
export const READ_COLLISIONS = new Set(
  "alex ats cnn epp erc esp ger jan lcp led max mtb rep rpc tee tre von era ton saw won tub anyway".split(" "),
);

/** Reading ids: 0 the text as written, 1..25 a Caesar shift by that many letters, 26 reversed, 27 pig Latin. */
export const READ_REVERSED = 26;
export const READ_PIG_LATIN = 27;
export const READINGS = 28;

const VOWEL = /[aeiou]/i;

/** Pig Latin as the common word games write it: "ignore" -> "ignoreway", "previous" -> "eviouspray". */
function pigLatin(word: string): string {
  const v = word.search(VOWEL);
  if (v === 0) return `${word}way`;
  if (v < 0) return `${word}ay`;
  return `${word.slice(v)}${word.slice(0, v)}ay`;
}

/** English word onsets of two and three consonants, for undoing pig Latin. */
const ONSETS = new Set(
  "bl br ch cl cr dr fl fr gl gr kn ph pl pr qu sc sh sk sl sm sn sp st sw th tr tw wh wr chr sch scr shr spl spr str thr squ".split(" "),
);

/**
 * One pig-Latin word read back. The moved consonants are a suffix of the stem; which suffix is
 * ambiguous ("ownay": "now" or "wno"), so a two-letter onset is preferred, then three, then one,
 * which reads the common words right.
 */
function unPigWord(word: string): string {
  const lower = word.toLowerCase();
  if (lower.length > 4 && lower.endsWith("way") && VOWEL.test(lower[0]!)) return word.slice(0, -3);
  if (lower.length < 4 || !lower.endsWith("ay")) return word;
  const stem = word.slice(0, -2);
  let k = stem.length;
  while (k > 1 && !VOWEL.test(stem[k - 1]!)) k--;
  const run = stem.length - k; // trailing consonants
  if (run === 0) return word;
  const pick = run >= 2 && ONSETS.has(stem.slice(-2).toLowerCase()) ? 2 : run >= 3 && ONSETS.has(stem.slice(-3).toLowerCase()) ? 3 : 1;
  return stem.slice(-pick) + stem.slice(0, -pick);
}

/** The image of `word` under reading `id` (`id` 1..25: each letter moved forward by `id`). */
export function readImage(word: string, id: number): string {
  if (id === READ_REVERSED) return [...word].reverse().join("");
  if (id === READ_PIG_LATIN) return pigLatin(word);
  let out = "";
  for (let i = 0; i < word.length; i++) out += String.fromCharCode(97 + ((word.charCodeAt(i) - 97 + id) % 26));
  return out;
}

/** Longest prefix of a text that an extra reading covers (bounds the work and the view). */
export const READING_MAX = 4096;

/** Undoes a Caesar shift by `id` on ASCII letters, keeping case. */
function unshift(text: string, id: number): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 97 && c <= 122) out += String.fromCharCode(97 + ((c - 97 + 26 - id) % 26));
    else if (c >= 65 && c <= 90) out += String.fromCharCode(65 + ((c - 65 + 26 - id) % 26));
    else out += text[i];
  }
  return out;
}

const MORSE: Readonly<Record<string, string>> = {
  ".-": "a", "-...": "b", "-.-.": "c", "-..": "d", ".": "e", "..-.": "f", "--.": "g", "....": "h", "..": "i", ".---": "j",
  "-.-": "k", ".-..": "l", "--": "m", "-.": "n", "---": "o", ".--.": "p", "--.-": "q", ".-.": "r", "...": "s", "-": "t",
  "..-": "u", "...-": "v", ".--": "w", "-..-": "x", "-.--": "y", "--..": "z", "-----": "0", ".----": "1", "..---": "2",
  "...--": "3", "....-": "4", ".....": "5", "-....": "6", "--...": "7", "---..": "8", "----.": "9", ".-.-.-": ".",
  "--..--": ",", "..--..": "?", ".----.": "'", "-.-.--": "!", "-..-.": "/", "-.--.": "(", "-.--.-": ")", "---...": ":",
  "-.-.-.": ";", "-...-": "=", "-....-": "-", ".-..-.": '"',
};

const MORSE_TOKEN = /^[.-]{1,7}$/;

/**
 * Morse code, letters separated by spaces and words by "/" (or "|", or several spaces), read as
 * text; other tokens (a wrapper such as "Decode this:") are kept. Null when fewer than half of
 * the tokens are Morse letters: dashed rules, ellipses and table borders are no Morse.
 */
function morse(text: string): string | null {
  const tokens = text.slice(0, READING_MAX).split(/(\s+)/);
  let letters = 0;
  let words = 0;
  for (const t of tokens) {
    if (t === "" || /^\s+$/.test(t) || t === "/" || t === "|") continue;
    words++;
    if (MORSE_TOKEN.test(t)) letters++;
  }
  if (letters < 8 || 2 * letters < words) return null;
  let out = "";
  for (const t of tokens) {
    if (t === "") continue;
    if (/^\s+$/.test(t)) {
      if (t.length >= 2 || t.includes("\n")) out += " ";
      continue;
    }
    if (t === "/" || t === "|") out += " ";
    else if (MORSE_TOKEN.test(t) || MORSE[t] !== undefined) out += MORSE[t] ?? "?";
    else out += ` ${t} `;
  }
  return out;
}

/** A run of at least three humps ("ignoreAllPrevious", "IgnoreAllPreviousInstructions"). */
const CAMEL_RUN = /[A-Za-z][a-z]+(?:[A-Z][a-z]+){2,}/g;

/**
 * camelCase / PascalCase prose split into words. Null unless such runs hold at least 40 % of
 * the letters: a program's identifiers ("getElementById") are a small share of its text, and
 * base64 rarely has three capitalised lower-case syllables in a row.
 */
function camel(text: string): string | null {
  const head = text.slice(0, READING_MAX);
  let inRuns = 0;
  for (const m of head.matchAll(CAMEL_RUN)) inRuns += m[0].length;
  if (inRuns < 24) return null;
  let letters = 0;
  for (let i = 0; i < head.length; i++) {
    const c = head.charCodeAt(i) | 0x20;
    if (c >= 97 && c <= 122) letters++;
  }
  if (inRuns * 5 < letters * 2) return null;
  return head.replace(/([a-z])(?=[A-Z])|([.,!?;:])(?=[A-Za-z])/g, "$1$2 ");
}

/** Morse characters (".", "-") in the scanned view before a Morse reading is tried. */
const MORSE_MIN = 24;

/**
 * The extra reading for `text`, from the statistics of the scan just run on its view, or ""
 * when it does not look encoded. `skipNamed`: the view already holds the ROT13 and reversed
 * readings (the text names them), so those two are not appended again.
 */
export function extraReading(text: string, stats: ReadingStats, skipNamed: boolean): string {
  let out = "";
  // Caesar shift, reversal or pig Latin: the reading with the most common-word hits, if it has
  // at least two and more than the text as written (an English wrapper around a short payload counts
  // against it; a shifted text has next to no plain common words).
  const hits = stats.hits;
  let best = 0;
  for (let id = 1; id < READINGS; id++) if (hits[id]! > hits[best]!) best = id;
  if (best !== 0 && hits[best]! >= 2 && !(skipNamed && (best === 13 || best === READ_REVERSED))) {
    const head = text.slice(0, READING_MAX);
    out += "\n" + (best === READ_REVERSED ? Array.from(head).reverse().join("") : best === READ_PIG_LATIN ? head.replace(/[A-Za-z]+/g, unPigWord) : unshift(head, best));
  }
  if (stats.morseChars >= MORSE_MIN && 3 * stats.morseChars >= stats.length) {
    const m = morse(text);
    if (m !== null) out += "\n" + m;
  }
  if (stats.longWords > 0) {
    const c = camel(text);
    if (c !== null) out += "\n" + c;
  }
  return out;
}

/** What the scan counted for `extraReading` (./features.ts fills it). */
export interface ReadingStats {
  /** Per reading id: words of the text that are a common English word (READ_WORDS) read that way. */
  hits: Int32Array;
  /** "." and "-" characters. */
  morseChars: number;
  /** Words of 16 letters or more (a camelCase sentence is one long word once folded). */
  longWords: number;
  /** Length of the scanned view. */
  length: number;
}

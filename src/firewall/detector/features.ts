/**
 * Feature extraction shared by training (scripts/train-detector.ts) and scoring (./index.ts), so
 * the two cannot drift apart. One linear pass over the folded view of a text writes feature
 * events into module-scope buffers, block by block (`BLOCK` characters):
 * - hashed character 3- and 5-grams (whitespace collapsed, digits as "0", runs capped at 3);
 * - hashed word unigrams and bigrams;
 * - dense counts: the word classes of ./lexicon.ts, class pairs and triples close together, an AI addressed
 *   at the start of a sentence ("Assistant, ..."), sentence-initial override verbs, role tags,
 *   markdown images, and the structure of documents (pipes, tags, braces, lines, "key:" headers);
 * - gibberish: the worst stretch under a character-bigram model of benign text.
 * A window is two adjacent blocks; the model scores every window and keeps the highest score,
 * so an instruction hidden in a long document is not diluted by the text around it.
 * Every loop is linear; nothing allocates per character.
 */
import { CLASSES, PAIRS, SUBSTRINGS, TRIPLES, WORDS } from "./lexicon";
import { READINGS, READ_COLLISIONS, READ_WORDS, readImage, type ReadingStats } from "./readings";

export const HASH_BITS = 17;
export const BUCKETS = 1 << HASH_BITS;
/**
 * Characters of the folded view per block; a window is two blocks (256 characters). Shorter
 * windows than the earlier 512 leave less of a document's scaffolding around a hidden
 * instruction, so the model learns the instruction rather than the document it came in
 * (leave-one-source-out: 128 beat 256 and 64; docs/model-card.md).
 */
export const BLOCK = 128;

const N_CLASSES = CLASSES.length;
/** Dense count features: classes, pairs, then the extras below. */
export const F_PAIR = N_CLASSES;
/** Class triples (./lexicon.ts TRIPLES): the override and extraction phrases as a whole. */
export const F_TRIPLE = F_PAIR + PAIRS.length;
export const F_ADDRESS = F_TRIPLE + TRIPLES.length;
export const F_LEAD_VERB = F_ADDRESS + 1;
export const F_STRUCT = F_LEAD_VERB + 1;
export const F_LINES = F_STRUCT + 1;
export const F_HEADERS = F_LINES + 1;
/** "system:", "[inst]", "<|assistant|>", "=== system update ===": a role or notice tag. */
export const F_ROLE_TAG = F_HEADERS + 1;
/** "![": a markdown image, the usual way to exfiltrate data through a rendered answer. */
export const F_IMAGE = F_ROLE_TAG + 1;
export const DENSE_COUNTS = F_IMAGE + 1;
/** Window-level values computed from the counts: gibberish hinges, document x attack. */
export const F_GIB1 = DENSE_COUNTS;
export const F_GIB2 = F_GIB1 + 1;
export const F_DOC_ATTACK = F_GIB2 + 1;
export const F_ANY_PAIR = F_DOC_ATTACK + 1;
/**
 * Persuasive framing (role-play, "no disclaimers", "step by step", "you must") with and without
 * a harmful subject in the same window: the framing alone is common in benign role-play, and a
 * linear model over n-grams cannot express "framing matters only with a harmful ask" by itself.
 */
export const F_FRAME_HARM = F_ANY_PAIR + 1;
export const F_FRAME_ONLY = F_FRAME_HARM + 1;
export const DENSE = F_FRAME_ONLY + 1;

/** Pairs that mark an instruction aimed at the model rather than at the reader. */
const ATTACK_PAIRS = PAIRS.flatMap(([a, b], i) =>
  ["IGNORE", "REVEAL", "SYSTEM", "NOW", "NEW", "SUMM", "ATTN", "STEALTH", "TOOL", "INSTEAD"].includes(a) ||
  ["INSTR", "NOW", "SUMM", "AI", "IGNORE", "STEALTH", "TOOL", "REVOKE"].includes(b) ? [i] : []);

const CLASS_BIT: Readonly<Record<string, number>> = Object.fromEntries(CLASSES.map((c, i) => [c, 1 << i]));
const LEAD_MASK = CLASS_BIT.IGNORE! | CLASS_BIT.REVEAL! | CLASS_BIT.ROLE!;
const TAG_MASK = CLASS_BIT.SYSTEM! | CLASS_BIT.AI! | CLASS_BIT.ATTN! | CLASS_BIT.INSTR!;
const AI_BIT = CLASS_BIT.AI!;
const HARM_C = CLASSES.indexOf("HARM");
const FRAME_C = (["ROLE", "JB", "REFUSE", "DETAIL", "MUST"] as const).map((c) => CLASSES.indexOf(c));

// ---------------------------------------------------------------------------------------------
// Buffers (per isolate, grown on demand).

/** Feature events: hashed bucket (< BUCKETS) or BUCKETS + dense count index. */
export let EV = new Int32Array(1 << 16);
/** `MARKS[k]`: events before block k; `MARKS[blocks]`: all events. */
export let MARKS = new Int32Array(1 << 10);
export let evLength = 0;
export let blocks = 0;

/**
 * Scoring mode (weights given to `scan`): instead of events, per block the sums of both heads'
 * int8 weights and the hashed-event count (SUMS, 3 per block), and the dense counts
 * (COUNTS, DENSE_COUNTS per block). Saves writing and re-reading three events per character.
 */
let Q: Int8Array | null = null;
export let SUMS = new Float64Array(3 << 8);
export let COUNTS = new Float32Array(DENSE_COUNTS << 8);
let acc0 = 0;
let acc1 = 0;
let accN = 0;
let curBlock = 0;

function growEvents(): void {
  const next = new Int32Array(EV.length * 2);
  next.set(EV);
  EV = next;
}

function mark(k: number): void {
  if (k >= MARKS.length) {
    const next = new Int32Array(Math.max(k + 1, MARKS.length * 2));
    next.set(MARKS);
    MARKS = next;
  }
  MARKS[k] = evLength;
}

// ---------------------------------------------------------------------------------------------
// Hashing: FNV-style multiply-xor on char codes, then a Fibonacci mix down to HASH_BITS.

const M = 0x01000193;
const SEED_WORD = 0x2545f491;
const SEED_BIGRAM = 0x68e31da4;

function bucket(h: number): number {
  return Math.imul(h ^ (h >>> 15), 0x9e3779b1) >>> (32 - HASH_BITS);
}

// ---------------------------------------------------------------------------------------------
// Lexicon table: open addressing on 32-bit word hashes. Keys carry a tag: exact word or prefix.

const TABLE_BITS = 13;
const KEYS = new Int32Array(1 << TABLE_BITS);
const VALS = new Int32Array(1 << TABLE_BITS);
/**
 * Table bit of the common words and their shifted, reversed and pig-Latin images (./readings.ts), above
 * every class bit; READ_OF holds the entry's reading id + 1.
 */
const READ_BIT = 1 << 30;
const CLASS_MASK = READ_BIT - 1;
const READ_OF = new Uint8Array(1 << TABLE_BITS);
/** Slot of the last `tableGet` hit. */
let slot = 0;
/** Prefilter: the hash of a word's first three characters, for prefix entries. */
const PREFIX3 = new Uint8Array(1 << 12);
const MAX_PREFIX = 14;
let lexiconReady = false;

const EXACT = 0x5bd1e995;
const PREFIX = 0x1b873593;
const PHRASE = 0x27d4eb2f;

/** Table key of a word hash, tagged by the kind of entry (EXACT, PREFIX or PHRASE). */
function tableKey(h: number, tag: number): number {
  return Math.imul(h ^ tag, 0x85ebca6b) | 1;
}

function phraseHash(first: number, second: number): number {
  return Math.imul(first ^ SEED_BIGRAM, M) ^ second;
}

function tableGet(key: number): number {
  const mask = KEYS.length - 1;
  for (let i = key & mask; ; i = (i + 1) & mask) {
    const k = KEYS[i]!;
    if (k === key) {
      slot = i;
      return VALS[i]!;
    }
    if (k === 0) return 0;
  }
}

function tablePut(key: number, bits: number): void {
  const mask = KEYS.length - 1;
  for (let i = key & mask; ; i = (i + 1) & mask) {
    const k = KEYS[i]!;
    if (k === key || k === 0) {
      KEYS[i] = key;
      VALS[i] = VALS[i]! | bits;
      slot = i;
      return;
    }
  }
}

function wordHashOf(s: string, len: number): number {
  let h = SEED_WORD;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ s.charCodeAt(i), M);
  return h;
}

interface Substring {
  text: string;
  bits: number;
}
let SUBS: Substring[] = [];
/** Indexes of SUBS by first code unit, ascending, so one pass over the text finds every hit. */
let SUBS_BY_FIRST = new Map<number, number[]>();
/** 1 for the code units some entry of SUBS starts with (a cheaper test than the map). */
const SUB_FIRST = new Uint8Array(0x10000);
/** Per entry of SUBS: where its next hit may start (hits of one entry do not overlap). */
let SUB_NEXT = new Int32Array(0);

/**
 * Builds the lexicon tables once per isolate. `fold` is the detector's own normaliser, so
 * entries are compared in the same form as the text ("Anweisungen" and "ANWEISUNGEN" meet).
 */
export function initLexicon(fold: (s: string) => string): void {
  if (lexiconReady) return;
  for (const cls of CLASSES) {
    const bit = CLASS_BIT[cls]!;
    for (const raw of WORDS[cls].split(/\s+/)) {
      if (raw === "") continue;
      if (raw.includes("_")) {
        const [a = "", b = ""] = raw.split("_").map(fold);
        tablePut(tableKey(phraseHash(wordHashOf(a, a.length), wordHashOf(b, b.length)), PHRASE), bit);
        continue;
      }
      const prefix = raw.endsWith("*");
      const word = fold(prefix ? raw.slice(0, -1) : raw);
      if (prefix && word.length >= 3) {
        const len = Math.min(word.length, MAX_PREFIX);
        tablePut(tableKey(wordHashOf(word, len), PREFIX), bit);
        PREFIX3[wordHashOf(word, 3) >>> 20] = 1;
      } else {
        tablePut(tableKey(wordHashOf(word, word.length), EXACT), bit);
      }
    }
  }
  const subs: Substring[] = [];
  for (const cls of CLASSES) {
    for (const raw of (SUBSTRINGS[cls] ?? "").split(/\s+/)) {
      if (raw !== "") subs.push({ text: fold(raw), bits: CLASS_BIT[cls]! });
    }
  }
  SUBS = subs;
  SUBS_BY_FIRST = new Map();
  subs.forEach((sub, k) => {
    const first = sub.text.charCodeAt(0);
    SUB_FIRST[first] = 1;
    const list = SUBS_BY_FIRST.get(first);
    if (list === undefined) SUBS_BY_FIRST.set(first, [k]);
    else list.push(k);
  });
  SUB_NEXT = new Int32Array(subs.length);
  // Common words first (reading 0), then their images; an image that is already an entry of
  // the readings (a common word, or another reading's image) is left out, so a hit is never
  // counted for two readings.
  const seen = new Set<string>();
  for (let id = 0; id < READINGS; id++) {
    for (const word of READ_WORDS) {
      const image = id === 0 ? word : readImage(word, id);
      if (seen.has(image) || READ_COLLISIONS.has(image)) continue;
      seen.add(image);
      tablePut(tableKey(wordHashOf(image, image.length), EXACT), READ_BIT);
      READ_OF[slot] = id + 1;
    }
  }
  lexiconReady = true;
}

// ---------------------------------------------------------------------------------------------
// The scan.

/** Kinds of character, by code below 0x80: 1 letter or digit, 2 space, 3 newline, 4 structure, 5 sentence end. */
const KIND = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[a-z0-9]/i.test(ch)) KIND[c] = 1;
  else if (c === 10) KIND[c] = 3;
  else if (c === 9 || c === 11 || c === 12 || c === 13 || c === 32) KIND[c] = 2;
  else if ("|<>{}[]`#".includes(ch)) KIND[c] = 4;
  else if (".!?;:\"'()*-".includes(ch)) KIND[c] = 5;
}

/** Letters of scripts written without spaces: one character is one word. */
function isIdeograph(c: number): boolean {
  return (c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff);
}

/** Scripts whose attacks the substring lexicon covers. */
function needsSubstrings(c: number): boolean {
  return isIdeograph(c) || (c >= 0xac00 && c <= 0xd7af) || (c >= 0x0600 && c <= 0x06ff) || (c >= 0x0900 && c <= 0x097f);
}

function isWordCode(c: number): boolean {
  if (c < 0x80) return KIND[c] === 1;
  if (c < 0xc0) return false;
  if (c >= 0x2000 && c <= 0x2bff) return false; // punctuation, arrows, symbols, boxes
  if (c >= 0x3000 && c <= 0x303f) return false; // CJK punctuation
  if (c >= 0xd800 && c <= 0xdfff) return false;
  if (c >= 0xff00 && c <= 0xffef) return false;
  return true;
}

function push(idx: number): void {
  if (evLength === EV.length) growEvents();
  EV[evLength++] = idx;
}

/** A dense count event in the current block. */
function dense(d: number): void {
  if (Q !== null) COUNTS[curBlock * DENSE_COUNTS + d]! += 1;
  else push(BUCKETS + d);
}

/** A hashed event outside the character loop (words). */
function hashed(idx: number): void {
  if (Q !== null) {
    acc0 += Q[2 * idx]!;
    acc1 += Q[2 * idx + 1]!;
    accN++;
  } else push(idx);
}

const LAST_SEEN = new Int32Array(N_CLASSES);
const PREFIX_H = new Int32Array(MAX_PREFIX + 1);
const PAIR_A = PAIRS.map(([a]) => CLASS_BIT[a]!);
const PAIR_B = PAIRS.map(([, b]) => CLASS_BIT[b]!);
const PAIR_D = PAIRS.map(([, , d]) => d);
const maskOf = (cs: readonly string[]): number => cs.reduce((m, c) => m | CLASS_BIT[c]!, 0);
const TRIPLE_M = TRIPLES.map(([a, b, c]) => [CLASS_BIT[a]!, maskOf(b), maskOf(c)] as const);
const TRIPLE_D = TRIPLES.map(([, , , d]) => d);

/** Whether some class of `mask` was seen at word `from` or later. */
function seenSince(mask: number, from: number): boolean {
  for (let m = mask; m !== 0; m &= m - 1) if (LAST_SEEN[31 - Math.clz32(m & -m)]! >= from) return true;
  return false;
}

/** Dense events for a word (or substring hit) of class `bits` at word position `w`. */
function classEvents(bits: number, w: number): void {
  for (let p = 0; p < PAIR_A.length; p++) {
    const a = PAIR_A[p]!;
    const b = PAIR_B[p]!;
    const d = PAIR_D[p]!;
    if ((bits & b) !== 0 && LAST_SEEN[31 - Math.clz32(a)]! >= w - d && (bits & a) === 0) dense(F_PAIR + p);
    else if ((bits & a) !== 0 && LAST_SEEN[31 - Math.clz32(b)]! >= w - d && (bits & b) === 0) dense(F_PAIR + p);
  }
  // A triple completes at this word: the word holds one or two of its parts, earlier words
  // within the distance hold the rest.
  for (let t = 0; t < TRIPLE_M.length; t++) {
    const [a, b, c] = TRIPLE_M[t]!;
    if ((bits & (a | b | c)) === 0) continue;
    const from = w - TRIPLE_D[t]!;
    const ha = (bits & a) !== 0;
    const hb = (bits & b) !== 0;
    const hc = (bits & c) !== 0;
    if (ha && hb && hc) continue;
    if ((ha || seenSince(a, from)) && (hb || seenSince(b, from)) && (hc || seenSince(c, from))) dense(F_TRIPLE + t);
  }
  for (let c = 0; c < N_CLASSES; c++) {
    if ((bits & (1 << c)) !== 0) {
      dense(c);
      LAST_SEEN[c] = w;
    }
  }
}

let prevWord = 0;

/** What the last `scan` counted for ./readings.ts (`extraReading`). */
const READ_HITS = new Int32Array(READINGS);
export const READ_STATS: ReadingStats = { hits: READ_HITS, morseChars: 0, longWords: 0, length: 0 };
let longWords = 0;

/**
 * Ends a word: unigram and bigram buckets, lexicon classes, addressed-AI and lead-verb events.
 * `lead`: the word started a sentence; `next`: the character after it.
 */
function endWord(wh: number, wlen: number, next: number, lead: boolean, w: number): void {
  const bigram = phraseHash(prevWord, wh);
  hashed(bucket(wh));
  hashed(bucket(bigram));
  prevWord = wh;
  if (wlen >= 16) longWords++;
  let bits = tableGet(tableKey(wh, EXACT));
  if ((bits & READ_BIT) !== 0) READ_HITS[READ_OF[slot]! - 1]!++;
  bits = (bits | tableGet(tableKey(bigram, PHRASE))) & CLASS_MASK;
  if (wlen >= 3 && PREFIX3[PREFIX_H[3]! >>> 20] === 1) {
    const top = Math.min(wlen, MAX_PREFIX);
    for (let L = 3; L <= top; L++) bits |= tableGet(tableKey(PREFIX_H[L]!, PREFIX));
    bits &= CLASS_MASK;
  }
  if (bits === 0) return;
  classEvents(bits, w);
  if ((bits & AI_BIT) !== 0 && (lead || next === 58 || next === 44)) dense(F_ADDRESS);
  if (lead && (bits & LEAD_MASK) !== 0) dense(F_LEAD_VERB);
  if ((bits & TAG_MASK) !== 0 && (next === 58 || next === 93 || next === 62 || next === 124 || next === 61)) dense(F_ROLE_TAG);
}

function growBlocks(nb: number): void {
  if (SUMS.length < 3 * nb) SUMS = new Float64Array(6 * nb);
  if (COUNTS.length < DENSE_COUNTS * nb) COUNTS = new Float32Array(2 * DENSE_COUNTS * nb);
}

/**
 * Scans `codes[0, n)` (the folded view); returns the number of blocks. Without `q` it fills
 * EV and MARKS (training); with `q` (interleaved int8 weights of both heads) it fills SUMS and
 * COUNTS (scoring). `text` is the view as a string when substring matching may be needed, or
 * a function that returns it (called only when the scan met a script the substrings cover).
 */
export function scan(codes: Uint16Array, n: number, text: string | null | (() => string | null), q: Int8Array | null = null, lm: Uint8Array | null = null): number {
  Q = q;
  const nb = Math.max(1, Math.ceil(n / BLOCK));
  if (GIB.length < nb) GIB = new Float32Array(Math.max(nb, GIB.length * 2));
  // Gibberish state (see `gibberish`, which computes the same values for training).
  const ring = RING;
  let gPrev = 27;
  let gSum = 0;
  let gCount = 0;
  let gSlot = 0;
  let gBest = 0;
  if (q !== null) {
    growBlocks(nb);
    COUNTS.fill(0, 0, DENSE_COUNTS * nb);
  }
  evLength = 0;
  prevWord = 0;
  acc0 = acc1 = accN = 0;
  curBlock = 0;
  LAST_SEEN.fill(-1 << 20);
  READ_HITS.fill(0);
  longWords = 0;
  let morseChars = 0;
  mark(0);
  let nextMark = BLOCK;
  // Last five codes of the n-gram stream, p1 the newest.
  let p1 = 32, p2 = 32, p3 = 32, p4 = 32, p5 = 32;
  let run = 0;
  let wlen = 0;
  let wh = SEED_WORD;
  let words = 0;
  let sentenceStart = true;
  let lead = true;
  let lineChars = 0;
  let special = false;
  let s0 = 0;
  let s1 = 0;
  let sn = 0;
  let ev = EV;
  for (let i = 0; i < n; i++) {
    if (i === nextMark) {
      GIB[curBlock] = gBest / (GIB_SPAN * LM_SCALE);
      gBest = 0;
      if (q !== null) {
        SUMS[3 * curBlock] = s0 + acc0;
        SUMS[3 * curBlock + 1] = s1 + acc1;
        SUMS[3 * curBlock + 2] = sn + accN;
        s0 = s1 = sn = acc0 = acc1 = accN = 0;
      }
      mark(++curBlock);
      nextMark += BLOCK;
    }
    let c = codes[i]!;
    const kind = c < 0x80 ? KIND[c]! : 0;
    if (lm !== null) {
      const g = c < 128 ? LM_CLASS[c]! : lmClass(c);
      if (g !== 27 || gPrev !== 27) {
        const sv = lm[(gPrev << 6) | g]!;
        gPrev = g;
        gSum += sv - ring[gSlot]!;
        ring[gSlot] = sv;
        gSlot = gSlot === GIB_SPAN - 1 ? 0 : gSlot + 1;
        if (++gCount >= GIB_SPAN && gSum > gBest) gBest = gSum;
      }
    }
    if (kind === 1 || (kind === 0 && isWordCode(c))) {
      if (kind === 0 && isIdeograph(c)) {
        special = true;
        if (wlen > 0) endWord(wh, wlen, c, lead, words++);
        endWord(Math.imul(SEED_WORD ^ c, M), 1, c, false, words++);
        wlen = 0;
        wh = SEED_WORD;
        sentenceStart = false;
      } else {
        if (wlen === 0) {
          lead = sentenceStart;
          sentenceStart = false;
          if (kind === 0 && needsSubstrings(c)) special = true;
        }
        wh = Math.imul(wh ^ c, M);
        wlen++;
        if (wlen <= MAX_PREFIX) PREFIX_H[wlen] = wh;
      }
    } else {
      if (wlen > 0) {
        endWord(wh, wlen, c, lead, words++);
        wlen = 0;
        wh = SEED_WORD;
      }
      if (kind === 5 || kind === 3) {
        sentenceStart = true;
        if (c === 46 || c === 45) morseChars++;
      }
      if (kind === 3) {
        dense(F_LINES);
        lineChars = 0;
      } else if (kind === 4) {
        dense(F_STRUCT);
        if (c === 91 && i > 0 && codes[i - 1] === 33) dense(F_IMAGE);
      }
      else if (c === 58 && lineChars < 24) dense(F_HEADERS);
    }
    if (kind !== 3) lineChars++;
    // Character n-grams.
    if (kind === 2 || kind === 3 || c === 0xa0) c = 32;
    else if (c >= 48 && c <= 57) c = 48;
    if (c === p1) {
      if (c === 32 || ++run >= 3) continue;
    } else run = 0;
    p5 = p4;
    p4 = p3;
    p3 = p2;
    p2 = p1;
    p1 = c;
    const h3 = Math.imul(Math.imul(Math.imul(0x3b ^ p3, M) ^ p2, M) ^ p1, M);
    const h5 = Math.imul(Math.imul(Math.imul(h3 ^ 0x5d, M) ^ p4, M) ^ p5, M);
    const b3 = Math.imul(h3 ^ (h3 >>> 15), 0x9e3779b1) >>> (32 - HASH_BITS);
    const b5 = Math.imul(h5 ^ (h5 >>> 15), 0x9e3779b1) >>> (32 - HASH_BITS);
    if (q !== null) {
      s0 += q[2 * b3]! + q[2 * b5]!;
      s1 += q[2 * b3 + 1]! + q[2 * b5 + 1]!;
      sn += 2;
    } else {
      if (evLength + 2 > ev.length) {
        growEvents();
        ev = EV;
      }
      ev[evLength++] = b3;
      ev[evLength++] = b5;
    }
  }
  if (wlen > 0) endWord(wh, wlen, 32, lead, words++);
  READ_STATS.morseChars = morseChars;
  READ_STATS.longWords = longWords;
  READ_STATS.length = n;
  GIB[curBlock] = gBest / (GIB_SPAN * LM_SCALE);
  if (gCount > 0 && gCount < GIB_SPAN && gCount >= 8) GIB[0] = gSum / (gCount * LM_SCALE);
  ring.fill(0);
  if (q !== null) {
    SUMS[3 * curBlock] = s0 + acc0;
    SUMS[3 * curBlock + 1] = s1 + acc1;
    SUMS[3 * curBlock + 2] = sn + accN;
  }
  blocks = curBlock + 1;
  mark(blocks);
  if (special) {
    const str = typeof text === "function" ? text() : text;
    if (str !== null) substringEvents(str);
  }
  return blocks;
}

const HITS: number[] = [];

/**
 * Substring lexicon hits, inserted as extra dense events into their blocks. The hits of each
 * entry are its leftmost non-overlapping occurrences (what repeated `indexOf` finds); they are
 * taken in order of position, then of entry, in one pass over the text rather than one
 * `indexOf` pass per entry.
 */
function substringEvents(text: string): void {
  HITS.length = 0;
  SUB_NEXT.fill(0);
  const n = text.length;
  for (let at = 0; at < n; at++) {
    const c = text.charCodeAt(at);
    if (SUB_FIRST[c] === 0) continue;
    for (const k of SUBS_BY_FIRST.get(c)!) {
      const s = SUBS[k]!;
      if (at >= SUB_NEXT[k]! && text.startsWith(s.text, at)) {
        HITS.push(at, s.bits);
        SUB_NEXT[k] = at + s.text.length;
      }
    }
  }
  if (HITS.length === 0) return;
  if (Q !== null) {
    // Scoring: add the hits' counts to their blocks directly.
    LAST_SEEN.fill(-1 << 20);
    for (let i = 0; i < HITS.length; i += 2) {
      curBlock = Math.min(Math.floor(HITS[i]! / BLOCK), blocks - 1);
      classEvents(HITS[i + 1]!, Math.floor(HITS[i]! / 4));
    }
    return;
  }
  // Collect the new events per block, then rebuild EV with them appended to their blocks.
  const extra: number[][] = [];
  const saveLen = evLength;
  LAST_SEEN.fill(-1 << 20);
  for (let i = 0; i < HITS.length; i += 2) {
    const pos = HITS[i]!;
    const k = Math.min(Math.floor(pos / BLOCK), blocks - 1);
    const start = evLength;
    classEvents(HITS[i + 1]!, Math.floor(pos / 4));
    (extra[k] ??= []).push(...EV.subarray(start, evLength));
    evLength = start;
  }
  evLength = saveLen;
  const old = EV.slice(0, evLength);
  const oldMarks = MARKS.slice(0, blocks + 1);
  evLength = 0;
  for (let k = 0; k < blocks; k++) {
    mark(k);
    for (let e = oldMarks[k]!; e < oldMarks[k + 1]!; e++) push(old[e]!);
    for (const x of extra[k] ?? []) push(x);
  }
  mark(blocks);
}

// ---------------------------------------------------------------------------------------------
// Gibberish: a character-bigram language model over 64 classes, trained on benign text. The
// worst 24-character stretch of a block (mean surprise in bits) is the block's value: optimised
// adversarial suffixes ("describing.\ + similarlyNow write oppositeley.]( Me giving**ONE") are
// improbable character sequences, while prose, code and foreign scripts are not.

export const LM_CLASSES = 64; // the table index is (prev << 6) | next
export const GIB_SPAN = 24;
/** Surprise table entries are bits x 16, in a byte. */
export const LM_SCALE = 16;

const LM_CLASS = new Uint8Array(128);
{
  const punct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
  for (let c = 0; c < 128; c++) {
    if (c >= 97 && c <= 122) LM_CLASS[c] = c - 97;
    else if (c >= 65 && c <= 90) LM_CLASS[c] = c - 65;
    else if (c >= 48 && c <= 57) LM_CLASS[c] = 26;
    else if (c === 32 || c === 9 || c === 10 || c === 13) LM_CLASS[c] = 27;
    else {
      const p = punct.indexOf(String.fromCharCode(c));
      LM_CLASS[c] = p >= 0 ? 28 + p : 63;
    }
  }
}

export function lmClass(c: number): number {
  if (c < 128) return LM_CLASS[c]!;
  if (c === 0xa0) return 27;
  return isWordCode(c) ? 61 : 62;
}

/** Bigram counts of `codes[0, n)` added to `counts` (LM_CLASSES^2), for training. */
export function countBigrams(codes: Uint16Array, n: number, counts: Float64Array): void {
  let prev = 27;
  for (let i = 0; i < n; i++) {
    const c = lmClass(codes[i]!);
    if (c === 27 && prev === 27) continue;
    counts[prev * LM_CLASSES + c]! += 1;
    prev = c;
  }
}

export let GIB = new Float32Array(1 << 10);
const RING = new Uint16Array(GIB_SPAN);

/** Per block: the highest mean surprise over GIB_SPAN characters (bits). Fills GIB[0, blocks). */
export function gibberish(codes: Uint16Array, n: number, lm: Uint8Array, nBlocks: number): void {
  if (GIB.length < nBlocks) GIB = new Float32Array(Math.max(nBlocks, GIB.length * 2));
  const gib = GIB;
  gib.fill(0, 0, nBlocks);
  const ring = RING;
  let prev = 27;
  let sum = 0;
  let count = 0;
  let slot = 0;
  let blockEnd = BLOCK;
  let k = 0;
  let best = 0; // of block k, in table units x GIB_SPAN
  for (let i = 0; i < n; i++) {
    if (i === blockEnd) {
      gib[k] = best / (GIB_SPAN * LM_SCALE);
      best = 0;
      k++;
      blockEnd += BLOCK;
    }
    const code = codes[i]!;
    const c = code < 128 ? LM_CLASS[code]! : lmClass(code);
    if (c === 27 && prev === 27) continue;
    const s = lm[(prev << 6) | c]!;
    prev = c;
    sum += s - ring[slot]!;
    ring[slot] = s;
    slot = slot === GIB_SPAN - 1 ? 0 : slot + 1;
    if (++count >= GIB_SPAN && sum > best) best = sum;
  }
  gib[k] = best / (GIB_SPAN * LM_SCALE);
  if (count > 0 && count < GIB_SPAN && count >= 8) gib[0] = sum / (count * LM_SCALE);
  ring.fill(0);
}

// ---------------------------------------------------------------------------------------------
// Window values.

export interface DenseParams {
  /** Gibberish hinge points (bits per character). */
  gib1: number;
  gib2: number;
}

/** log2(1 + c) for the counts below 15 (counts are whole numbers; from 15 on the value is capped at 4). */
const LOG_COUNT = Float32Array.from({ length: 15 }, (_, c) => Math.min(Math.log2(1 + c), 4));

/**
 * The dense feature values of one window from its raw counts. `out` has DENSE entries.
 * Counts are compressed (log2(1 + c), at most 4) so that a long template cannot win on volume.
 */
export function denseValues(counts: Float32Array, gib: number, p: DenseParams, out: Float32Array): void {
  for (let d = 0; d < DENSE_COUNTS; d++) {
    const c = counts[d]!;
    out[d] = c < 15 ? LOG_COUNT[c]! : 4;
  }
  out[F_GIB1] = Math.max(0, gib - p.gib1);
  out[F_GIB2] = Math.max(0, gib - p.gib2);
  let attack = counts[F_ADDRESS]!;
  let any = 0;
  for (const q of ATTACK_PAIRS) {
    attack += counts[F_PAIR + q]!;
    if (counts[F_PAIR + q]! > 0) any = 1;
  }
  for (let t = 0; t < TRIPLES.length; t++) {
    attack += counts[F_TRIPLE + t]!;
    if (counts[F_TRIPLE + t]! > 0) any = 1;
  }
  const doc = Math.min(1, (counts[F_STRUCT]! + counts[F_LINES]! + counts[F_HEADERS]!) / 12);
  out[F_DOC_ATTACK] = doc * Math.min(attack, 3);
  out[F_ANY_PAIR] = any;
  let frame = 0;
  for (const c of FRAME_C) frame += counts[c]!;
  const f = frame < 15 ? LOG_COUNT[frame]! : 4;
  const harm = counts[HARM_C]! > 0;
  out[F_FRAME_HARM] = harm ? f : 0;
  out[F_FRAME_ONLY] = harm ? 0 : f;
}

/** Windows of a scan with `nBlocks` blocks: window k covers blocks k and k + 1. */
export function windowCount(nBlocks: number): number {
  return nBlocks <= 2 ? 1 : nBlocks - 1;
}

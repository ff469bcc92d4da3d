/**
 * uint32 -> int32 map with open addressing in typed arrays. The word and answer hashes the
 * intake signals count are uint32; half of them are outside V8's small-integer range, so a
 * `Map<number, number>` boxes each key on the heap, and a 50 MB file counts millions of them.
 */
export class IntMap {
  private keys: Uint32Array;
  private values: Int32Array;
  /** 1 where a slot is taken (0 is a valid key). */
  private used: Uint8Array;
  size = 0;

  constructor(capacity = 1024) {
    const n = 1 << Math.ceil(Math.log2(Math.max(16, capacity * 2)));
    this.keys = new Uint32Array(n);
    this.values = new Int32Array(n);
    this.used = new Uint8Array(n);
  }

  private slot(key: number): number {
    const mask = this.keys.length - 1;
    let i = (Math.imul(key, 0x9e3779b1) >>> 0) & mask;
    while (this.used[i] === 1 && this.keys[i] !== key) i = (i + 1) & mask;
    return i;
  }

  /** The value of `key`, or `missing`. */
  get(key: number, missing = -1): number {
    const i = this.slot(key);
    return this.used[i] === 1 ? this.values[i]! : missing;
  }

  set(key: number, value: number): void {
    let i = this.slot(key);
    if (this.used[i] === 0) {
      if (2 * (this.size + 1) > this.keys.length) {
        this.grow();
        i = this.slot(key);
      }
      this.used[i] = 1;
      this.keys[i] = key;
      this.size++;
    }
    this.values[i] = value;
  }

  /** Adds `delta` to the value of `key` (0 when absent); returns the new value. */
  add(key: number, delta: number): number {
    const v = this.get(key, 0) + delta;
    this.set(key, v);
    return v;
  }

  *entries(): IterableIterator<[number, number]> {
    for (let i = 0; i < this.keys.length; i++) if (this.used[i] === 1) yield [this.keys[i]!, this.values[i]!];
  }

  private grow(): void {
    const { keys, values, used } = this;
    const n = keys.length * 2;
    this.keys = new Uint32Array(n);
    this.values = new Int32Array(n);
    this.used = new Uint8Array(n);
    this.size = 0;
    for (let i = 0; i < keys.length; i++) if (used[i] === 1) this.set(keys[i]!, values[i]!);
  }
}

/** A copy of `a` with room for `n` elements (typed arrays of a growing index). */
export function grown<T extends Uint32Array | Int32Array | Uint8Array>(a: T, n: number): T {
  const b = new (a.constructor as new (length: number) => T)(n);
  b.set(a);
  return b;
}

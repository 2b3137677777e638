/**
 * Allocation-free pieces of the held-out check (held-out.ts): a hash table from token keys to
 * integers, in-place sorting of short ranges, and the intersection size of two sorted lists.
 */

/** Token keys are below 2^52: a pair is (a + 1) * keyBase + b with word ids a, b < keyBase / 2. */
export const keyBase = 2 ** 26;

/**
 * Token key to a non-negative integer, by open addressing in one typed array with each key beside
 * its value (one cache line per probe): a Map keyed by numbers above 2^31 would box every key.
 */
export class TokenTable {
  /** Slot i holds its key at 2i (-1 when empty) and its value at 2i + 1. */
  private slots: Float64Array;
  private mask: number;
  size = 0;

  constructor(expected: number) {
    let capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    this.slots = new Float64Array(capacity * 2).fill(-1);
    this.mask = capacity - 1;
  }

  /** The value for `key`, or -1. */
  get(key: number): number {
    for (let slot = slotOf(key) & this.mask; ; slot = (slot + 1) & this.mask) {
      const found = this.slots[slot * 2]!;
      if (found === key) return this.slots[slot * 2 + 1]!;
      if (found === -1) return -1;
    }
  }

  set(key: number, value: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    for (let slot = slotOf(key) & this.mask; ; slot = (slot + 1) & this.mask) {
      const found = this.slots[slot * 2]!;
      if (found === -1) {
        this.slots[slot * 2] = key;
        this.size++;
      } else if (found !== key) continue;
      this.slots[slot * 2 + 1] = value;
      return;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Float64Array(old.length * 2).fill(-1);
    this.mask = old.length - 1;
    this.size = 0;
    for (let at = 0; at < old.length; at += 2) if (old[at] !== -1) this.set(old[at]!, old[at + 1]!);
  }
}

/** Mixes both halves of a key into a slot number. */
function slotOf(key: number): number {
  const high = Math.floor(key / keyBase);
  const low = key - high * keyBase;
  return Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b) ^ (high >>> 7);
}

/** Sorts list[start, end) ascending in place: insertion sort for the short lists questions make. */
export function sortRange(list: Float64Array | Int32Array, start: number, end: number): void {
  if (end - start > 48) {
    list.subarray(start, end).sort();
    return;
  }
  for (let i = start + 1; i < end; i++) {
    const value = list[i]!;
    let j = i - 1;
    while (j >= start && list[j]! > value) {
      list[j + 1] = list[j]!;
      j--;
    }
    list[j + 1] = value;
  }
}

/** Size of the intersection of the ascending lists a[0, aLength) and b[bStart, bEnd). */
export function sharedCount(a: Int32Array, aLength: number, b: Int32Array, bStart: number, bEnd: number): number {
  let shared = 0;
  let i = 0;
  let j = bStart;
  while (i < aLength && j < bEnd) {
    if (a[i]! === b[j]!) {
      shared++;
      i++;
      j++;
    } else if (a[i]! < b[j]!) i++;
    else j++;
  }
  return shared;
}

/** A growable list of 32-bit integers. */
export class IntList {
  data = new Int32Array(1024);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const larger = new Int32Array(this.data.length * 2);
      larger.set(this.data);
      this.data = larger;
    }
    this.data[this.length++] = value;
  }
}

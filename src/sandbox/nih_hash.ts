/**
 * The order in which Upstart walks its job classes and a class's instances: libnih's `NihHash`
 * (`nih/hash.c`) of fixed size 17 (`nih_hash_string_new (parent, 0)` picks the first prime),
 * keyed by FNV-1 of the name, each bin a list appended to. `GetAllJobs`, `GetAllInstances` and
 * the jobs an event starts or stops all follow it, so the sandbox sorts by bin, keeping insertion
 * order within a bin (a `Map` keeps it too, and a re-added entry goes last, as in a bin's list).
 *
 * @module
 */

/** The number of bins of Upstart's job and instance tables. */
export const NIH_HASH_SIZE = 17;

const encoder = new TextEncoder();

/**
 * The bin of a name: `nih_hash_string_hash` (FNV-1, 32 bits, over `char`, which is signed on
 * the platforms Upstart ran on, so bytes from 0x80 xor in sign-extended) modulo 17.
 *
 * @param name A job or instance name.
 * @returns Its bin, 0 to 16.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nihHashBin } from "./nih_hash.ts";
 * assert.equal(nihHashBin("svc"), 1);
 * assert.equal(nihHashBin("sub/dir"), 6);
 * ```
 */
export function nihHashBin(name: string): number {
  let hash = 2166136261;
  for (const b of encoder.encode(name)) {
    hash = Math.imul(hash, 16777619) >>> 0;
    hash = (hash ^ (b >= 0x80 ? b - 0x100 : b)) >>> 0;
  }
  return hash % NIH_HASH_SIZE;
}

/**
 * Items in `NIH_HASH_FOREACH` order: by bin, then in the order given (insertion order).
 *
 * @param items Items with their bin, in insertion order.
 * @returns A new array in Upstart's walk order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nihHashBin, nihHashOrder } from "./nih_hash.ts";
 * const jobs = ["sub/dir", "svc"].map((name) => ({ name, hashBin: nihHashBin(name) }));
 * assert.deepEqual(nihHashOrder(jobs).map((j) => j.name), ["svc", "sub/dir"]); // bin 1, then bin 6
 * ```
 */
export function nihHashOrder<T extends { readonly hashBin: number }>(items: Iterable<T>): T[] {
  return [...items].sort((a, b) => a.hashBin - b.hashBin); // Array.prototype.sort is stable
}

/**
 * One reactor for the whole process: every connection's socket in one epoll
 * set, one wait at a time on Deno's thread pool, whatever the number of
 * connections.
 *
 * How waiting works: libdbus is touched only on the main thread. A connection
 * registers its fd once (epoll_ctl, on the main thread) and tells the reactor
 * whenever it gains or loses a reason to read (a pending call, a subscription,
 * an exported object). While any connection has one, the reactor runs:
 *
 * - while calls are pending it first spins briefly on a zero-timeout
 *   `epoll_wait` on the main thread (a local reply arrives within
 *   microseconds, and waking a parked thread costs more than that);
 * - then it parks one `nonblocking` `epoll_wait` on the thread pool, bounded
 *   by the earliest call deadline, and on waking pumps exactly the
 *   connections whose fds are ready.
 *
 * A call made while the reactor is parked (a connection that also has a
 * subscription or an export) spins the same way before the parked thread
 * could report it, so subscriptions do not slow calls. The set changes
 * without waking the parked thread (epoll takes `epoll_ctl` from another
 * thread); an eventfd in the set wakes it when an earlier deadline appears or
 * when nothing is left to wait for, so an idle process exits. The event loop
 * is never held for more than about a millisecond: after a slice of work the
 * next wait has a zero timeout, which lets timers and I/O run.
 *
 * @module
 */

import type { LibC } from "./symbols.ts";
import { loadLibC } from "./library.ts";

/** What the reactor waits on: one connection. */
export interface Source {
  /** The socket (registered while the source is). */
  readonly fd: number;
  /** Whether it waits for input now (pending calls, subscriptions, exports, authentication). */
  needsInput(): boolean;
  /** Whether calls are pending (the reactor spins for those). */
  calling(): boolean;
  /** Microseconds worth spinning for its replies (0: never spin for it). */
  readonly spinMicros: number;
  /** `performance.now()` of its earliest call deadline, or `Infinity`. */
  deadline(): number;
  /** Rejects the calls whose deadline has passed. */
  sweep(now: number): void;
  /**
   * Reads what the socket has, writes what it can, and dispatches messages until `until`
   * (`performance.now()`); returns `true` if messages are left to dispatch.
   */
  pump(until: number): boolean;
  /** Whether bytes wait to be written (then the reactor also waits for the fd to be writable). */
  wantsWrite(): boolean;
}

/** The longest stretch the reactor holds the event loop while input keeps arriving. */
const MAX_SLICE_MS = 1;
const MAX_EVENTS = 256;
const EPOLLIN = 0x1;
const EPOLLOUT = 0x4;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const EPOLL_CTL_MOD = 3;
const EPOLL_CLOEXEC = 0x80000;
const EFD_NONBLOCK = 0x800;
const EFD_CLOEXEC = 0x80000;
/** The data word of the eventfd's entry (no real fd has it). */
const WAKE = 0xffffffff;
/** `struct epoll_event` is packed on x86_64 (12 bytes), naturally aligned elsewhere (16). */
const EVENT_SIZE = Deno.build.arch === "x86_64" ? 12 : 16;
const DATA_OFFSET = Deno.build.arch === "x86_64" ? 4 : 8;

interface Member {
  /**
   * The source, held weakly: an idle connection its owner dropped unclosed can be collected
   * (its FinalizationRegistry entry then closes it). While it waits for input it is also in
   * `#waiting`, which holds it.
   */
  readonly ref: WeakRef<Source>;
  /** The events its epoll entry asks for now. */
  events: number;
}

/** The process's reactor. */
class Reactor {
  readonly #libc: LibC;
  readonly #epfd: number;
  readonly #wakeFd: number;
  readonly #members = new Map<number, Member>();
  /** Sources that wait for input (the reactor runs while any does). */
  readonly #waiting = new Set<Source>();
  /** Sources with calls pending (spun for, and swept for deadlines). */
  readonly #calling = new Set<Source>();
  /** Sources that left messages undispatched at the end of a slice. */
  readonly #backlog = new Set<Source>();
  /** Events of the parked wait, and of main-thread checks (never shared with a running wait). */
  readonly #parkedEvents = new Uint8Array(EVENT_SIZE * MAX_EVENTS);
  readonly #spinEvents = new Uint8Array(EVENT_SIZE * MAX_EVENTS);
  readonly #parkedView = new DataView(this.#parkedEvents.buffer);
  readonly #spinView = new DataView(this.#spinEvents.buffer);
  readonly #ctlEvent = new Uint8Array(16);
  readonly #ctlView = new DataView(this.#ctlEvent.buffer);
  readonly #drain = new Uint8Array(8);
  readonly #one = new Uint8Array(new BigUint64Array([1n]).buffer);
  #running = false;
  #scheduled = false;
  #spinScheduled = false;
  /** While a wait with a timeout is parked: the deadline it runs to; else -Infinity. */
  #parkedUntil = -Infinity;

  constructor(libc: LibC) {
    this.#libc = libc;
    this.#epfd = libc.epoll_create1(EPOLL_CLOEXEC);
    if (this.#epfd < 0) {
      throw new RangeError("Cannot create an epoll instance: too many open files?");
    }
    this.#wakeFd = libc.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (this.#wakeFd < 0) throw new RangeError("Cannot create an eventfd: too many open files?");
    this.#ctl(EPOLL_CTL_ADD, this.#wakeFd, EPOLLIN, WAKE);
  }

  /** Registers a source's fd (once, while it is open); returns its weak handle. */
  add(source: Source): WeakRef<Source> {
    const stale = this.#members.get(source.fd)?.ref.deref();
    if (stale !== undefined) {
      // The fd number is free again, so libdbus closed it under an older source (a disconnect
      // found while writing; epoll dropped it then). Let that source read its Disconnected
      // message; it is no longer the fd's owner, so its removal leaves the new entry alone.
      this.#forget(stale);
      queueMicrotask(() => stale.pump(Infinity));
    }
    this.#ctl(EPOLL_CTL_ADD, source.fd, EPOLLIN, source.fd);
    const ref = new WeakRef(source);
    this.#members.set(source.fd, { ref, events: EPOLLIN });
    return ref;
  }

  /**
   * Unregisters the fd of a source that was garbage-collected (its owner dropped it unclosed),
   * before its fd is closed; `ref` is what `add` returned, so a newer owner of the fd number
   * is left alone.
   */
  removeCollected(fd: number, ref: WeakRef<Source>): void {
    if (this.#members.get(fd)?.ref !== ref) return;
    this.#ctl(EPOLL_CTL_DEL, fd, 0, 0);
    this.#members.delete(fd);
  }

  /** Unregisters a source, before its fd is closed. */
  remove(source: Source): void {
    const member = this.#members.get(source.fd);
    if (member?.ref.deref() !== source) return;
    this.#ctl(EPOLL_CTL_DEL, source.fd, 0, 0);
    this.#forget(source);
    if (this.#waiting.size === 0) this.#wakeIfParked();
  }

  /** Drops a source (the owner of its fd number) from every table. */
  #forget(source: Source): void {
    this.#members.delete(source.fd);
    this.#waiting.delete(source);
    this.#calling.delete(source);
    this.#backlog.delete(source);
  }

  /**
   * Takes note of a source's new state: whether it waits, calls, has an earlier deadline, or
   * has bytes to write. Cheap enough to call after every send.
   */
  update(source: Source): void {
    const member = this.#members.get(source.fd);
    if (member?.ref.deref() !== source) return;
    this.#watchWrites(member, source);
    this.#refresh(source, true);
  }

  /** Files `source` under what it waits for now; `fromCall`: a call may have just been made. */
  #refresh(source: Source, fromCall: boolean): void {
    if (source.calling()) {
      this.#calling.add(source);
      if (source.deadline() < this.#parkedUntil) this.#wake(); // the parked wait runs too long
      if (
        fromCall && this.#parkedUntil !== -Infinity && !this.#spinScheduled &&
        source.spinMicros > 0
      ) {
        // Parked for other sources: a reply to this call is picked up by spinning, as it would
        // be if nothing else waited.
        this.#spinScheduled = true;
        queueMicrotask(() => this.#spinWhileParked());
      }
    } else this.#calling.delete(source);
    if (source.needsInput()) {
      this.#waiting.add(source);
      if (!this.#running && !this.#scheduled) {
        this.#scheduled = true;
        // A microtask: everything the caller sends synchronously goes out before we wait.
        queueMicrotask(() => this.#run());
      }
    } else {
      this.#waiting.delete(source);
      // A wait parked for a reason that has gone must come back and stop, or it keeps the
      // process alive.
      if (this.#waiting.size === 0) this.#wakeIfParked();
    }
  }

  /** `epoll_ctl`; `false` when it failed. */
  #ctl(op: number, fd: number, events: number, data: number): boolean {
    this.#ctlView.setUint32(0, events, true);
    this.#ctlView.setUint32(DATA_OFFSET, data, true);
    this.#ctlView.setUint32(DATA_OFFSET + 4, 0, true);
    const ok = this.#libc.epoll_ctl(this.#epfd, op, fd, this.#ctlEvent) === 0;
    if (!ok && op === EPOLL_CTL_ADD) {
      throw new RangeError(`Cannot watch file descriptor ${fd} (epoll_ctl failed)`);
    }
    return ok;
  }

  #watchWrites(member: Member, source: Source): void {
    const events = source.wantsWrite() ? EPOLLIN | EPOLLOUT : EPOLLIN;
    if (events === member.events) return;
    member.events = events;
    // Takes effect on a parked wait too: the kernel re-checks readiness on EPOLL_CTL_MOD.
    if (!this.#ctl(EPOLL_CTL_MOD, source.fd, events, source.fd)) {
      // libdbus closed the socket (a disconnect found mid-slice, its Disconnected not yet read):
      // epoll has dropped it, so keep pumping the source until it reads that and shuts down.
      this.#backlog.add(source);
    }
  }

  async #run(): Promise<void> {
    this.#scheduled = false;
    if (this.#running) return;
    try {
      await this.#loop();
    } catch (e) {
      // Nothing a source does should get here; if something does, every connection of the
      // process depends on the reactor: report it and keep serving.
      console.error("D-Bus reactor: unexpected failure (it goes on):", e);
      if (this.#waiting.size > 0 && !this.#scheduled) {
        this.#scheduled = true;
        setTimeout(() => this.#run(), 1);
      }
    }
  }

  async #loop(): Promise<void> {
    this.#running = true;
    let sliceStart = performance.now();
    try {
      while (this.#waiting.size > 0) {
        const now = performance.now();
        const deadline = this.#sweep(now);
        if (this.#waiting.size === 0) break;
        let timeout: number;
        if (this.#backlog.size > 0 || now - sliceStart > MAX_SLICE_MS) {
          // Work is left, or has run for a slice: a zero-timeout wait on the pool is the cheapest
          // real yield to timers and other tasks (setTimeout(0) costs far more).
          timeout = 0;
        } else {
          if (this.#calling.size > 0 && this.#spin()) continue;
          timeout = deadline === Infinity
            ? -1
            : Math.min(2 ** 31 - 1, Math.max(0, Math.ceil(deadline - now)));
        }
        if (timeout !== 0) this.#parkedUntil = deadline;
        let n: number;
        try {
          n = await this.#libc.epoll_wait(this.#epfd, this.#parkedEvents, MAX_EVENTS, timeout);
        } finally {
          this.#parkedUntil = -Infinity;
        }
        sliceStart = performance.now();
        this.#pumpBacklog(sliceStart + MAX_SLICE_MS);
        this.#dispatch(this.#parkedEvents, n, sliceStart + MAX_SLICE_MS);
      }
    } finally {
      this.#running = false;
    }
  }

  /** Rejects expired calls; returns the earliest deadline left. */
  #sweep(now: number): number {
    let next = Infinity;
    for (const source of this.#calling) {
      if (source.deadline() <= now) {
        source.sweep(now);
        if (this.#members.get(source.fd)?.ref.deref() === source) this.#refresh(source, false);
      }
      if (!source.calling()) this.#calling.delete(source);
      else if (source.deadline() < next) next = source.deadline();
    }
    return next;
  }

  /**
   * Checks readiness on the main thread for a while; `true` if something was pumped. While a
   * wait is parked the eventfd is left alone: draining it here would let the parked thread
   * find nothing when it wakes and go back to sleep, and the wake-up would be lost.
   */
  #spin(parked = false): boolean {
    let micros = 0;
    for (const source of this.#calling) micros = Math.max(micros, source.spinMicros);
    if (micros <= 0) return false;
    const until = performance.now() + micros / 1000;
    do {
      const n = this.#libc.epoll_wait_now(this.#epfd, this.#spinEvents, MAX_EVENTS, 0);
      if (
        n > 0 && this.#dispatch(this.#spinEvents, n, performance.now() + MAX_SLICE_MS, !parked)
      ) return true;
    } while (performance.now() < until);
    return false;
  }

  #spinWhileParked(): void {
    this.#spinScheduled = false;
    if (this.#parkedUntil !== -Infinity && this.#calling.size > 0) this.#spin(true);
  }

  /** Pumps the sources of `n` ready events; `true` if any was a source's. */
  #dispatch(events: Uint8Array, n: number, until: number, drainWake = true): boolean {
    const view = events === this.#parkedEvents ? this.#parkedView : this.#spinView;
    let pumped = false;
    for (let i = 0; i < n; i++) {
      const fd = view.getUint32(i * EVENT_SIZE + DATA_OFFSET, true);
      if (fd === WAKE) {
        if (drainWake) this.#libc.read(this.#wakeFd, this.#drain, 8n);
        continue;
      }
      const member = this.#members.get(fd);
      const source = member?.ref.deref();
      // Removed by an earlier source's handler (or collected: its finalizer removes the fd).
      if (member === undefined || source === undefined) continue;
      this.#pumpOne(member, source, until);
      pumped = true;
    }
    return pumped;
  }

  #pumpBacklog(until: number): void {
    for (const source of [...this.#backlog]) {
      const member = this.#members.get(source.fd);
      if (member?.ref.deref() === source) this.#pumpOne(member, source, until);
      else this.#backlog.delete(source);
    }
  }

  #pumpOne(member: Member, source: Source, until: number): void {
    let left: boolean;
    try {
      left = source.pump(until);
    } catch (e) {
      // A source's own failure must not stop the reactor for every other connection.
      console.error("D-Bus reactor: a connection failed while reading:", e);
      left = false;
    }
    if (this.#members.get(source.fd) !== member) return; // it closed while dispatching
    if (left) {
      this.#backlog.add(source);
      // Left over by a spin while parked: the parked wait must come back for it.
      if (this.#parkedUntil !== -Infinity) this.#wake();
    } else this.#backlog.delete(source);
    this.#watchWrites(member, source);
    // Replies settled, a handler unsubscribed: it may wait for less (or nothing) now.
    this.#refresh(source, false);
  }

  #wakeIfParked(): void {
    // Only a wait with a timeout needs waking: on the main thread the loop sees the change itself.
    if (this.#parkedUntil !== -Infinity) this.#wake();
  }

  #wake(): void {
    this.#libc.write(this.#wakeFd, this.#one, 8n);
  }
}

let reactor: Reactor | undefined;

/** The process's reactor, made on first use. */
export function theReactor(): Reactor {
  reactor ??= new Reactor(loadLibC());
  return reactor;
}

export type { Reactor };

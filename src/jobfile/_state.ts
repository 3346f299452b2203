/**
 * The mutable job state stanza handlers write into (Upstart's `JobClass`), its defaults, and the
 * C conversions (`strtol`, `strtoul`, `nih_signal_from_name`) the handlers use.
 *
 * @module
 */

import type {
  CgroupDef,
  Condition,
  JobConfig,
  LimitResource,
  LimitValue,
  NormalExit,
  ProcessDef,
  ProcessType,
  SignalSpec,
} from "./types.ts";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A `JobConfig` under construction. */
export interface State extends
  Mutable<
    Omit<JobConfig, "emits" | "env" | "export" | "normalExit" | "cgroups" | "processes" | "limits">
  > {
  emits: string[];
  env: string[];
  export: string[];
  normalExit: NormalExit[];
  cgroups: CgroupDef[];
  processes: Partial<Record<ProcessType, ProcessDef>>;
  limits: Partial<Record<LimitResource, { soft: LimitValue; hard: LimitValue }>>;
}

/** libnih's signal table (`nih/signal.c`), Linux x86 numbers; no `UNUSED` (glibc ≥ 2.26). */
const SIGNALS: Record<string, number> = {
  HUP: 1,
  INT: 2,
  QUIT: 3,
  ILL: 4,
  TRAP: 5,
  ABRT: 6,
  IOT: 6,
  BUS: 7,
  FPE: 8,
  KILL: 9,
  USR1: 10,
  SEGV: 11,
  USR2: 12,
  PIPE: 13,
  ALRM: 14,
  TERM: 15,
  STKFLT: 16,
  CHLD: 17,
  CLD: 17,
  CONT: 18,
  STOP: 19,
  TSTP: 20,
  TTIN: 21,
  TTOU: 22,
  URG: 23,
  XCPU: 24,
  XFSZ: 25,
  VTALRM: 26,
  PROF: 27,
  WINCH: 28,
  IO: 29,
  POLL: 29,
  PWR: 30,
  SYS: 31,
};
const SIGNAL_NAMES: string[] = [];
for (const [k, v] of Object.entries(SIGNALS)) SIGNAL_NAMES[v] ??= k;

/** `nih_signal_from_name`: strips `SIG`, case-sensitive lookup; the name and number, or null. */
export function signalFromName(s: string): SignalSpec | null {
  const name = s.startsWith("SIG") ? s.slice(3) : s;
  const n = Object.hasOwn(SIGNALS, name) ? SIGNALS[name] : undefined;
  return n === undefined ? null : { number: n, name };
}

/** A signal spec for a number: its canonical name, or the number as a string. */
export function signalFromNumber(n: number): SignalSpec {
  return { number: n, name: SIGNAL_NAMES[n] ?? String(n) };
}

const U64 = (1n << 64n) - 1n;
const I64_MAX = (1n << 63n) - 1n;

/**
 * C `strtol`/`strtoul` followed by Upstart's `errno || *endptr` check: the value (as libc returns
 * it, 64-bit) and whether the whole string was a valid number.
 */
export function cStrto(s: string, base: 8 | 10, unsigned: boolean): { value: bigint; ok: boolean } {
  let i = 0;
  // isspace(): space, \t, \n, \v, \f, \r
  while (i < s.length && " \t\n\v\f\r".includes(s[i])) i++;
  let neg = false;
  if (s[i] === "+" || s[i] === "-") {
    neg = s[i] === "-";
    i++;
  }
  const digitsStart = i;
  let mag = 0n;
  const b = BigInt(base);
  let overflow = false;
  while (i < s.length) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d >= base) break;
    if (!overflow) {
      mag = mag * b + BigInt(d);
      if (mag > U64) overflow = true;
    }
    i++;
  }
  if (i === digitsStart) return { value: 0n, ok: s.length === 0 }; // endptr = nptr
  const whole = i === s.length;
  if (unsigned) {
    if (overflow) return { value: U64, ok: false };
    return { value: neg ? (-mag) & U64 : mag, ok: whole };
  }
  if (neg ? mag > I64_MAX + 1n : mag > I64_MAX) {
    return { value: neg ? -(I64_MAX + 1n) : I64_MAX, ok: false };
  }
  return { value: neg ? -mag : mag, ok: whole };
}

/** Defaults of `job_class_new` (job-files.md §3.4). */
export function newState(): State {
  return {
    description: null,
    author: null,
    version: null,
    usage: null,
    emits: [],
    instance: null,
    startOn: null,
    stopOn: null,
    processes: {},
    expect: "none",
    task: false,
    respawn: false,
    respawnLimit: { count: 10, interval: 5 },
    normalExit: [],
    killSignal: { number: 15, name: "TERM" },
    killTimeout: 5,
    reloadSignal: { number: 1, name: "HUP" },
    console: "log",
    env: [],
    export: [],
    umask: 0o022,
    nice: null,
    oomScore: null,
    limits: {},
    chdir: null,
    chroot: null,
    setuid: null,
    setgid: null,
    apparmorLoad: null,
    apparmorSwitch: null,
    cgroups: [],
    manual: false,
  };
}

/** A mutable copy of a config, to parse an override on top of it. */
export function stateFrom(c: JobConfig): State {
  return {
    ...c,
    emits: [...c.emits],
    env: [...c.env],
    export: [...c.export],
    normalExit: [...c.normalExit],
    cgroups: [...c.cgroups],
    processes: { ...c.processes },
    limits: { ...c.limits },
  };
}

/** Freezes a state into the public `JobConfig` (a copy: later parsing cannot change it). */
export function freezeState(s: State): JobConfig {
  const limits: State["limits"] = {};
  for (const k of Object.keys(s.limits) as LimitResource[]) {
    limits[k] = Object.freeze({ ...s.limits[k]! });
  }
  return Object.freeze({
    ...s,
    emits: Object.freeze([...s.emits]),
    env: Object.freeze([...s.env]),
    export: Object.freeze([...s.export]),
    normalExit: Object.freeze([...s.normalExit]),
    cgroups: Object.freeze([...s.cgroups]),
    processes: Object.freeze({ ...s.processes }),
    limits: Object.freeze(limits),
    startOn: s.startOn as Condition | null,
  });
}

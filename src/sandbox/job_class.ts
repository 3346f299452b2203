/**
 * A loaded job definition (Upstart's `JobClass`) and its instances.
 *
 * @module
 */

import type { JobConfig, LimitResource } from "../jobfile/mod.ts";
import type { JobInstance } from "./job.ts";
import { checkEnforcement } from "./limits.ts";
import { nihHashBin, nihHashOrder } from "./nih_hash.ts";
import { type Operator, operatorFrom } from "./operator.ts";
import { signalNumber } from "./signals.ts";

/** A job definition as loaded, with its live `start on` and its instances. */
export class JobClass {
  /** The job name (`sub/name` for a file in a subdirectory). */
  readonly name: string;
  /** The parsed (and overridden) configuration. */
  readonly config: JobConfig;
  /** The `.conf` it came from (`null` when made in code). */
  readonly source: string | null;
  /** Live `start on` (shared by all instances, as in Upstart). */
  readonly startOn: Operator | null;
  /** Instances by name (insertion order; {@linkcode JobClass.orderedInstances} for Upstart's). */
  readonly instances: Map<string, JobInstance> = new Map();
  /** Its bin in Upstart's table of job classes (which fixes where it comes in walks). */
  readonly hashBin: number;
  /** Replaced or removed (its file changed or went): it goes when its last instance stops. */
  deleted = false;
  /** `normal exit` as Upstart stores it: a status, or a signal shifted left by 8. */
  readonly normalExit: readonly number[];
  /** `limit` resources the sandbox applies. */
  readonly allowedLimits: ReadonlySet<LimitResource>;
  /** Whether a negative `nice` is applied. */
  readonly canRaisePriority: boolean;
  /** Stanzas loaded and published but not enforced (one line each). */
  readonly notEnforced: readonly string[];

  /** Makes a class from a parsed configuration. */
  constructor(name: string, config: JobConfig, source: string | null = null) {
    if (name === "") throw new TypeError("Job name must not be empty");
    this.name = name;
    this.hashBin = nihHashBin(name);
    this.config = config;
    this.source = source;
    this.startOn = config.startOn ? operatorFrom(config.startOn) : null;
    this.normalExit = config.normalExit.map((n) => {
      if ("status" in n) return n.status;
      const sig = /^\d+$/.test(n.signal) ? Number(n.signal) : signalNumber(n.signal);
      return (sig ?? 0) << 8;
    });
    const e = checkEnforcement(config);
    this.allowedLimits = e.allowedLimits;
    this.canRaisePriority = e.canRaisePriority;
    this.notEnforced = e.notEnforced;
  }

  /** The instances in the order Upstart walks them (`GetAllInstances`, events). */
  orderedInstances(): JobInstance[] {
    return nihHashOrder(this.instances.values());
  }
}

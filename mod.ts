/**
 * Manage the Upstart init daemon from Deno: typed `System`, `Job` and
 * `Instance` APIs over Upstart's D-Bus API (locally or over ssh), and a
 * lossless job-file parser, writer, builder and checker.
 *
 * Importing this module loads nothing native: libdbus is loaded on the first
 * connection, so the job-file tools need no `--allow-ffi`.
 *
 * @example Parse a job file and read its configuration
 * ```ts
 * import { parseJob } from "@upstart/upstart";
 * const doc = parseJob("description \"web\"\nstart on runlevel [2345]\nexec /usr/bin/web\n");
 * console.assert(doc.config.description === "web");
 * ```
 *
 * @module
 */

export * from "./src/jobfile/mod.ts";

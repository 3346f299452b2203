/**
 * Lazy loading of libdbus-1 and libc, and the small helpers every FFI call
 * site shares: C strings in, C strings out, and `DBusError` unwrapping.
 *
 * Nothing is loaded at import time, so importing the job-file parser needs no
 * `--allow-ffi`.
 *
 * @module
 */

import { dbusLazySymbols, dbusSymbols, libcSymbols } from "./symbols.ts";
import type { DBusLib, LibC } from "./symbols.ts";
import { DBusError, LibraryLoadError } from "./errors.ts";

/** Environment variable that overrides the path or soname of libdbus. */
export const LIBDBUS_ENV = "DENO_LIBDBUS_PATH";
const DEFAULT_LIBDBUS = "libdbus-1.so.3";
const DEFAULT_LIBC = "libc.so.6";

let dbus: DBusLib | undefined;
let libc: LibC | undefined;

function libraryPath(): string {
  try {
    return Deno.env.get(LIBDBUS_ENV) || DEFAULT_LIBDBUS;
  } catch (e) {
    // Without --allow-env the override cannot apply; the default still can.
    if (e instanceof Deno.errors.NotCapable) return DEFAULT_LIBDBUS;
    throw e;
  }
}

function openDBus<S extends Deno.ForeignLibraryInterface>(path: string, symbols: S) {
  try {
    return Deno.dlopen(path, symbols).symbols;
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) throw e;
    throw new LibraryLoadError(
      `Cannot load ${path}: install the Debian package libdbus-1-3 (or set ${LIBDBUS_ENV} to the library's path)`,
      { cause: e },
    );
  }
}

/**
 * Loads libdbus-1 on first use and returns its symbols: a client's (`dbusSymbols`) at once, each
 * of `dbusLazySymbols` when first read (then it is a plain property like the others). Opening the
 * same library again only takes a reference, so that costs the one symbol's binding.
 */
export function loadDBus(): DBusLib {
  if (dbus) return dbus;
  const path = libraryPath();
  const core = openDBus(path, dbusSymbols);
  // libdbus objects are created on Deno's thread pool (open) and used on the main thread.
  core.dbus_threads_init_default();
  const symbols: Record<string, unknown> = { ...core };
  for (const [name, def] of Object.entries(dbusLazySymbols)) {
    Object.defineProperty(symbols, name, {
      configurable: true,
      enumerable: true,
      get() {
        let fn: unknown;
        try {
          fn = Deno.dlopen(path, { [name]: def }).symbols[name];
        } catch (e) {
          if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
            throw e;
          }
          throw new LibraryLoadError(`${path} lacks ${name}: this libdbus is too old`, {
            cause: e,
          });
        }
        Object.defineProperty(symbols, name, { value: fn, enumerable: true, writable: false });
        return fn;
      },
    });
  }
  dbus = symbols as DBusLib;
  return dbus;
}

/** Loads the libc subset (poll, eventfd, read, write, close, getuid) on first use. */
export function loadLibC(): LibC {
  if (libc) return libc;
  try {
    libc = Deno.dlopen(DEFAULT_LIBC, libcSymbols).symbols;
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) throw e;
    throw new LibraryLoadError(`Cannot load ${DEFAULT_LIBC}`, { cause: e });
  }
  return libc;
}

const encoder = new TextEncoder();

/** A NUL-terminated UTF-8 copy of `s`, for a `const char *` parameter. */
export function cstr(s: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(s.length * 3 + 1);
  const { written } = encoder.encodeInto(s, bytes);
  return bytes.subarray(0, written + 1);
}

/** Reads a C string, or `null` for a NULL pointer. */
export function readCString(ptr: Deno.PointerValue): string | null {
  return ptr === null ? null : Deno.UnsafePointerView.getCString(ptr);
}

/** sizeof(DBusError) is 32 on LP64; 64 leaves room. */
const DBUS_ERROR_SIZE = 64;

/**
 * Runs `fn` with a fresh `DBusError`, frees it on every path, and throws our
 * own `DBusError` when libdbus set it.
 */
export function withDBusError<T>(lib: DBusLib, fn: (error: Uint8Array<ArrayBuffer>) => T): T {
  const error = new Uint8Array(DBUS_ERROR_SIZE);
  lib.dbus_error_init(error);
  try {
    const result = fn(error);
    throwIfSet(lib, error);
    return result;
  } finally {
    lib.dbus_error_free(error);
  }
}

/** Throws our `DBusError` if the C `DBusError` in `error` is set (the caller frees it). */
export function throwIfSet(lib: DBusLib, error: Uint8Array<ArrayBuffer>): void {
  if (!lib.dbus_error_is_set(error)) return;
  const view = new DataView(error.buffer);
  const name = readCString(Deno.UnsafePointer.create(view.getBigUint64(0, true))) ??
    "org.freedesktop.DBus.Error.Failed";
  const message = readCString(Deno.UnsafePointer.create(view.getBigUint64(8, true))) ?? "";
  throw new DBusError(name, message);
}

/** A fresh, initialised `DBusError` buffer for asynchronous calls; free with `freeDBusError`. */
export function newDBusError(lib: DBusLib): Uint8Array<ArrayBuffer> {
  const error = new Uint8Array(DBUS_ERROR_SIZE);
  lib.dbus_error_init(error);
  return error;
}

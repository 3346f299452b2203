/**
 * Lazy loading of libdbus-1 and libc, and the small helpers every FFI call
 * site shares: C strings in, C strings out, and `DBusError` unwrapping.
 *
 * Nothing is loaded at import time, so importing the job-file parser needs no
 * `--allow-ffi`.
 *
 * @module
 */

import { dbusSymbols, libcSymbols } from "./symbols.ts";
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

function isPermissionError(e: unknown): boolean {
  return e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied;
}

/**
 * The symbols of `table` in the library at `path`, each bound when first read (then it is a
 * plain property). Binding costs about 0.1 ms a symbol, and a short CLI run calls a fraction of
 * them; opening the same library again only takes a reference. The first symbol is bound at once,
 * so a missing library fails here, with `missing`'s advice.
 */
function lazyLibrary<S extends Deno.ForeignLibraryInterface>(
  path: string,
  table: S,
  missing: string,
): Deno.DynamicLibrary<S>["symbols"] {
  const bind = (name: string, first: boolean) => {
    try {
      return Deno.dlopen(path, { [name]: table[name] }).symbols[name];
    } catch (e) {
      if (isPermissionError(e)) throw e;
      throw new LibraryLoadError(
        first
          ? `Cannot load ${path}: ${missing}`
          : `${path} lacks ${name}: this library is too old`,
        { cause: e },
      );
    }
  };
  const [firstName, ...rest] = Object.keys(table);
  const symbols: Record<string, unknown> = { [firstName]: bind(firstName, true) };
  for (const name of rest) {
    Object.defineProperty(symbols, name, {
      configurable: true,
      enumerable: true,
      get() {
        const fn = bind(name, false);
        Object.defineProperty(symbols, name, { value: fn, enumerable: true, writable: false });
        return fn;
      },
    });
  }
  return symbols as Deno.DynamicLibrary<S>["symbols"];
}

/** Loads libdbus-1 on first use; each of its symbols is bound when first called. */
export function loadDBus(): DBusLib {
  dbus ??= lazyLibrary(
    libraryPath(),
    dbusSymbols,
    `install the Debian package libdbus-1-3 (or set ${LIBDBUS_ENV} to the library's path)`,
  );
  return dbus;
}

/** Loads the libc subset (epoll, eventfd, read, write, close, getuid, kill) on first use. */
export function loadLibC(): LibC {
  libc ??= lazyLibrary(DEFAULT_LIBC, libcSymbols, "the C library is missing");
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
    throwIfSet(error);
    return result;
  } finally {
    freeDBusError(lib, error);
  }
}

/** Frees what libdbus put in `error` (nothing to free, and no symbol to bind, when it is unset). */
export function freeDBusError(lib: DBusLib, error: Uint8Array<ArrayBuffer>): void {
  if (new DataView(error.buffer).getBigUint64(0, true) !== 0n) lib.dbus_error_free(error);
}

/** Throws our `DBusError` if the C `DBusError` in `error` is set (the caller frees it). */
export function throwIfSet(error: Uint8Array<ArrayBuffer>): void {
  // DBusError's first public field is `name`: set when the error is (dbus_error_is_set reads it).
  const view = new DataView(error.buffer);
  if (view.getBigUint64(0, true) === 0n) return;
  const name = readCString(Deno.UnsafePointer.create(view.getBigUint64(0, true))) ??
    "org.freedesktop.DBus.Error.Failed";
  const message = readCString(Deno.UnsafePointer.create(view.getBigUint64(8, true))) ?? "";
  throw new DBusError(name, message);
}

/** A fresh, initialised `DBusError` buffer; free it with `freeDBusError`. */
export function newDBusError(lib: DBusLib): Uint8Array<ArrayBuffer> {
  const error = new Uint8Array(DBUS_ERROR_SIZE);
  lib.dbus_error_init(error);
  return error;
}

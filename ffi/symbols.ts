/**
 * The C surface this binding uses: libdbus-1 and a few libc calls. This file is
 * the only place that names C functions; everything else calls them through
 * the typed tables below.
 *
 * Conventions: `dbus_bool_t` is `u32`; `DBusError*`, `DBusMessageIter*` and
 * out-parameters are `buffer`s owned by the caller; strings are NUL-terminated
 * `buffer`s (see `cstr()` in `library.ts`).
 *
 * @module
 */

/**
 * libdbus-1's functions, named exactly as in C. Each is bound on first use (`loadDBus`): Deno
 * compiles a fast-call stub for every synchronous symbol as it binds it (about 0.1–0.3 ms each),
 * so a short-lived client pays only for the ones it calls.
 */
export const dbusSymbols = {
  // void dbus_error_init(DBusError *error)
  dbus_error_init: { parameters: ["buffer"], result: "void" },
  // void dbus_error_free(DBusError *error)
  dbus_error_free: { parameters: ["buffer"], result: "void" },
  // void dbus_free(void *memory)
  dbus_free: { parameters: ["pointer"], result: "void" },
  // DBusConnection *dbus_connection_open_private(const char *address, DBusError *error)
  // (a local socket connects at once: called on the main thread)
  dbus_connection_open_private: { parameters: ["buffer", "buffer"], result: "pointer" },
  // The same on Deno's thread pool: tcp resolves names, unixexec forks.
  dbus_connection_open_private_async: {
    name: "dbus_connection_open_private",
    parameters: ["buffer", "buffer"],
    result: "pointer",
    nonblocking: true,
  },
  // void dbus_connection_close(DBusConnection *connection)
  dbus_connection_close: { parameters: ["pointer"], result: "void" },
  // void dbus_connection_unref(DBusConnection *connection)
  dbus_connection_unref: { parameters: ["pointer"], result: "void" },
  // dbus_bool_t dbus_connection_get_unix_fd(DBusConnection *connection, int *fd)
  dbus_connection_get_unix_fd: { parameters: ["pointer", "buffer"], result: "u32" },
  // dbus_bool_t dbus_connection_get_is_connected(DBusConnection *connection)
  dbus_connection_get_is_connected: { parameters: ["pointer"], result: "u32" },
  // dbus_bool_t dbus_connection_send(DBusConnection *connection, DBusMessage *message, dbus_uint32_t *client_serial)
  dbus_connection_send: { parameters: ["pointer", "pointer", "buffer"], result: "u32" },
  // dbus_bool_t dbus_connection_read_write(DBusConnection *connection, int timeout_milliseconds)
  dbus_connection_read_write: { parameters: ["pointer", "i32"], result: "u32" },
  // dbus_bool_t dbus_connection_get_is_authenticated(DBusConnection *connection)
  dbus_connection_get_is_authenticated: { parameters: ["pointer"], result: "u32" },
  // DBusMessage *dbus_connection_pop_message(DBusConnection *connection)
  dbus_connection_pop_message: { parameters: ["pointer"], result: "pointer" },
  // dbus_bool_t dbus_connection_has_messages_to_send(DBusConnection *connection)
  dbus_connection_has_messages_to_send: { parameters: ["pointer"], result: "u32" },
  // DBusMessage *dbus_message_new_method_call(const char *destination, const char *path, const char *iface, const char *method)
  dbus_message_new_method_call: {
    parameters: ["buffer", "buffer", "buffer", "buffer"],
    result: "pointer",
  },
  // void dbus_message_unref(DBusMessage *message)
  dbus_message_unref: { parameters: ["pointer"], result: "void" },
  // dbus_bool_t dbus_message_marshal(DBusMessage *msg, char **marshalled_data_p, int *len_p)
  // (the whole message in wire form, in one call: free the data with dbus_free)
  dbus_message_marshal: { parameters: ["pointer", "buffer", "buffer"], result: "u32" },
  // dbus_bool_t dbus_message_iter_init(DBusMessage *message, DBusMessageIter *iter)
  dbus_message_iter_init: { parameters: ["pointer", "buffer"], result: "u32" },
  // void dbus_message_iter_init_append(DBusMessage *message, DBusMessageIter *iter)
  dbus_message_iter_init_append: { parameters: ["pointer", "buffer"], result: "void" },
  // dbus_bool_t dbus_message_iter_append_basic(DBusMessageIter *iter, int type, const void *value)
  dbus_message_iter_append_basic: { parameters: ["buffer", "i32", "buffer"], result: "u32" },
  // dbus_bool_t dbus_message_iter_open_container(DBusMessageIter *iter, int type, const char *contained_signature, DBusMessageIter *sub)
  dbus_message_iter_open_container: {
    parameters: ["buffer", "i32", "buffer", "buffer"],
    result: "u32",
  },
  // dbus_bool_t dbus_message_iter_close_container(DBusMessageIter *iter, DBusMessageIter *sub)
  dbus_message_iter_close_container: { parameters: ["buffer", "buffer"], result: "u32" },
  // int dbus_message_iter_get_arg_type(DBusMessageIter *iter)
  dbus_message_iter_get_arg_type: { parameters: ["buffer"], result: "i32" },
  // int dbus_message_iter_get_element_type(DBusMessageIter *iter)
  dbus_message_iter_get_element_type: { parameters: ["buffer"], result: "i32" },
  // void dbus_message_iter_get_basic(DBusMessageIter *iter, void *value)
  dbus_message_iter_get_basic: { parameters: ["buffer", "buffer"], result: "void" },
  // void dbus_message_iter_recurse(DBusMessageIter *iter, DBusMessageIter *sub)
  dbus_message_iter_recurse: { parameters: ["buffer", "buffer"], result: "void" },
  // dbus_bool_t dbus_message_iter_next(DBusMessageIter *iter)
  dbus_message_iter_next: { parameters: ["buffer"], result: "u32" },
  // char *dbus_message_iter_get_signature(DBusMessageIter *iter)  (free with dbus_free)
  dbus_message_iter_get_signature: { parameters: ["buffer"], result: "pointer" },
  // dbus_bool_t dbus_connection_can_send_type(DBusConnection *connection, int type)
  dbus_connection_can_send_type: { parameters: ["pointer", "i32"], result: "u32" },
  // DBusMessage *dbus_message_new_method_return(DBusMessage *method_call)
  dbus_message_new_method_return: { parameters: ["pointer"], result: "pointer" },
  // DBusMessage *dbus_message_new_error(DBusMessage *reply_to, const char *error_name, const char *error_message)
  dbus_message_new_error: { parameters: ["pointer", "buffer", "buffer"], result: "pointer" },
  // DBusMessage *dbus_message_new_signal(const char *path, const char *iface, const char *name)
  dbus_message_new_signal: { parameters: ["buffer", "buffer", "buffer"], result: "pointer" },
  // DBusMessage *dbus_message_ref(DBusMessage *message)
  dbus_message_ref: { parameters: ["pointer"], result: "pointer" },
  // dbus_bool_t dbus_message_set_destination(DBusMessage *message, const char *destination)
  dbus_message_set_destination: { parameters: ["pointer", "buffer"], result: "u32" },
  // void dbus_message_set_no_reply(DBusMessage *message, dbus_bool_t no_reply)
  dbus_message_set_no_reply: { parameters: ["pointer", "u32"], result: "void" },
  // void dbus_message_set_auto_start(DBusMessage *message, dbus_bool_t auto_start)
  dbus_message_set_auto_start: { parameters: ["pointer", "u32"], result: "void" },
  // dbus_bool_t dbus_message_iter_append_fixed_array(DBusMessageIter *iter, int element_type, const void *value, int n_elements)
  dbus_message_iter_append_fixed_array: {
    parameters: ["buffer", "i32", "buffer", "i32"],
    result: "u32",
  },
  // void dbus_message_iter_abandon_container(DBusMessageIter *iter, DBusMessageIter *sub)
  dbus_message_iter_abandon_container: { parameters: ["buffer", "buffer"], result: "void" },
  // void dbus_message_iter_get_fixed_array(DBusMessageIter *iter, void *value, int *n_elements)
  dbus_message_iter_get_fixed_array: {
    parameters: ["buffer", "buffer", "buffer"],
    result: "void",
  },
  // dbus_bool_t dbus_signature_validate(const char *signature, DBusError *error)
  dbus_signature_validate: { parameters: ["buffer", "buffer"], result: "u32" },
  // dbus_bool_t dbus_validate_path(const char *path, DBusError *error)
  dbus_validate_path: { parameters: ["buffer", "buffer"], result: "u32" },
  // dbus_bool_t dbus_validate_interface(const char *name, DBusError *error)
  dbus_validate_interface: { parameters: ["buffer", "buffer"], result: "u32" },
  // dbus_bool_t dbus_validate_member(const char *name, DBusError *error)
  dbus_validate_member: { parameters: ["buffer", "buffer"], result: "u32" },
  // dbus_bool_t dbus_validate_error_name(const char *name, DBusError *error)
  dbus_validate_error_name: { parameters: ["buffer", "buffer"], result: "u32" },
  // dbus_bool_t dbus_validate_bus_name(const char *name, DBusError *error)
  dbus_validate_bus_name: { parameters: ["buffer", "buffer"], result: "u32" },
  // dbus_bool_t dbus_validate_utf8(const char *alleged_utf8, DBusError *error)
  dbus_validate_utf8: { parameters: ["buffer", "buffer"], result: "u32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** libc functions: the reactor's waiting (epoll), and what the CLI would otherwise need permissions for. */
export const libcSymbols = {
  // int epoll_create1(int flags)
  epoll_create1: { parameters: ["i32"], result: "i32" },
  // int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  // int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
  // (blocking: the one call of the process parked on Deno's thread pool)
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32", nonblocking: true },
  // The same with timeout 0 on the main thread: a readiness check while spinning.
  epoll_wait_now: {
    name: "epoll_wait",
    parameters: ["i32", "buffer", "i32", "i32"],
    result: "i32",
  },
  // int eventfd(unsigned int initval, int flags)
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  // ssize_t write(int fd, const void *buf, size_t count)
  write: { parameters: ["i32", "buffer", "u64"], result: "i64" },
  // ssize_t read(int fd, void *buf, size_t count)
  read: { parameters: ["i32", "buffer", "u64"], result: "i64" },
  // int close(int fd)
  close: { parameters: ["i32"], result: "i32" },
  // uid_t getuid(void)  (Deno.uid() would need --allow-sys; --allow-ffi is granted already)
  getuid: { parameters: [], result: "u32" },
  // int kill(pid_t pid, int sig)  (Deno.kill would need --allow-run)
  kill: { parameters: ["i32", "i32"], result: "i32" },
  // pid_t waitpid(pid_t pid, int *wstatus, int options)  (always with WNOHANG: never blocks)
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The loaded libdbus-1. */
export type DBusLib = Deno.DynamicLibrary<typeof dbusSymbols>["symbols"];
/** The loaded libc subset. */
export type LibC = Deno.DynamicLibrary<typeof libcSymbols>["symbols"];

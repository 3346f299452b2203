/* Reference for bench/dbus.ts: a fresh process's first connection, in C.
 * Usage: dbus_connect ADDRESS
 * Prints: connect_us=<open + Hello + one GetId call + close, timed inside the process> */
#include <dbus/dbus.h>
#include <stdio.h>
#include <time.h>

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s ADDRESS\n", argv[0]);
    return 2;
  }
  double t0 = now_us();
  DBusError err;
  dbus_error_init(&err);
  DBusConnection *conn = dbus_connection_open_private(argv[1], &err);
  if (!conn || !dbus_bus_register(conn, &err)) {
    fprintf(stderr, "connect: %s\n", err.message);
    return 1;
  }
  DBusMessage *m = dbus_message_new_method_call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                "org.freedesktop.DBus", "GetId");
  DBusMessage *r = dbus_connection_send_with_reply_and_block(conn, m, -1, &err);
  dbus_message_unref(m);
  if (!r) {
    fprintf(stderr, "call: %s\n", err.message);
    return 1;
  }
  dbus_message_unref(r);
  dbus_connection_close(conn);
  dbus_connection_unref(conn);
  printf("connect_us=%.1f\n", now_us() - t0);
  return 0;
}

/* Reference client for bench/dbus.ts: libdbus from C, calling org.freedesktop.DBus.GetId.
 * Usage: dbus_client ADDRESS SERIAL_CALLS BATCHES BATCH_SIZE
 * Prints: serial_us=<per call> pipelined_us=<per call> */
#include <dbus/dbus.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static DBusMessage *get_id(void) {
  return dbus_message_new_method_call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                      "org.freedesktop.DBus", "GetId");
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s ADDRESS SERIAL_CALLS BATCHES BATCH_SIZE\n", argv[0]);
    return 2;
  }
  int serial_calls = atoi(argv[2]), batches = atoi(argv[3]), batch = atoi(argv[4]);
  DBusError err;
  dbus_error_init(&err);
  DBusConnection *conn = dbus_connection_open_private(argv[1], &err);
  if (!conn || !dbus_bus_register(conn, &err)) {
    fprintf(stderr, "connect: %s\n", err.message);
    return 1;
  }
  /* warm-up */
  for (int i = 0; i < 100; i++) {
    DBusMessage *m = get_id();
    DBusMessage *r = dbus_connection_send_with_reply_and_block(conn, m, -1, &err);
    dbus_message_unref(m);
    if (!r) { fprintf(stderr, "call: %s\n", err.message); return 1; }
    dbus_message_unref(r);
  }
  double t0 = now_us();
  for (int i = 0; i < serial_calls; i++) {
    DBusMessage *m = get_id();
    DBusMessage *r = dbus_connection_send_with_reply_and_block(conn, m, -1, &err);
    dbus_message_unref(m);
    if (!r) { fprintf(stderr, "call: %s\n", err.message); return 1; }
    const char *id;
    dbus_message_get_args(r, NULL, DBUS_TYPE_STRING, &id, DBUS_TYPE_INVALID);
    dbus_message_unref(r);
  }
  double serial = (now_us() - t0) / serial_calls;

  t0 = now_us();
  for (int b = 0; b < batches; b++) {
    for (int i = 0; i < batch; i++) {
      DBusMessage *m = get_id();
      dbus_connection_send(conn, m, NULL);
      dbus_message_unref(m);
    }
    int got = 0;
    while (got < batch) {
      dbus_connection_read_write(conn, -1);
      DBusMessage *r;
      while ((r = dbus_connection_pop_message(conn)) != NULL) {
        if (dbus_message_get_type(r) == DBUS_MESSAGE_TYPE_METHOD_RETURN) {
          const char *id;
          dbus_message_get_args(r, NULL, DBUS_TYPE_STRING, &id, DBUS_TYPE_INVALID);
          got++;
        }
        dbus_message_unref(r);
      }
    }
  }
  double pipelined = (now_us() - t0) / ((double)batches * batch);
  printf("serial_us=%.2f pipelined_us=%.2f\n", serial, pipelined);
  dbus_connection_close(conn);
  dbus_connection_unref(conn);
  return 0;
}

"""Reference: python3-dbus, serial GetId calls. Usage: dbus_client.py ADDRESS CALLS. Prints serial_us=..."""
import sys
import time

import dbus

conn = dbus.bus.BusConnection(sys.argv[1])
calls = int(sys.argv[2])
bus = conn.get_object("org.freedesktop.DBus", "/org/freedesktop/DBus")
get_id = bus.get_dbus_method("GetId", "org.freedesktop.DBus")
for _ in range(100):
    get_id()
t0 = time.perf_counter()
for _ in range(calls):
    get_id()
print("serial_us=%.2f" % ((time.perf_counter() - t0) * 1e6 / calls))

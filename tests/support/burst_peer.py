"""A peer-to-peer D-Bus server that, once a client connects, sends N Tick(u) signals, stops
reading for PAUSE seconds (a large message from the client stays half-written), then closes.

Usage: /usr/bin/python3 burst_peer.py ADDRESS N PAUSE. Prints READY when listening.
"""
import sys
import time

import dbus
import dbus.lowlevel
import dbus.server
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

DBusGMainLoop(set_as_default=True)
N = int(sys.argv[2])
PAUSE = float(sys.argv[3])
conns = []


def burst(conn):
    for i in range(N):
        s = dbus.lowlevel.SignalMessage("/t", "org.upstart.test.T", "Tick")
        s.append(i, signature="u")
        conn.send_message(s)
    conn.flush()
    time.sleep(PAUSE)
    conn.close()
    return False


def on_connection(conn):
    conns.append(conn)
    GLib.timeout_add(200, burst, conn)


server = dbus.server.Server(sys.argv[1])
server.on_connection_added.append(on_connection)
print("READY", flush=True)
GLib.MainLoop().run()

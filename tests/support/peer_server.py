"""A peer-to-peer D-Bus server (no bus daemon), like Upstart's private socket.

Usage: /usr/bin/python3 peer_server.py ADDRESS. Serves /org/upstart/test/Peer with
Echo(s) -> s and Ping() (which also emits a Pong(s) signal). Prints READY when listening.
"""
import sys

import dbus
import dbus.server
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

DBusGMainLoop(set_as_default=True)


class Peer(dbus.service.Object):
    @dbus.service.method("org.upstart.test.Peer", in_signature="s", out_signature="s")
    def Echo(self, s):
        return s

    @dbus.service.method("org.upstart.test.Peer")
    def Ping(self):
        self.Pong("pong")

    @dbus.service.signal("org.upstart.test.Peer", signature="s")
    def Pong(self, s):
        pass


objects = []


def on_connection(conn):
    objects.append(Peer(conn, "/org/upstart/test/Peer"))


server = dbus.server.Server(sys.argv[1])
server.on_connection_added.append(on_connection)
print("READY", flush=True)
GLib.MainLoop().run()

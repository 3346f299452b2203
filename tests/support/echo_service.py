"""An independent echo service written with python3-dbus (run with /usr/bin/python3).

Usage: echo_service.py ADDRESS NAME. Owns NAME; any method call to /org/upstart/test/Echo on
interface org.upstart.test.Echo is answered with its own arguments, re-marshalled by python-dbus
with the same signature. Prints READY once the name is owned.
"""
import sys

import dbus
import dbus.lowlevel
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

DBusGMainLoop(set_as_default=True)
bus = dbus.bus.BusConnection(sys.argv[1])


def on_message(conn, msg):
    if not isinstance(msg, dbus.lowlevel.MethodCallMessage):
        return dbus.lowlevel.HANDLER_RESULT_NOT_YET_HANDLED
    if msg.get_interface() != "org.upstart.test.Echo":
        return dbus.lowlevel.HANDLER_RESULT_NOT_YET_HANDLED
    reply = dbus.lowlevel.MethodReturnMessage(msg)
    sig = msg.get_signature()
    args = msg.get_args_list(byte_arrays=False)
    if msg.get_member() == "WrongSignature":
        reply.append(42, signature="i")
    elif msg.get_member() == "Silent":
        return dbus.lowlevel.HANDLER_RESULT_HANDLED
    elif args:
        reply.append(signature=sig, *args)
    conn.send_message(reply)
    return dbus.lowlevel.HANDLER_RESULT_HANDLED


bus.add_message_filter(on_message)
bus.request_name(sys.argv[2])
print("READY", flush=True)
GLib.MainLoop().run()

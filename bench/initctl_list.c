/* Reference for bench/cli_list.ts: what `initctl list` (Upstart 1.13, util/initctl.c) does on the
 * wire, one blocking call at a time, in C with libdbus: GetAllJobs; then for each job
 * GetAllInstances, and for each status line the job's `name` property plus, per instance,
 * the instance's properties (GetAll). Prints the same lines as initctl.
 * Usage: initctl_list ADDRESS          (ADDRESS of a bus where com.ubuntu.Upstart lives)
 * Exit status: 0, or 1 with a message on stderr. */
#include <dbus/dbus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEST "com.ubuntu.Upstart"
#define IFACE "com.ubuntu.Upstart0_6"
#define JOB_IFACE IFACE ".Job"
#define INSTANCE_IFACE IFACE ".Instance"
#define PROPS "org.freedesktop.DBus.Properties"

static DBusConnection *conn;

static void die(const char *what, DBusError *err) {
  fprintf(stderr, "initctl_list: %s: %s\n", what, err && err->message ? err->message : "failed");
  exit(1);
}

/* One blocking call, as initctl's *_sync helpers make. */
static DBusMessage *call(const char *path, const char *iface, const char *member,
                         const char *arg1, const char *arg2) {
  DBusError err;
  dbus_error_init(&err);
  DBusMessage *m = dbus_message_new_method_call(DEST, path, iface, member);
  if (!m) die("out of memory", NULL);
  if (arg1) {
    if (arg2) {
      dbus_message_append_args(m, DBUS_TYPE_STRING, &arg1, DBUS_TYPE_STRING, &arg2,
                               DBUS_TYPE_INVALID);
    } else {
      dbus_message_append_args(m, DBUS_TYPE_STRING, &arg1, DBUS_TYPE_INVALID);
    }
  }
  DBusMessage *r = dbus_connection_send_with_reply_and_block(conn, m, -1, &err);
  dbus_message_unref(m);
  if (!r) die(member, &err);
  return r;
}

/* The object paths of an `ao` reply; the caller frees with dbus_free_string_array. */
static char **paths_of(DBusMessage *r, int *n) {
  char **paths;
  DBusError err;
  dbus_error_init(&err);
  if (!dbus_message_get_args(r, &err, DBUS_TYPE_ARRAY, DBUS_TYPE_OBJECT_PATH, &paths, n,
                             DBUS_TYPE_INVALID))
    die("reply", &err);
  return paths;
}

/* The job's name (job_class_get_name_sync). */
static char *job_name(const char *job_path) {
  DBusMessage *r = call(job_path, PROPS, "Get", JOB_IFACE, "name");
  DBusMessageIter it, v;
  dbus_message_iter_init(r, &it);
  dbus_message_iter_recurse(&it, &v);
  const char *s;
  dbus_message_iter_get_basic(&v, &s);
  char *name = strdup(s);
  dbus_message_unref(r);
  return name;
}

/* job_status(): "job (inst) goal/state, process N" plus a line per further process. */
static void instance_status(const char *job, const char *inst_path) {
  DBusMessage *r = call(inst_path, PROPS, "GetAll", INSTANCE_IFACE, NULL);
  DBusMessageIter it, dict;
  dbus_message_iter_init(r, &it);
  dbus_message_iter_recurse(&it, &dict);
  const char *name = "", *goal = "", *state = "";
  char procs[4096] = "";
  size_t used = 0;
  int first = 1;
  while (dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_DICT_ENTRY) {
    DBusMessageIter entry, v;
    const char *key;
    dbus_message_iter_recurse(&dict, &entry);
    dbus_message_iter_get_basic(&entry, &key);
    dbus_message_iter_next(&entry);
    dbus_message_iter_recurse(&entry, &v);
    if (!strcmp(key, "name")) dbus_message_iter_get_basic(&v, &name);
    else if (!strcmp(key, "goal")) dbus_message_iter_get_basic(&v, &goal);
    else if (!strcmp(key, "state")) dbus_message_iter_get_basic(&v, &state);
    else if (!strcmp(key, "processes")) {
      DBusMessageIter arr, st;
      dbus_message_iter_recurse(&v, &arr);
      while (dbus_message_iter_get_arg_type(&arr) == DBUS_TYPE_STRUCT) {
        const char *type;
        dbus_int32_t pid;
        dbus_message_iter_recurse(&arr, &st);
        dbus_message_iter_get_basic(&st, &type);
        dbus_message_iter_next(&st);
        dbus_message_iter_get_basic(&st, &pid);
        if (used < sizeof procs - 64) {
          if (first) {
            int plain = !strcmp(type, "main") || !strcmp(type, "pre-start") ||
                        !strcmp(type, "post-stop");
            used += plain ? snprintf(procs + used, sizeof procs - used, ", process %d", pid)
                          : snprintf(procs + used, sizeof procs - used, ", (%s) process %d",
                                     type, pid);
          } else {
            used += snprintf(procs + used, sizeof procs - used, "\n\t%s process %d", type, pid);
          }
        }
        first = 0;
        dbus_message_iter_next(&arr);
      }
    }
    dbus_message_iter_next(&dict);
  }
  if (*name) printf("%s (%s) %s/%s%s\n", job, name, goal, state, procs);
  else printf("%s %s/%s%s\n", job, goal, state, procs);
  dbus_message_unref(r);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s ADDRESS\n", argv[0]);
    return 2;
  }
  DBusError err;
  dbus_error_init(&err);
  conn = dbus_connection_open_private(argv[1], &err);
  if (!conn || !dbus_bus_register(conn, &err)) die("connect", &err);

  int njobs;
  DBusMessage *all = call("/com/ubuntu/Upstart", IFACE, "GetAllJobs", NULL, NULL);
  char **jobs = paths_of(all, &njobs);
  for (int j = 0; j < njobs; j++) {
    int ninst;
    DBusMessage *r = call(jobs[j], JOB_IFACE, "GetAllInstances", NULL, NULL);
    char **insts = paths_of(r, &ninst);
    if (ninst == 0) {
      char *name = job_name(jobs[j]);
      printf("%s stop/waiting\n", name);
      free(name);
    }
    for (int i = 0; i < ninst; i++) {
      char *name = job_name(jobs[j]);
      instance_status(name, insts[i]);
      free(name);
    }
    dbus_free_string_array(insts);
    dbus_message_unref(r);
  }
  dbus_free_string_array(jobs);
  dbus_message_unref(all);
  dbus_connection_close(conn);
  dbus_connection_unref(conn);
  return 0;
}

/* The agent's containerizer, parent side: turns a task's TaskInfo (command, environment,
 * ContainerInfo) into an lc_launch_spec for local/launch.c, or says why the local cluster
 * cannot run it. What is honoured, refused and ignored is listed in docs/localcluster.md
 * ("Containers"); the upstream behaviour each part follows is cited where it is done. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util/log.h"
#include "core/util/str.h"
#include "local/launch.h"
#include "local/lc.h"

#define MOD "localcluster"

extern char **environ;

typedef struct {
    char **v;
    size_t n;
} envv;

static void env_set(envv *e, const char *name, const char *value) {
    size_t nl = strlen(name);
    for (size_t i = 0; i < e->n; i++)
        if (!strncmp(e->v[i], name, nl) && e->v[i][nl] == '=') {
            free(e->v[i]);
            e->v[i] = sdk_asprintf_new("%s=%s", name, value);
            return;
        }
    e->v = sdk_xrealloc(e->v, (e->n + 2) * sizeof *e->v);
    e->v[e->n++] = sdk_asprintf_new("%s=%s", name, value);
    e->v[e->n] = NULL;
}

/* True when a relative path has no "..", "." or empty component and is not absolute: it
 * names something inside the directory it is joined to. */
static bool path_stays_inside(const char *p) {
    if (!p || !*p || *p == '/') return false;
    for (const char *s = p; *s;) {
        size_t n = strcspn(s, "/");
        if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.')) return false;
        s += n;
        if (*s) s++;
    }
    return true;
}

static int failf(char **msg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int failf(char **msg, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    *msg = sdk_vasprintf_new(fmt, ap);
    va_end(ap);
    return -1;
}

/* A secret's bytes. REFERENCE secrets are files under --secrets-dir: name "a/b" is the file
 * <dir>/a/b, and with a key k the file <dir>/a/b/k. Names and keys are relative paths without
 * "." or ".." components, and the resolved file (symlinks followed) must still be inside the
 * directory. VALUE secrets carry their bytes. `where` names the field for messages. */
static int secret_bytes(const lc_cluster *c, const Mesos__V1__Secret *sec, const char *where, uint8_t **data,
                        size_t *len, char **msg) {
    *data = NULL;
    *len = 0;
    if (!sec) return failf(msg, "%s: SECRET without a secret", where);
    if (sec->value && (!sec->has_type || sec->type == MESOS__V1__SECRET__TYPE__VALUE)) {
        *len = sec->value->data.len;
        *data = sdk_xmalloc(*len + 1);
        if (*len) memcpy(*data, sec->value->data.data, *len);
        return 0;
    }
    if (!sec->reference || !sec->reference->name)
        return failf(msg, "%s: secret has neither a value nor a reference", where);
    const char *name = sec->reference->name, *key = sec->reference->key;
    if (!c->opt.secrets_dir)
        return failf(msg, "%s: secret '%s': the local cluster has no --secrets-dir to resolve it from", where, name);
    if (!path_stays_inside(name) || (key && (!path_stays_inside(key) || strchr(key, '/'))))
        return failf(msg, "%s: secret '%s'%s%s%s: a secret name (and key) must be a relative path without '.' or '..' components",
                     where, name, key ? " (key '" : "", key ? key : "", key ? "')" : "");
    char *path = key ? sdk_asprintf_new("%s/%s/%s", c->opt.secrets_dir, name, key)
                     : sdk_asprintf_new("%s/%s", c->opt.secrets_dir, name);
    char *real = realpath(path, NULL);
    int rc = 0;
    size_t dl = strlen(c->opt.secrets_dir);
    if (!real) rc = failf(msg, "%s: secret '%s': %s: %s", where, name, path, strerror(errno));
    else if (strncmp(real, c->opt.secrets_dir, dl) != 0 || real[dl] != '/')
        rc = failf(msg, "%s: secret '%s': %s resolves outside --secrets-dir", where, name, path);
    else {
        char *text = NULL;
        if (sdk_read_file_new(real, &text, len) != 0) rc = failf(msg, "%s: secret '%s': cannot read %s", where, name, path);
        else *data = (uint8_t *)text;
    }
    free(real);
    free(path);
    return rc;
}

/* Environment: the local cluster's own, the MESOS_* variables of an agent, then the task's
 * CommandInfo.environment and (for a check) the check's, each VALUE or SECRET variable
 * (a SECRET must not contain a NUL byte: it could not be a C string). */
static int env_build(const lc_task *t, const Mesos__V1__CommandInfo *cmd, envv *e, char **msg) {
    for (char **p = environ; *p; p++) {
        e->v = sdk_xrealloc(e->v, (e->n + 2) * sizeof *e->v);
        e->v[e->n++] = sdk_xstrdup(*p);
        e->v[e->n] = NULL;
    }
    if (!e->v) e->v = sdk_xcalloc(1, sizeof *e->v);
    env_set(e, "MESOS_SANDBOX", t->sandbox);
    env_set(e, "MESOS_DIRECTORY", t->ex->sandbox);
    env_set(e, "MESOS_CONTAINER_IP", lc_agent_ip(t->agent));
    env_set(e, "MESOS_ALLOCATION_ROLE", t->role);
    env_set(e, "MESOS_FRAMEWORK_ID", t->fw_id);
    env_set(e, "MESOS_EXECUTOR_ID", t->ex->id);
    env_set(e, "MESOS_SLAVE_ID", t->agent->id);
    env_set(e, "MESOS_AGENT_ID", t->agent->id);
    env_set(e, "MESOS_TASK_ID", t->id);
    env_set(e, "MESOS_CHECKPOINT", "1");
    env_set(e, "HOST", t->agent->hostname);
    const Mesos__V1__CommandInfo *sources[2] = {t->info->command, cmd != t->info->command ? cmd : NULL};
    for (int s = 0; s < 2; s++) {
        const Mesos__V1__CommandInfo *ci = sources[s];
        if (!ci || !ci->environment) continue;
        for (size_t i = 0; i < ci->environment->n_variables; i++) {
            const Mesos__V1__Environment__Variable *v = ci->environment->variables[i];
            bool secret = v->has_type && v->type == MESOS__V1__ENVIRONMENT__VARIABLE__TYPE__SECRET;
            if (!secret && !v->secret) {
                env_set(e, v->name, v->value ? v->value : "");
                continue;
            }
            char *where = sdk_asprintf_new("command.environment.variables[%zu] (%s)", i, v->name);
            uint8_t *data;
            size_t len;
            int rc = secret_bytes(t->c, v->secret, where, &data, &len, msg);
            if (rc == 0 && memchr(data, 0, len)) rc = failf(msg, "%s: the secret contains a NUL byte", where);
            if (rc == 0) {
                char *val = sdk_xstrndup((const char *)data, len);
                env_set(e, v->name, val);
                free(val);
            }
            free(data);
            free(where);
            if (rc) return rc;
        }
    }
    return 0;
}

/* RLimitInfo -> setrlimit arguments (apache/mesos src/posix/rlimits.cpp: one Linux resource
 * per type, unset soft and hard = unlimited, both or neither, soft <= hard). */
static int rlimits_build(const Mesos__V1__RLimitInfo *ri, lc_launch_spec *s, char **msg) {
    static const struct {
        int type, resource;
        const char *name;
    } map[] = {
        {MESOS__V1__RLIMIT_INFO__RLIMIT__TYPE__RLMT_AS, RLIMIT_AS, "RLMT_AS"},
        {MESOS__V1__RLIMIT_INFO__RLIMIT__TYPE__RLMT_CORE, RLIMIT_CORE, "RLMT_CORE"},
        {MESOS__V1__RLIMIT_INFO__RLIMIT__TYPE__RLMT_CPU, RLIMIT_CPU, "RLMT_CPU"},
        {MESOS__V1__RLIMIT_INFO__RLIMIT__TYPE__RLMT_DATA, RLIMIT_DATA, "RLMT_DATA"},
        {MESOS__V1__RLIMIT_INFO__RLIMIT__TYPE__RLMT_FSIZE, RLIMIT_FSIZE, "RLMT_FSIZE"},
        {MESOS__V1__RLIMIT_INFO__RLIMIT__TYPE__RLMT_LOCKS, RLIMIT_LOCKS, "RLMT_LOCKS"},
        {MESOS__V1__RLIMIT_INFO__RLIMIT__TYPE__RLMT_MEMLOCK, RLIMIT_MEMLOCK, "RLMT_MEMLOCK"},
        {MESOS__V1__RLIMIT_INFO__RLIMIT__TYPE__RLMT_MSGQUEUE, RLIMIT_MSGQUEUE, "RLMT_MSGQUEUE"},
        {MESOS__V1__RLIMIT_INFO__RLIMIT__TYPE__RLMT_NICE, RLIMIT_NICE, "RLMT_NICE"},
        {MESOS__V1__RLIMIT_INFO__RLIMIT__TYPE__RLMT_NOFILE, RLIMIT_NOFILE, "RLMT_NOFILE"},
        {MESOS__V1__RLIMIT_INFO__RLIMIT__TYPE__RLMT_NPROC, RLIMIT_NPROC, "RLMT_NPROC"},
        {MESOS__V1__RLIMIT_INFO__RLIMIT__TYPE__RLMT_RSS, RLIMIT_RSS, "RLMT_RSS"},
        {MESOS__V1__RLIMIT_INFO__RLIMIT__TYPE__RLMT_RTPRIO, RLIMIT_RTPRIO, "RLMT_RTPRIO"},
        {MESOS__V1__RLIMIT_INFO__RLIMIT__TYPE__RLMT_RTTIME, RLIMIT_RTTIME, "RLMT_RTTIME"},
        {MESOS__V1__RLIMIT_INFO__RLIMIT__TYPE__RLMT_SIGPENDING, RLIMIT_SIGPENDING, "RLMT_SIGPENDING"},
        {MESOS__V1__RLIMIT_INFO__RLIMIT__TYPE__RLMT_STACK, RLIMIT_STACK, "RLMT_STACK"},
    };
    if (!ri || !ri->n_rlimits) return 0;
    s->rlimits = sdk_xcalloc(ri->n_rlimits, sizeof *s->rlimits);
    for (size_t i = 0; i < ri->n_rlimits; i++) {
        const Mesos__V1__RLimitInfo__RLimit *r = ri->rlimits[i];
        size_t k = 0;
        while (k < sizeof map / sizeof *map && (!r->has_type || (int)r->type != map[k].type)) k++;
        if (k == sizeof map / sizeof *map)
            return failf(msg, "container.rlimit_info.rlimits[%zu]: unknown rlimit type %d", i, r->has_type ? (int)r->type : 0);
        for (size_t j = 0; j < s->n_rlimits; j++)
            if (s->rlimits[j].resource == map[k].resource)
                return failf(msg, "container.rlimit_info.rlimits[%zu]: %s is given more than once", i, map[k].name);
        if (r->has_soft != r->has_hard)
            return failf(msg, "container.rlimit_info.rlimits[%zu]: %s: set both soft and hard, or neither (unlimited)", i,
                         map[k].name);
        if (r->has_soft && r->soft > r->hard)
            return failf(msg, "container.rlimit_info.rlimits[%zu]: %s: soft limit %llu is above hard limit %llu", i,
                         map[k].name, (unsigned long long)r->soft, (unsigned long long)r->hard);
        lc_rlimit *l = &s->rlimits[s->n_rlimits++];
        l->resource = map[k].resource;
        l->name = map[k].name;
        l->soft = r->has_soft ? r->soft : (uint64_t)RLIM_INFINITY;
        l->hard = r->has_hard ? r->hard : (uint64_t)RLIM_INFINITY;
    }
    return 0;
}

static const char *image_name(const Mesos__V1__Image *im) {
    if (im->docker && im->docker->name) return im->docker->name;
    if (im->appc && im->appc->name) return im->appc->name;
    return "?";
}

/* Volumes (apache/mesos src/slave/containerizer/mesos/isolators/volume/secret.cpp and
 * volume/host_path.cpp, without a mount namespace): SECRET -> a 0400 file at the container
 * path in the sandbox; HOST_PATH (or the legacy Volume.host_path) -> a symlink in the sandbox
 * to the host path; SANDBOX_PATH is linked by the agent (lc_task_launch). */
static int volumes_build(const lc_task *t, const Mesos__V1__ContainerInfo *ci, lc_launch_spec *s, envv *env, char **msg) {
    const lc_cluster *c = t->c;
    for (size_t i = 0; i < ci->n_volumes; i++) {
        const Mesos__V1__Volume *v = ci->volumes[i];
        const Mesos__V1__Volume__Source *src = v->source;
        const char *cp = v->container_path ? v->container_path : "";
        if (v->image) {
            if (!c->opt.ignore_images)
                return failf(msg, "container.volumes[%zu].image: the local cluster cannot run images (image '%s'); run with "
                                  "--ignore-images to run the command on the host",
                             i, image_name(v->image));
            SDK_WARN(MOD, "task %s: container.volumes[%zu]: image volume '%s' skipped (--ignore-images)", t->id, i,
                     image_name(v->image));
            continue;
        }
        if (src && src->sandbox_path) continue;
        if (src && (src->docker_volume || (src->has_type && src->type == MESOS__V1__VOLUME__SOURCE__TYPE__DOCKER_VOLUME)))
            return failf(msg, "container.volumes[%zu].source.docker_volume: the local cluster cannot mount Docker volume '%s'%s%s%s",
                         i, src->docker_volume && src->docker_volume->name ? src->docker_volume->name : "?",
                         src->docker_volume && src->docker_volume->driver ? " (driver '" : "",
                         src->docker_volume && src->docker_volume->driver ? src->docker_volume->driver : "",
                         src->docker_volume && src->docker_volume->driver ? "')" : "");
        if (src && src->has_type && src->type == MESOS__V1__VOLUME__SOURCE__TYPE__CSI_VOLUME)
            return failf(msg, "container.volumes[%zu].source: the local cluster cannot mount CSI volumes", i);
        if (src && (src->secret || (src->has_type && src->type == MESOS__V1__VOLUME__SOURCE__TYPE__SECRET))) {
            if (!path_stays_inside(cp))
                return failf(msg, "container.volumes[%zu].container_path '%s': a SECRET volume needs a relative path inside the "
                                  "sandbox (the local cluster has no container root filesystem)",
                             i, cp);
            char *where = sdk_asprintf_new("container.volumes[%zu].source.secret", i);
            uint8_t *data;
            size_t len;
            int rc = secret_bytes(c, src->secret, where, &data, &len, msg);
            free(where);
            if (rc) return rc;
            s->files = sdk_xrealloc(s->files, (s->n_files + 1) * sizeof *s->files);
            s->files[s->n_files++] = (lc_file){sdk_asprintf_new("%s/%s", t->sandbox, cp), data, len};
            continue;
        }
        const char *host = src && src->host_path ? src->host_path->path : (!src ? v->host_path : NULL);
        if (!host) {
            if (src && src->has_type && src->type == MESOS__V1__VOLUME__SOURCE__TYPE__HOST_PATH)
                return failf(msg, "container.volumes[%zu].source: HOST_PATH without host_path", i);
            continue;
        }
        char *target;
        if (*host == '/') target = sdk_xstrdup(host);
        else if (!src && path_stays_inside(host)) { /* legacy relative host_path: a sandbox path */
            target = sdk_asprintf_new("%s/%s", t->sandbox, host);
            lc_mkdirs(target);
        } else
            return failf(msg, "container.volumes[%zu]: host path '%s' must be absolute", i, host);
        struct stat sb;
        if (stat(target, &sb) != 0) {
            int rc = failf(msg, "container.volumes[%zu]: host path '%s' does not exist: %s", i, target, strerror(errno));
            free(target);
            return rc;
        }
        if (*cp == '/' && !src && *host != '/' && !strcmp(cp, "/tmp")) {
            /* The task's own /tmp (dcos-commons maps a sandbox "tmp" there): without a mount
             * namespace the task keeps the host's /tmp, and TMPDIR points at its own. */
            env_set(env, "TMPDIR", target);
            free(target);
            continue;
        }
        if (*cp == '/') {
            /* An absolute container path would need a bind mount; it is only the host path itself. */
            char *a = realpath(target, NULL), *b = realpath(cp, NULL);
            bool same = a && b && !strcmp(a, b);
            free(a);
            free(b);
            free(target);
            if (!same)
                return failf(msg, "container.volumes[%zu]: cannot mount host path '%s' at absolute container path '%s' (the "
                                  "local cluster has no mount namespace; use a relative container path)",
                             i, host, cp);
            continue;
        }
        if (!path_stays_inside(cp)) {
            free(target);
            return failf(msg, "container.volumes[%zu].container_path '%s': must be a path inside the sandbox", i, cp);
        }
        if (v->mode == MESOS__V1__VOLUME__MODE__RO)
            SDK_INFO(MOD, "task %s: container.volumes[%zu]: host path '%s' linked at '%s' is writable: a symlink cannot be read-only",
                     t->id, i, host, cp);
        s->links = sdk_xrealloc(s->links, (s->n_links + 1) * sizeof *s->links);
        s->links[s->n_links++] = (lc_link){target, sdk_asprintf_new("%s/%s", t->sandbox, cp)};
    }
    return 0;
}

/* LinuxInfo settings a process on the host cannot get: logged, the task runs without them
 * (each only takes isolation away, never something the task needs to work). Settings that ask
 * for nothing more than the host gives are not logged: share_pid_namespace (tasks always see
 * the host's pid namespace), seccomp "unconfined", ipc_mode SHARE_PARENT. Fields 5-7 (seccomp,
 * ipc_mode, shm_size) are read by name through the descriptor when our proto knows them, and
 * are reported as present when they arrive as unknown fields of an older proto. */
static bool unknown_field(const ProtobufCMessage *m, unsigned tag) {
    for (size_t i = 0; i < m->n_unknown_fields; i++)
        if (m->unknown_fields[i].tag == tag) return true;
    return false;
}

/* Address of known optional field `name` of m when it is set, else NULL. */
static const void *field_if_set(const ProtobufCMessage *m, const char *name) {
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
    if (!f || f->label == PROTOBUF_C_LABEL_REPEATED) return NULL;
    const char *at = (const char *)m + f->offset;
    if (f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING)
        return *(const void *const *)at ? *(const void *const *)at : NULL;
    if (f->quantifier_offset && *(const protobuf_c_boolean *)((const char *)m + f->quantifier_offset)) return at;
    return NULL;
}

static void linux_info_warn(const lc_task *t, const Mesos__V1__LinuxInfo *li) {
    if (!li) return;
    if (li->bounding_capabilities || li->effective_capabilities)
        SDK_WARN(MOD, "task %s: container.linux_info capabilities are not applied by the local cluster", t->id);
    const ProtobufCMessage *seccomp = field_if_set(&li->base, "seccomp");
    const char *const *profile = seccomp ? field_if_set(seccomp, "profile_name") : NULL;
    if (profile || unknown_field(&li->base, 5))
        SDK_WARN(MOD, "task %s: container.linux_info.seccomp%s%s%s is not applied by the local cluster (the task runs "
                      "unconfined)",
                 t->id, profile ? " profile '" : "", profile ? *profile : "", profile ? "'" : "");
    const int *ipc = field_if_set(&li->base, "ipc_mode");
    if ((ipc && *ipc == 1 /* PRIVATE */) || unknown_field(&li->base, 6))
        SDK_WARN(MOD, "task %s: container.linux_info.ipc_mode: the task shares the host's IPC namespace", t->id);
    if (field_if_set(&li->base, "shm_size") || unknown_field(&li->base, 7))
        SDK_WARN(MOD, "task %s: container.linux_info.shm_size is not applied (the task uses the host's /dev/shm)", t->id);
}

static int container_build(const lc_task *t, lc_launch_spec *s, envv *env, char **msg) {
    const Mesos__V1__ContainerInfo *ci = t->info->container;
    const lc_cluster *c = t->c;
    if (ci) {
        if (ci->mesos && ci->mesos->image) {
            if (!c->opt.ignore_images)
                return failf(msg, "container.mesos.image: the local cluster cannot run images (image '%s'); run with "
                                  "--ignore-images to run the command on the host",
                             image_name(ci->mesos->image));
            SDK_WARN(MOD, "task %s: container.mesos.image '%s' ignored (--ignore-images): the command runs on the host", t->id,
                     image_name(ci->mesos->image));
        }
        for (size_t i = 0; i < ci->n_network_infos; i++) {
            const char *net = ci->network_infos[i]->name;
            if (!net) continue;
            if (!c->opt.ignore_networks)
                return failf(msg, "container.network_infos[%zu].name: the local cluster cannot join virtual network '%s'; run "
                                  "with --ignore-networks to run the task on the host network",
                             i, net);
            SDK_WARN(MOD, "task %s: virtual network '%s' ignored (--ignore-networks): the task uses the host network", t->id, net);
        }
        linux_info_warn(t, ci->linux_info);
        if (rlimits_build(ci->rlimit_info, s, msg) != 0) return -1;
        if (volumes_build(t, ci, s, env, msg) != 0) return -1;
    }
    const Mesos__V1__CommandInfo *cmd = t->info->command;
    if (cmd && cmd->n_uris && c->opt.ignore_uris) {
        SDK_WARN(MOD, "task %s: %zu URI(s) not fetched (--ignore-uris), the first '%s'", t->id, cmd->n_uris,
                 cmd->uris[0]->value);
        return 0;
    }
    for (size_t i = 0; cmd && i < cmd->n_uris; i++) {
        const Mesos__V1__CommandInfo__URI *u = cmd->uris[i];
        if (u->output_file && !path_stays_inside(u->output_file))
            return failf(msg, "command.uris[%zu].output_file '%s': must be a relative path inside the sandbox", i, u->output_file);
        s->uris = sdk_xrealloc(s->uris, (s->n_uris + 1) * sizeof *s->uris);
        s->uris[s->n_uris++] = (lc_uri){sdk_xstrdup(u->value), sdk_xstrdup(u->output_file),
                                        u->has_executable && u->executable, !u->has_extract || u->extract};
    }
    return 0;
}

int lc_container_spec(const lc_task *t, const Mesos__V1__CommandInfo *cmd, const char *out_name, bool setup,
                      lc_launch_spec *s, char **msg) {
    memset(s, 0, sizeof *s);
    *msg = NULL;
    envv e = {NULL, 0};
    if (env_build(t, cmd, &e, msg) != 0 || (setup && container_build(t, s, &e, msg) != 0)) {
        s->env = e.v;
        lc_launch_spec_free(s);
        return -1;
    }
    s->env = e.v;
    bool shell = !cmd->has_shell || cmd->shell;
    size_t argc = 0;
    if (shell) {
        s->argv = sdk_xcalloc(4, sizeof *s->argv);
        s->argv[0] = sdk_xstrdup("sh");
        s->argv[1] = sdk_xstrdup("-c");
        s->argv[2] = sdk_xstrdup(cmd->value ? cmd->value : "");
        s->path = sdk_xstrdup("/bin/sh");
    } else {
        s->argv = sdk_xcalloc(cmd->n_arguments + 2, sizeof *s->argv);
        for (size_t i = 0; i < cmd->n_arguments; i++) s->argv[argc++] = sdk_xstrdup(cmd->arguments[i]);
        if (!argc) s->argv[argc++] = sdk_xstrdup(cmd->value);
        s->path = sdk_xstrdup(cmd->value ? cmd->value : "");
    }
    s->sandbox = sdk_xstrdup(t->sandbox);
    s->out = out_name ? sdk_asprintf_new("%s/%s", t->sandbox, out_name) : sdk_xstrdup("/dev/null");
    s->err = out_name ? sdk_asprintf_new("%s/stderr", t->sandbox) : sdk_xstrdup("/dev/null");
    return 0;
}

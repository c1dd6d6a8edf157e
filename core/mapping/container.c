/* Pod/task spec -> mesos.v1.ContainerInfo of tasks and executors (see mapping.h). Follows
 * dcos-commons offer/evaluate/PodInfoBuilder.java getContainerInfo(): the task container
 * (isTaskContainer) gets the image, share_pid_namespace, seccomp and /tmp; the executor
 * container gets the networks and the pod's ipc_mode/shm_size; both get rlimits and the host,
 * external and secret volumes. Messages are built on the heap and released with
 * protobuf_c_message_free_unpacked(.., NULL) after packing. */
#include "core/mapping/mapping.h"
#include "core/mapping/pb_internal.h"
#include "core/spec/envfile.h"
#include "core/util/str.h"
#include "mesos/proto/mesos.pb-c.h"
#include <stdlib.h>
#include <string.h>


bool sdk_mapping_network_maps_ports(const char *name) { return name && strcmp(name, "mesos-bridge") == 0; }

bool sdk_mapping_pod_uses_host_ports(const sdk_pod_spec *pod) {
    if (!pod->n_networks) return true;
    for (size_t i = 0; i < pod->n_networks; i++)
        if (sdk_mapping_network_maps_ports(pod->networks[i].name)) return true;
    return false;
}

bool sdk_mapping_uses_gpus(const sdk_spec *spec) {
    for (size_t i = 0; spec && i < spec->n_pods; i++)
        for (size_t r = 0; r < spec->pods[i].n_resource_sets; r++)
            if (spec->pods[i].resource_sets[r].gpus > 0) return true;
    return false;
}

sdk_kv *sdk_mapping_secret_env_new(const sdk_pod_spec *pod, size_t *n) {
    *n = 0;
    size_t cnt = 0;
    for (size_t i = 0; i < pod->n_secrets; i++) cnt += pod->secrets[i].env_key != NULL;
    if (!cnt) return NULL;
    sdk_kv *kv = sdk_xcalloc(cnt, sizeof *kv);
    for (size_t i = 0; i < pod->n_secrets; i++) {
        const sdk_secret_spec *s = &pod->secrets[i];
        if (!s->env_key) continue;
        kv[*n].key = sdk_xstrdup(s->env_key);
        kv[*n].value = sdk_xstrdup(s->secret ? s->secret : "");
        (*n)++;
    }
    return kv;
}

char *sdk_mapping_docker_volume_name_new(const char *service, const sdk_pod_spec *pod,
                                         const sdk_external_volume_spec *v, int64_t index, sdk_kv **opts,
                                         size_t *n_opts) {
    char *err = NULL;
    *opts = NULL;
    *n_opts = 0;
    /* the parser has refused malformed options; a spec built otherwise just gets none */
    if (sdk_driver_options_split_new(v->driver_options, opts, n_opts, &err)) free(err);
    bool pxd = sdk_streq(v->driver_name, "pxd");
    char *base = v->volume_name ? sdk_xstrdup(v->volume_name)
                                : sdk_asprintf_new("%s%c%s", service ? service : "", pxd ? '-' : '_', pod->type);
    char *esc = sdk_name_escape_slashes_new(base);
    free(base);
    char *name;
    if (pxd) {
        bool shared = false;
        bool has_nodes = false;
        for (size_t i = 0; i < *n_opts; i++) {
            if (!strcmp((*opts)[i].key, "shared") && !strcmp((*opts)[i].value, "true")) shared = true;
            if (!strcmp((*opts)[i].key, "nodes")) {
                /* PortworxVolumeProvider: options.put("nodes", "LocalNode") overrides */
                free((*opts)[i].value);
                (*opts)[i].value = sdk_xstrdup("LocalNode");
                has_nodes = true;
            }
        }
        if (!has_nodes) {
            *opts = sdk_xrealloc(*opts, (*n_opts + 1) * sizeof **opts);
            (*opts)[*n_opts].key = sdk_xstrdup("nodes");
            (*opts)[*n_opts].value = sdk_xstrdup("LocalNode");
            (*n_opts)++;
        }
        name = shared ? sdk_xstrdup(esc) : sdk_asprintf_new("%s-%lld", esc, (long long)index);
    } else {
        name = sdk_asprintf_new("%s_%lld", esc, (long long)index);
    }
    free(esc);
    return name;
}

/* ---------------------------------------------------------------- message builders */

static Mesos__V1__Volume *volume_new(const char *container_path, bool read_only) {
    Mesos__V1__Volume *v = NEW(Mesos__V1__Volume, mesos__v1__volume__init);
    v->mode = read_only ? MESOS__V1__VOLUME__MODE__RO : MESOS__V1__VOLUME__MODE__RW;
    v->container_path = sdk_xstrdup(container_path ? container_path : "");
    return v;
}

static Mesos__V1__Volume__Source *source_new(Mesos__V1__Volume__Source__Type type) {
    Mesos__V1__Volume__Source *s = NEW(Mesos__V1__Volume__Source, mesos__v1__volume__source__init);
    s->has_type = 1;
    s->type = type;
    return s;
}

static Mesos__V1__Secret *reference_secret_new(const char *path) {
    Mesos__V1__Secret *s = NEW(Mesos__V1__Secret, mesos__v1__secret__init);
    s->has_type = 1;
    s->type = MESOS__V1__SECRET__TYPE__REFERENCE;
    s->reference = NEW(Mesos__V1__Secret__Reference, mesos__v1__secret__reference__init);
    s->reference->name = sdk_xstrdup(path ? path : "");
    return s;
}

Mesos__V1__Labels *sdk_mapping_labels_pb_new(const sdk_kv *kv, size_t n) {
    Mesos__V1__Labels *l = NEW(Mesos__V1__Labels, mesos__v1__labels__init);
    l->labels = sdk_xcalloc(n ? n : 1, sizeof *l->labels);
    for (size_t i = 0; i < n; i++) {
        Mesos__V1__Label *x = NEW(Mesos__V1__Label, mesos__v1__label__init);
        x->key = sdk_xstrdup(kv[i].key);
        x->value = sdk_xstrdup(kv[i].value);
        l->labels[l->n_labels++] = x;
    }
    return l;
}

static void add_volume(Mesos__V1__ContainerInfo *ci, Mesos__V1__Volume *v) {
    ci->volumes = sdk_xrealloc(ci->volumes, (ci->n_volumes + 1) * sizeof *ci->volumes);
    ci->volumes[ci->n_volumes++] = v;
}

/* Host volumes (a HOST_PATH source), then external volumes (DOCKER_VOLUME): upstream's
 * getExecutorInfoHostVolumes / getExecutorInfoExternalVolumes, on tasks and executor alike.
 * Upstream writes host volumes with the deprecated Volume.host_path; a Mesos agent treats a
 * HOST_PATH source the same, and it is the form the volume/host_path isolator documents. */
static void add_pod_volumes(Mesos__V1__ContainerInfo *ci, const sdk_spec *spec, const sdk_pod_spec *pod,
                            int64_t index) {
    for (size_t i = 0; i < pod->n_host_volumes; i++) {
        const sdk_host_volume_spec *h = &pod->host_volumes[i];
        Mesos__V1__Volume *v = volume_new(h->container_path, h->read_only);
        v->source = source_new(MESOS__V1__VOLUME__SOURCE__TYPE__HOST_PATH);
        v->source->host_path = NEW(Mesos__V1__Volume__Source__HostPath, mesos__v1__volume__source__host_path__init);
        v->source->host_path->path = sdk_xstrdup(h->host_path ? h->host_path : "");
        add_volume(ci, v);
    }
    for (size_t i = 0; i < pod->n_external_volumes; i++) {
        const sdk_external_volume_spec *x = &pod->external_volumes[i];
        Mesos__V1__Volume *v = volume_new(x->container_path, x->read_only);
        v->source = source_new(MESOS__V1__VOLUME__SOURCE__TYPE__DOCKER_VOLUME);
        Mesos__V1__Volume__Source__DockerVolume *d =
            NEW(Mesos__V1__Volume__Source__DockerVolume, mesos__v1__volume__source__docker_volume__init);
        sdk_kv *opts = NULL;
        size_t n_opts = 0;
        d->name = sdk_mapping_docker_volume_name_new(spec ? spec->name : "", pod, x, index, &opts, &n_opts);
        d->driver = sdk_xstrdup(x->driver_name);
        d->driver_options = NEW(Mesos__V1__Parameters, mesos__v1__parameters__init);
        d->driver_options->parameter = sdk_xcalloc(n_opts ? n_opts : 1, sizeof *d->driver_options->parameter);
        for (size_t k = 0; k < n_opts; k++) {
            Mesos__V1__Parameter *p = NEW(Mesos__V1__Parameter, mesos__v1__parameter__init);
            p->key = sdk_xstrdup(opts[k].key);
            p->value = sdk_xstrdup(opts[k].value);
            d->driver_options->parameter[d->driver_options->n_parameter++] = p;
        }
        sdk_envfile_free(opts, n_opts);
        v->source->docker_volume = d;
        add_volume(ci, v);
    }
}

/* File secrets: Volume{RO, container_path = file, source SECRET reference}. */
static void add_secret_volumes(Mesos__V1__ContainerInfo *ci, const sdk_pod_spec *pod) {
    for (size_t i = 0; i < pod->n_secrets; i++) {
        const sdk_secret_spec *s = &pod->secrets[i];
        if (!s->file) continue;
        Mesos__V1__Volume *v = volume_new(s->file, true);
        v->source = source_new(MESOS__V1__VOLUME__SOURCE__TYPE__SECRET);
        v->source->secret = reference_secret_new(s->secret);
        add_volume(ci, v);
    }
}

/* RLMT_X for "RLIMIT_X" (RLimitSpec: the proto enum names with RLMT spelled RLIMIT). */
static Mesos__V1__RLimitInfo__RLimit__Type rlimit_type(const char *name) {
    if (name && !strncmp(name, "RLIMIT_", 7)) {
        char *pb = sdk_asprintf_new("RLMT_%s", name + 7);
        const ProtobufCEnumValue *ev =
            protobuf_c_enum_descriptor_get_value_by_name(&mesos__v1__rlimit_info__rlimit__type__descriptor, pb);
        free(pb);
        if (ev) return (Mesos__V1__RLimitInfo__RLimit__Type)ev->value;
    }
    return MESOS__V1__RLIMIT_INFO__RLIMIT__TYPE__UNKNOWN;
}

/* getRLimitInfo: unlimited (both unset or both -1) leaves soft and hard unset. */
static Mesos__V1__RLimitInfo *rlimits_new(const sdk_pod_spec *pod) {
    Mesos__V1__RLimitInfo *ri = NEW(Mesos__V1__RLimitInfo, mesos__v1__rlimit_info__init);
    ri->rlimits = sdk_xcalloc(pod->n_rlimits ? pod->n_rlimits : 1, sizeof *ri->rlimits);
    for (size_t i = 0; i < pod->n_rlimits; i++) {
        const sdk_rlimit_spec *r = &pod->rlimits[i];
        Mesos__V1__RLimitInfo__RLimit *x = NEW(Mesos__V1__RLimitInfo__RLimit, mesos__v1__rlimit_info__rlimit__init);
        x->has_type = 1;
        x->type = rlimit_type(r->name);
        if (!r->unlimited) {
            x->has_soft = x->has_hard = 1;
            x->soft = (uint64_t)r->soft;
            x->hard = (uint64_t)r->hard;
        }
        ri->rlimits[ri->n_rlimits++] = x;
    }
    return ri;
}

static Mesos__V1__NetworkInfo *network_new(const sdk_pod_spec *pod, const sdk_network_spec *n) {
    Mesos__V1__NetworkInfo *ni = NEW(Mesos__V1__NetworkInfo, mesos__v1__network_info__init);
    ni->name = sdk_xstrdup(n->name);
    if (sdk_mapping_network_maps_ports(n->name)) {
        /* convertNetwork: the explicit host:container pairs, then every task port of the pod that
         * no pair maps gets host = container. Dynamic ports (0) have no number yet and are left
         * out (upstream would write a meaningless 0:0 pair). */
        size_t cap = n->n_port_mappings;
        for (size_t r = 0; r < pod->n_resource_sets; r++) cap += pod->resource_sets[r].n_ports;
        ni->port_mappings = sdk_xcalloc(cap ? cap : 1, sizeof *ni->port_mappings);
        for (size_t i = 0; i < n->n_port_mappings; i++) {
            Mesos__V1__NetworkInfo__PortMapping *m =
                NEW(Mesos__V1__NetworkInfo__PortMapping, mesos__v1__network_info__port_mapping__init);
            m->host_port = n->host_ports[i];
            m->container_port = n->container_ports[i];
            ni->port_mappings[ni->n_port_mappings++] = m;
        }
        for (size_t r = 0; r < pod->n_resource_sets; r++)
            for (size_t k = 0; k < pod->resource_sets[r].n_ports; k++) {
                uint32_t port = pod->resource_sets[r].ports[k].port;
                bool mapped = port == 0;
                for (size_t i = 0; i < ni->n_port_mappings && !mapped; i++) mapped = ni->port_mappings[i]->host_port == port;
                if (mapped) continue;
                Mesos__V1__NetworkInfo__PortMapping *m =
                    NEW(Mesos__V1__NetworkInfo__PortMapping, mesos__v1__network_info__port_mapping__init);
                m->host_port = m->container_port = port;
                ni->port_mappings[ni->n_port_mappings++] = m;
            }
    }
    sdk_kv *kv = NULL;
    size_t nkv = 0;
    char *err = NULL;
    if (sdk_labels_csv_split_new(n->labels, &kv, &nkv, &err)) free(err); /* refused by the parser */
    if (nkv) ni->labels = sdk_mapping_labels_pb_new(kv, nkv);
    sdk_envfile_free(kv, nkv);
    return ni;
}

static Mesos__V1__LinuxInfo *linux_new(void) {
    Mesos__V1__LinuxInfo *li = NEW(Mesos__V1__LinuxInfo, mesos__v1__linux_info__init);
    li->has_share_cgroups = 1;
    li->share_cgroups = 0; /* own cgroups: TaskInfo.limits need it (mesos.proto LinuxInfo) */
    return li;
}

static void set_ipc(Mesos__V1__LinuxInfo *li, const char *mode, int64_t shm_mb) {
    if (mode) {
        li->has_ipc_mode = 1;
        li->ipc_mode = !strcmp(mode, "SHARE_PARENT") ? MESOS__V1__LINUX_INFO__IPC_MODE__SHARE_PARENT
                                                     : MESOS__V1__LINUX_INFO__IPC_MODE__PRIVATE;
    }
    if (shm_mb > 0) {
        li->has_shm_size = 1;
        li->shm_size = (uint32_t)(shm_mb > UINT32_MAX ? UINT32_MAX : shm_mb);
    }
}

static Mesos__V1__ContainerInfo *container_new(void) {
    Mesos__V1__ContainerInfo *ci = NEW(Mesos__V1__ContainerInfo, mesos__v1__container_info__init);
    ci->type = MESOS__V1__CONTAINER_INFO__TYPE__MESOS;
    ci->linux_info = linux_new();
    return ci;
}

static void pack_free(Mesos__V1__ContainerInfo *ci, void **buf, size_t *len) {
    *len = mesos__v1__container_info__get_packed_size(ci);
    *buf = sdk_xmalloc(*len ? *len : 1);
    mesos__v1__container_info__pack(ci, *buf);
    protobuf_c_message_free_unpacked(&ci->base, NULL);
}

void sdk_mapping_task_container_new(const sdk_spec *spec, const sdk_pod_spec *pod, const sdk_task_spec *t,
                                    int64_t index, void **buf, size_t *len) {
    Mesos__V1__ContainerInfo *ci = container_new();
    Mesos__V1__LinuxInfo *li = ci->linux_info;
    li->has_share_pid_namespace = 1;
    li->share_pid_namespace = pod->share_pid_namespace;
    if (pod->seccomp_unconfined || pod->seccomp_profile_name) {
        li->seccomp = NEW(Mesos__V1__SeccompInfo, mesos__v1__seccomp_info__init);
        if (pod->seccomp_profile_name) {
            li->seccomp->profile_name = sdk_xstrdup(pod->seccomp_profile_name);
        } else {
            li->seccomp->has_unconfined = 1;
            li->seccomp->unconfined = 1;
        }
    }
    set_ipc(li, t->ipc_mode, t->shm_size_mb);
    /* The task's tmp: upstream's "Isolate the tmp directory of tasks", a sandbox-relative
     * Volume.host_path (the form the Mesos filesystem/linux isolator reads as sandbox-relative). */
    Mesos__V1__Volume *tmp = volume_new("/tmp", false);
    tmp->host_path = sdk_xstrdup("tmp");
    add_volume(ci, tmp);
    add_pod_volumes(ci, spec, pod, index);
    if (pod->image && *pod->image) {
        ci->mesos = NEW(Mesos__V1__ContainerInfo__MesosInfo, mesos__v1__container_info__mesos_info__init);
        ci->mesos->image = NEW(Mesos__V1__Image, mesos__v1__image__init);
        ci->mesos->image->type = MESOS__V1__IMAGE__TYPE__DOCKER;
        ci->mesos->image->docker = NEW(Mesos__V1__Image__Docker, mesos__v1__image__docker__init);
        ci->mesos->image->docker->name = sdk_xstrdup(pod->image);
    }
    if (pod->n_rlimits) ci->rlimit_info = rlimits_new(pod);
    add_secret_volumes(ci, pod);
    /* Pod volumes belong to the executor; each task sees them at the same path through a
     * SANDBOX_PATH PARENT volume (PodInfoBuilder.setExecutorVolume). */
    for (size_t i = 0; i < pod->n_volumes; i++) {
        Mesos__V1__Volume *v = volume_new(pod->volumes[i].path, false);
        v->source = source_new(MESOS__V1__VOLUME__SOURCE__TYPE__SANDBOX_PATH);
        v->source->sandbox_path =
            NEW(Mesos__V1__Volume__Source__SandboxPath, mesos__v1__volume__source__sandbox_path__init);
        v->source->sandbox_path->has_type = 1;
        v->source->sandbox_path->type = MESOS__V1__VOLUME__SOURCE__SANDBOX_PATH__TYPE__PARENT;
        v->source->sandbox_path->path = sdk_xstrdup(pod->volumes[i].path);
        add_volume(ci, v);
    }
    pack_free(ci, buf, len);
}

void sdk_mapping_executor_container_new(const sdk_spec *spec, const sdk_pod_spec *pod, int64_t index, void **buf,
                                        size_t *len) {
    Mesos__V1__ContainerInfo *ci = container_new();
    set_ipc(ci->linux_info, pod->ipc_mode, pod->shm_size_mb);
    add_pod_volumes(ci, spec, pod, index);
    if (pod->n_networks) {
        ci->network_infos = sdk_xcalloc(pod->n_networks, sizeof *ci->network_infos);
        for (size_t i = 0; i < pod->n_networks; i++)
            ci->network_infos[ci->n_network_infos++] = network_new(pod, &pod->networks[i]);
    }
    if (pod->n_rlimits) ci->rlimit_info = rlimits_new(pod);
    add_secret_volumes(ci, pod);
    pack_free(ci, buf, len);
}

/* localcluster: a single-process stand-in for a Mesos master with N agents (see
 * docs/localcluster.md). Flags, workdir lock, start-up and clean shutdown. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/app/version.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include "core/util/uuid.h"
#include "local/lc.h"

#define DEFAULT_RESOURCES "cpus:4;mem:8192;disk:20000;ports:[10000-12000]"

static void usage(FILE *f) {
    fprintf(f,
            "usage: localcluster --workdir DIR [options]\n"
            "  --port P                 master port (default 5050; 0 = any free port)\n"
            "  --bind HOST              listen address (default 127.0.0.1)\n"
            "  --workdir DIR            sandboxes, volumes and state.json live here (required)\n"
            "  --agents N               number of simulated agents (default 1, at most 100000)\n"
            "  --agent-resources SPEC   e.g. \"%s\"; static reservations as cpus(role):2.\n"
            "                           Repeat the flag to give agent 0, 1, ... their own; the last repeats.\n"
            "  --agent-attributes SPEC  e.g. \"zone:a;region:r;rack:r1\" (zone+region also set the fault domain);\n"
            "                           repeatable like --agent-resources\n"
            "  --hostname H             master hostname (default localhost)\n"
            "  --simulate-tasks         no processes: tasks go STARTING -> RUNNING, checks pass, kill -> KILLED;\n"
            "                           no sandbox or volume directories either (volumes are bookkeeping)\n"
            "  --heartbeat-seconds S    heartbeat interval (default 15, as Mesos)\n"
            "  --allocation-interval-ms MS  allocation cycle (default 1000, as Mesos)\n"
            "  --status-retry-seconds S first retry of an unacknowledged status update (default 10, as Mesos)\n"
            "  --secrets-dir DIR        resolve secret references: secret 'a/b' is the file DIR/a/b (key k: DIR/a/b/k)\n"
            "  --ignore-images          run the command of a task with a container image on the host (with a warning)\n"
            "                           instead of failing it\n"
            "  --ignore-networks        run a task that asks for a named (virtual) network on the host network\n"
            "                           (with a warning) instead of failing it\n"
            "  --ignore-uris            fetch no URI (offline use): tasks start without their CommandInfo.uris,\n"
            "                           with a warning, instead of fetching them\n"
            "  --version                print the version, git commit and plugin ABI version\n",
            DEFAULT_RESOURCES);
}

static void push(char ***v, size_t *n, const char *s) {
    *v = sdk_xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = sdk_xstrdup(s);
}

int main(int argc, char **argv) {
    lc_cluster c;
    memset(&c, 0, sizeof c);
    c.state_log_fd = -1;
    sdk_buf_init(&c.state_pending);
    c.opt.n_agents = 1;
    c.opt.heartbeat_s = 15.0;
    c.opt.allocation_ms = 1000;
    c.opt.retry_ms = 10000;
    const char *port = "5050", *bind = "127.0.0.1";
    int exit_code = 2;
    static const struct option opts[] = {
        {"port", required_argument, 0, 'p'},          {"bind", required_argument, 0, 'b'},
        {"workdir", required_argument, 0, 'w'},       {"agents", required_argument, 0, 'n'},
        {"agent-resources", required_argument, 0, 'r'}, {"agent-attributes", required_argument, 0, 'a'},
        {"hostname", required_argument, 0, 'H'},      {"simulate-tasks", no_argument, 0, 's'},
        {"heartbeat-seconds", required_argument, 0, 'B'}, {"allocation-interval-ms", required_argument, 0, 'A'},
        {"status-retry-seconds", required_argument, 0, 'R'}, {"help", no_argument, 0, 'h'},
        {"secrets-dir", required_argument, 0, 'S'},   {"ignore-images", no_argument, 0, 'I'},
        {"ignore-networks", no_argument, 0, 'N'},     {"ignore-uris", no_argument, 0, 'U'},
        {"version", no_argument, 0, 'V'}, {0, 0, 0, 0}};
    int ch;
    char *end;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'p': port = optarg; break;
        case 'b': bind = optarg; break;
        case 'w': c.opt.workdir = sdk_xstrdup(optarg); break;
        case 'n':
            c.opt.n_agents = (int)strtol(optarg, &end, 10);
            if (*end || c.opt.n_agents < 1 || c.opt.n_agents > LC_MAX_AGENTS) {
                fprintf(stderr, "localcluster: --agents %s: expected a number from 1 to %d\n", optarg, LC_MAX_AGENTS);
                goto bad_flags;
            }
            break;
        case 'r': push(&c.opt.agent_resources, &c.opt.n_agent_resources, optarg); break;
        case 'a': push(&c.opt.agent_attributes, &c.opt.n_agent_attributes, optarg); break;
        case 'H': c.opt.hostname = sdk_xstrdup(optarg); break;
        case 's': c.opt.simulate = true; break;
        case 'B':
            c.opt.heartbeat_s = strtod(optarg, &end);
            if (*end || c.opt.heartbeat_s < 0.01) {
                fprintf(stderr, "localcluster: --heartbeat-seconds %s: expected a positive number\n", optarg);
                goto bad_flags;
            }
            break;
        case 'A':
            c.opt.allocation_ms = strtoull(optarg, &end, 10);
            if (*end || !c.opt.allocation_ms) {
                fprintf(stderr, "localcluster: --allocation-interval-ms %s: expected a positive number\n", optarg);
                goto bad_flags;
            }
            break;
        case 'R': {
            double s = strtod(optarg, &end);
            if (*end || s <= 0) {
                fprintf(stderr, "localcluster: --status-retry-seconds %s: expected a positive number\n", optarg);
                goto bad_flags;
            }
            c.opt.retry_ms = (uint64_t)(s * 1000);
            break;
        }
        case 'S': {
            /* Absolute and symlink-free, so a resolved secret can be checked to stay inside. */
            char *real = realpath(optarg, NULL);
            struct stat sb;
            if (!real || stat(real, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
                fprintf(stderr, "localcluster: --secrets-dir %s: %s\n", optarg, real ? "not a directory" : strerror(errno));
                free(real);
                goto bad_flags;
            }
            free(c.opt.secrets_dir);
            c.opt.secrets_dir = real;
            break;
        }
        case 'I': c.opt.ignore_images = true; break;
        case 'N': c.opt.ignore_networks = true; break;
        case 'U': c.opt.ignore_uris = true; break;
        case 'h': usage(stdout); exit_code = 0; goto bad_flags;
        case 'V': sdk_version_print(stdout, "localcluster"); exit_code = 0; goto bad_flags;
        default: usage(stderr); goto bad_flags;
        }
    }
    if (optind < argc || !c.opt.workdir) {
        fprintf(stderr, optind < argc ? "localcluster: unexpected argument '%s'\n" : "localcluster: --workdir is required\n",
                optind < argc ? argv[optind] : "");
        usage(stderr);
        goto bad_flags;
    }
    if (!c.opt.hostname) c.opt.hostname = sdk_xstrdup("localhost");
    c.opt.bind = sdk_asprintf_new("%s:%s", bind, port);
    lc_mkdirs(c.opt.workdir);
    /* Absolute from here on: sandboxes link to volumes and executor directories by this path,
     * and a relative link would resolve against the sandbox, not our working directory. */
    char *abs = realpath(c.opt.workdir, NULL);
    if (!abs) {
        fprintf(stderr, "localcluster: --workdir %s: %s\n", c.opt.workdir, strerror(errno));
        exit_code = 1;
        goto bad_flags;
    }
    free(c.opt.workdir);
    c.opt.workdir = abs;
    char *lockp = sdk_asprintf_new("%s/.lock", c.opt.workdir);
    int lockfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB) != 0) {
        fprintf(stderr, "localcluster: %s: %s (is another localcluster using this --workdir?)\n", lockp,
                lockfd < 0 ? strerror(errno) : "locked");
        free(lockp);
        if (lockfd >= 0) close(lockfd);
        exit_code = 1;
        goto bad_flags;
    }
    free(lockp);
    /* Whatever a local cluster killed with -9 left running on this work dir dies now. */
    lc_procs_cleanup(&c);
    signal(SIGPIPE, SIG_IGN);
    sdk_uuid_generate(c.master_id);

    int rc = 1;
    sdk_errors errs;
    sdk_errors_init(&errs);
    c.n_agents = (size_t)c.opt.n_agents;
    c.agents = sdk_xcalloc(c.n_agents, sizeof *c.agents);
    for (size_t i = 0; i < c.n_agents; i++) {
        lc_agent *a = sdk_xcalloc(1, sizeof *a);
        c.agents[i] = a;
        a->c = &c;
        a->idx = (int)i;
        /* a distinct loopback address per agent: 127.0.0.1 ... 127.0.0.255, 127.0.1.0, ... (all of
         * 127/8 reaches this host; the first 255 agents keep the addresses they always had) */
        a->hostname = sdk_asprintf_new("127.%zu.%zu.%zu", ((i + 1) >> 16) & 255, ((i + 1) >> 8) & 255, (i + 1) & 255);
        sdk_resources_init(&a->total);
        sdk_resources_init(&a->used);
        const char *rs = c.opt.n_agent_resources
                             ? c.opt.agent_resources[i < c.opt.n_agent_resources ? i : c.opt.n_agent_resources - 1]
                             : DEFAULT_RESOURCES;
        if (lc_parse_resources(rs, &a->total, &errs) != 0) {
            sdk_errors_print(&errs, "localcluster: --agent-resources");
            goto out;
        }
        /* MOUNT disks: a relative root is the agent's own directory under the work dir
         * (<workdir>/mounts/<agent index>/<root>); roots are made when missing (a Mesos agent
         * would refuse to start instead: here they stand for disks that are not there). */
        for (size_t k = 0; k < a->total.n; k++) {
            sdk_resource *r = &a->total.v[k];
            if (r->disk_source != SDK_DISK_MOUNT || !r->disk_source_root) continue;
            if (r->disk_source_root[0] != '/') {
                char *abs_root = sdk_asprintf_new("%s/mounts/%zu/%s", c.opt.workdir, i, r->disk_source_root);
                free(r->disk_source_root);
                r->disk_source_root = abs_root;
            }
            lc_mkdirs(r->disk_source_root);
        }
        if (c.opt.n_agent_attributes) {
            const char *as = c.opt.agent_attributes[i < c.opt.n_agent_attributes ? i : c.opt.n_agent_attributes - 1];
            if (lc_parse_attributes(as, &a->attrs, &a->n_attrs, &errs) != 0) {
                sdk_errors_print(&errs, "localcluster: --agent-attributes");
                goto out;
            }
            for (size_t k = 0; k < a->n_attrs; k++) {
                if (!strcmp(a->attrs[k].name, "zone")) a->zone = a->attrs[k].text;
                if (!strcmp(a->attrs[k].name, "region")) a->region = a->attrs[k].text;
            }
        }
    }
    if (lc_state_load(&c, &errs) != 0) {
        sdk_errors_print(&errs, "localcluster");
        goto out;
    }
    for (size_t i = 0; i < c.n_agents; i++)
        if (!c.agents[i]->id) c.agents[i]->id = sdk_asprintf_new("%s-S%u", c.master_id, c.next_agent++);
    if (lc_state_save(&c) != 0) goto out;
    if (sdk_loop_new(&c.loop) != 0 || sdk_loop_handle_signals(c.loop, NULL, NULL) != 0) {
        fprintf(stderr, "localcluster: cannot create the event loop\n");
        goto out;
    }
    if (lc_cluster_start(&c, &errs) != 0) {
        sdk_errors_print(&errs, "localcluster");
        goto out;
    }
    char *portfile = sdk_asprintf_new("%s/port", c.opt.workdir);
    FILE *pf = fopen(portfile, "w");
    if (pf) {
        fprintf(pf, "%u\n", c.port);
        fclose(pf);
    }
    free(portfile);
    printf("localcluster: master %s listening on http://%s:%u with %zu agent(s)%s, workdir %s\n", c.master_id,
           strcmp(bind, "*") == 0 ? "0.0.0.0" : bind, c.port, c.n_agents, c.opt.simulate ? " (simulated tasks)" : "",
           c.opt.workdir);
    fflush(stdout);
    sdk_loop_run(c.loop);
    SDK_INFO("localcluster", "shutting down: killing every task");
    rc = 0;
out:
    if (c.loop) lc_cluster_stop(&c);
    for (size_t i = 0; i < c.n_agents; i++) {
        lc_agent *a = c.agents[i];
        if (!a) continue;
        free(a->id);
        free(a->hostname);
        sdk_resources_free(&a->total);
        sdk_resources_free(&a->used);
        sdk_resources_free(&a->free);
        lc_attrs_free(a->attrs, a->n_attrs);
        free(a);
    }
    free(c.agents);
    sdk_loop_free(c.loop);
    sdk_errors_free(&errs);
    for (size_t i = 0; i < c.opt.n_agent_resources; i++) free(c.opt.agent_resources[i]);
    for (size_t i = 0; i < c.opt.n_agent_attributes; i++) free(c.opt.agent_attributes[i]);
    free(c.opt.agent_resources);
    free(c.opt.agent_attributes);
    free(c.opt.workdir);
    free(c.opt.hostname);
    free(c.opt.bind);
    free(c.opt.secrets_dir);
    close(lockfd);
    return rc;
bad_flags:
    for (size_t i = 0; i < c.opt.n_agent_resources; i++) free(c.opt.agent_resources[i]);
    for (size_t i = 0; i < c.opt.n_agent_attributes; i++) free(c.opt.agent_attributes[i]);
    free(c.opt.agent_resources);
    free(c.opt.agent_attributes);
    free(c.opt.workdir);
    free(c.opt.hostname);
    free(c.opt.bind);
    free(c.opt.secrets_dir);
    return exit_code;
}

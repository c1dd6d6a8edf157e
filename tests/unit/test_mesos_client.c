/* The Mesos v1 client against a fake master on 127.0.0.1: a small raw-socket HTTP server on the
 * same loop (it needs a Mesos-Stream-Id header on a chunked response and must be able to break
 * streams in the middle of a record, which is easiest with bare sockets). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "core/loop/loop.h"
#include "core/mesos/client.h"
#include "core/mesos/detect.h"
#include "core/mapping/taskinfo.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include "core/util/uuid.h"
#include "mesos/proto/scheduler.pb-c.h"
#include "mesos/recordio.h"
#include "mesos/resources_pb.h"

typedef Mesos__V1__Scheduler__Call Call;
typedef Mesos__V1__Scheduler__Event Event;

/* ------------------------------------------------------------------ fake master */

#define MAX_REQS 256
#define MAX_CONNS 32

typedef struct fm_req {
    char *path, *ctype, *accept, *sid;
    bool has_expect, has_sid;
    Call *call; /* NULL when the body is not a Call */
} fm_req;

typedef struct fm_conn {
    int fd;
    sdk_buf in;
    struct fm *m;
} fm_conn;

enum { MODE_OK, MODE_REDIRECT, MODE_503, MODE_400 };

typedef struct fm {
    sdk_loop *loop;
    int lfd;
    uint16_t port;
    fm_conn conns[MAX_CONNS];
    fm_req reqs[MAX_REQS];
    size_t n_reqs;
    int stream_fd;
    char stream_id[SDK_UUID_STRLEN + 1];
    int mode;
    int n_503;            /* MODE_503: answer 503 this many times, then OK */
    uint16_t redirect_port;
    bool auto_subscribed; /* send SUBSCRIBED + HEARTBEAT at once */
    uint64_t sub_times[16];
    int subscribes;
    int open_conns, max_open_conns; /* call connections (the stream's included) open at once */
} fm;

static void fm_write(int fd, const void *p, size_t n) {
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        c += w;
        n -= (size_t)w;
    }
}

static void fm_conn_close(fm_conn *k) {
    if (k->fd < 0) return;
    k->m->open_conns--;
    sdk_loop_unwatch_fd(k->m->loop, k->fd);
    if (k->m->stream_fd == k->fd) k->m->stream_fd = -1;
    close(k->fd);
    k->fd = -1;
    sdk_buf_free(&k->in);
}

static void fm_chunk(int fd, const void *p, size_t n) {
    char hdr[32];
    int h = snprintf(hdr, sizeof hdr, "%zx\r\n", n);
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_append(&b, hdr, (size_t)h);
    sdk_buf_append(&b, p, n);
    sdk_buf_append(&b, "\r\n", 2);
    fm_write(fd, b.data, b.len);
    sdk_buf_free(&b);
}

static void fm_send_raw(fm *m, const void *p, size_t n) {
    if (m->stream_fd >= 0) fm_chunk(m->stream_fd, p, n);
}

static void fm_send_event(fm *m, Event *ev) {
    size_t n = mesos__v1__scheduler__event__get_packed_size(ev);
    uint8_t *buf = sdk_xmalloc(n + 1);
    mesos__v1__scheduler__event__pack(ev, buf);
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_recordio_encode(&b, buf, n);
    fm_send_raw(m, b.data, b.len);
    sdk_buf_free(&b);
    free(buf);
}

/* Ends the stream: clean (terminating chunk) or by closing the connection. */
static void fm_end_stream(fm *m, bool clean) {
    if (m->stream_fd < 0) return;
    if (clean) fm_write(m->stream_fd, "0\r\n\r\n", 5);
    for (int i = 0; i < MAX_CONNS; i++)
        if (m->conns[i].fd == m->stream_fd) fm_conn_close(&m->conns[i]);
}

static void fm_send_subscribed(fm *m, const char *fid) {
    Mesos__V1__FrameworkID f = MESOS__V1__FRAMEWORK_ID__INIT;
    f.value = (char *)fid;
    Mesos__V1__Scheduler__Event__Subscribed s = MESOS__V1__SCHEDULER__EVENT__SUBSCRIBED__INIT;
    s.framework_id = &f;
    s.has_heartbeat_interval_seconds = 1;
    s.heartbeat_interval_seconds = 15.0;
    Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
    ev.has_type = 1;
    ev.type = MESOS__V1__SCHEDULER__EVENT__TYPE__SUBSCRIBED;
    ev.subscribed = &s;
    fm_send_event(m, &ev);
    Event hb = MESOS__V1__SCHEDULER__EVENT__INIT;
    hb.has_type = 1;
    hb.type = MESOS__V1__SCHEDULER__EVENT__TYPE__HEARTBEAT;
    fm_send_event(m, &hb);
}

static void fm_reply(int fd, int status, const char *extra, const char *body) {
    char *r = sdk_asprintf_new("HTTP/1.1 %d X\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n%s\r\n%s", status,
                               strlen(body), extra ? extra : "", body);
    fm_write(fd, r, strlen(r));
    free(r);
}

static char *hdr_get(const char *head, const char *name) {
    size_t nl = strlen(name);
    for (const char *l = strstr(head, "\r\n"); l && l[2]; l = strstr(l + 2, "\r\n")) {
        const char *s = l + 2;
        if (!strncasecmp(s, name, nl) && s[nl] == ':') {
            const char *v = s + nl + 1;
            while (*v == ' ') v++;
            return sdk_xstrndup(v, strcspn(v, "\r\n"));
        }
    }
    return NULL;
}

static void fm_handle(fm *m, fm_conn *k, fm_req *r) {
    Call *call = r->call;
    if (call && call->type == MESOS__V1__SCHEDULER__CALL__TYPE__SUBSCRIBE) {
        if (m->subscribes < 16) m->sub_times[m->subscribes] = sdk_loop_now_ms(m->loop);
        m->subscribes++;
        if (m->mode == MODE_REDIRECT) {
            char *loc = sdk_asprintf_new("Location: //127.0.0.1:%u/master/api/v1/scheduler\r\n", m->redirect_port);
            fm_reply(k->fd, 307, loc, "");
            free(loc);
            return;
        }
        if (m->mode == MODE_503 && m->n_503 > 0) {
            m->n_503--;
            fm_reply(k->fd, 503, NULL, "No leader elected");
            return;
        }
        if (m->mode == MODE_400) {
            fm_reply(k->fd, 400, NULL, "Failed to validate scheduler::Call: bad roles");
            return;
        }
        sdk_uuid_generate(m->stream_id);
        char *h = sdk_asprintf_new("HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\n"
                                   "Transfer-Encoding: chunked\r\nMesos-Stream-Id: %s\r\n\r\n", m->stream_id);
        fm_write(k->fd, h, strlen(h));
        free(h);
        if (m->stream_fd >= 0) fm_end_stream(m, true);
        m->stream_fd = k->fd;
        if (m->auto_subscribed) fm_send_subscribed(m, "M-0000");
        return;
    }
    fm_reply(k->fd, 202, NULL, "");
}

static void fm_on_conn(sdk_loop *l, int fd, int events, void *ud) {
    (void)l;
    (void)fd;
    (void)events;
    fm_conn *k = ud;
    fm *m = k->m;
    char buf[65536];
    ssize_t n = read(k->fd, buf, sizeof buf);
    if (n <= 0) {
        fm_conn_close(k);
        return;
    }
    if (k->fd == m->stream_fd) return; /* nothing more is expected on a stream */
    sdk_buf_append(&k->in, buf, (size_t)n);
    for (;;) {
        sdk_buf_putc(&k->in, '\0');
        k->in.len--;
        char *end = strstr(k->in.data, "\r\n\r\n");
        if (!end) return;
        size_t head_len = (size_t)(end - k->in.data) + 4;
        char *head = sdk_xstrndup(k->in.data, head_len);
        char *cl = hdr_get(head, "Content-Length");
        size_t blen = cl ? strtoul(cl, NULL, 10) : 0;
        free(cl);
        if (k->in.len < head_len + blen) {
            free(head);
            return;
        }
        if (m->n_reqs < MAX_REQS) {
            fm_req *r = &m->reqs[m->n_reqs++];
            const char *sp = strchr(head, ' ');
            r->path = sdk_xstrndup(sp + 1, strcspn(sp + 1, " ?"));
            r->ctype = hdr_get(head, "Content-Type");
            r->accept = hdr_get(head, "Accept");
            char *e = hdr_get(head, "Expect");
            r->has_expect = e != NULL;
            free(e);
            r->sid = hdr_get(head, "Mesos-Stream-Id");
            r->has_sid = r->sid != NULL;
            r->call = mesos__v1__scheduler__call__unpack(NULL, blen, (uint8_t *)k->in.data + head_len);
            fm_handle(m, k, r);
        }
        free(head);
        if (k->fd < 0) return;
        memmove(k->in.data, k->in.data + head_len + blen, k->in.len - head_len - blen);
        k->in.len -= head_len + blen;
        if (k->fd == m->stream_fd) return;
    }
}

static void fm_on_accept(sdk_loop *l, int fd, int events, void *ud) {
    (void)events;
    fm *m = ud;
    int cfd = accept(fd, NULL, NULL);
    if (cfd < 0) return;
    for (int i = 0; i < MAX_CONNS; i++) {
        if (m->conns[i].fd >= 0) continue;
        m->conns[i].fd = cfd;
        m->conns[i].m = m;
        if (++m->open_conns > m->max_open_conns) m->max_open_conns = m->open_conns;
        sdk_buf_init(&m->conns[i].in);
        sdk_loop_watch_fd(l, cfd, SDK_LOOP_READ, fm_on_conn, &m->conns[i]);
        return;
    }
    close(cfd);
}

static void fm_start(fm *m, sdk_loop *l) {
    memset(m, 0, sizeof *m);
    m->loop = l;
    m->stream_fd = -1;
    m->auto_subscribed = true;
    for (int i = 0; i < MAX_CONNS; i++) m->conns[i].fd = -1;
    m->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(m->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(m->lfd, (struct sockaddr *)&sa, sizeof sa);
    listen(m->lfd, 16);
    socklen_t sl = sizeof sa;
    getsockname(m->lfd, (struct sockaddr *)&sa, &sl);
    m->port = ntohs(sa.sin_port);
    sdk_loop_watch_fd(l, m->lfd, SDK_LOOP_READ, fm_on_accept, m);
}

static void fm_stop(fm *m) {
    for (int i = 0; i < MAX_CONNS; i++) fm_conn_close(&m->conns[i]);
    sdk_loop_unwatch_fd(m->loop, m->lfd);
    close(m->lfd);
    for (size_t i = 0; i < m->n_reqs; i++) {
        fm_req *r = &m->reqs[i];
        free(r->path);
        free(r->ctype);
        free(r->accept);
        free(r->sid);
        if (r->call) mesos__v1__scheduler__call__free_unpacked(r->call, NULL);
    }
}

/* Requests of one call type, in order. */
static size_t fm_count(const fm *m, int type) {
    size_t n = 0;
    for (size_t i = 0; i < m->n_reqs; i++)
        if (m->reqs[i].call && (int)m->reqs[i].call->type == type) n++;
    return n;
}
static fm_req *fm_nth(fm *m, int type, size_t nth) {
    for (size_t i = 0; i < m->n_reqs; i++)
        if (m->reqs[i].call && (int)m->reqs[i].call->type == type && nth-- == 0) return &m->reqs[i];
    return NULL;
}

/* ------------------------------------------------------------------ recorder of callbacks */

typedef struct rec {
    int subscribed, errors, disconnects, offers_events, rescinds, statuses;
    char fid[128], error[512], rescinded[128];
    sdk_offer offers[4];
    size_t n_offers;
    char status_task[64][2];
    sdk_status_update last_status;
    char last_reason[64], last_ip[64], last_msg[128];
    bool last_had_uuid;
    sdk_mesos_client *client;
    bool act_on_offers;   /* decline offer 0, accept offer 1 */
    bool accept_packed;   /* ... through pack_ops + accept_packed, as the service does */
    bool ack_statuses;    /* behave like the service: ACK when there is a uuid */
} rec;
static rec R;

static void cb_subscribed(void *ud, const char *fid) {
    (void)ud;
    R.subscribed++;
    snprintf(R.fid, sizeof R.fid, "%s", fid);
}

static sdk_operation *test_ops_new(const char *agent, size_t *n);
static void test_ops_free(sdk_operation *ops, size_t n);

static void cb_offers(void *ud, const sdk_offer *o, size_t n) {
    (void)ud;
    R.offers_events++;
    for (size_t i = 0; i < n && R.n_offers < 4; i++) sdk_offer_copy(&R.offers[R.n_offers++], &o[i]);
    if (R.act_on_offers && n >= 2) {
        sdk_mesos_client_driver()->decline(R.client, &o[0], SDK_DECLINE_LONG_S);
        size_t nops;
        sdk_operation *ops = test_ops_new(o[1].agent_id, &nops);
        const sdk_driver *d = sdk_mesos_client_driver();
        if (!R.accept_packed) {
            d->accept(R.client, &o[1], ops, nops, SDK_DECLINE_SHORT_S);
        } else { /* one operation at a time, as launches are matched */
            sdk_buf packed;
            sdk_buf_init(&packed);
            for (size_t i = 0; i < nops; i++) CHECK_INT(d->pack_ops(R.client, &o[1], &ops[i], 1, &packed), 0);
            d->accept_packed(R.client, &o[1], packed.data, packed.len, "RESERVE LAUNCH_GROUP", SDK_DECLINE_SHORT_S);
            sdk_buf_free(&packed);
        }
        test_ops_free(ops, nops);
    }
}
static void cb_rescind(void *ud, const char *id) {
    (void)ud;
    R.rescinds++;
    snprintf(R.rescinded, sizeof R.rescinded, "%s", id);
}
static void cb_status(void *ud, const sdk_status_update *u) {
    (void)ud;
    R.statuses++;
    R.last_status = *u;
    snprintf(R.last_reason, sizeof R.last_reason, "%s", u->reason ? u->reason : "");
    snprintf(R.last_ip, sizeof R.last_ip, "%s", u->ip ? u->ip : "");
    snprintf(R.last_msg, sizeof R.last_msg, "%s", u->message ? u->message : "");
    R.last_had_uuid = u->uuid != NULL;
    if (R.ack_statuses && u->uuid)
        sdk_mesos_client_driver()->acknowledge(R.client, u->agent_id, u->task_id, u->uuid, u->uuid_len);
}
static void cb_error(void *ud, const char *msg) {
    (void)ud;
    R.errors++;
    snprintf(R.error, sizeof R.error, "%s", msg);
}
static void cb_disconnected(void *ud, const char *reason) {
    (void)ud;
    (void)reason;
    R.disconnects++;
}

static void rec_reset(void) {
    for (size_t i = 0; i < R.n_offers; i++) sdk_offer_free_contents(&R.offers[i]);
    memset(&R, 0, sizeof R);
}

/* ------------------------------------------------------------------ harness */

typedef bool (*cond_fn)(void *);
static bool run_until(sdk_loop *l, cond_fn cond, void *arg, int ms) {
    uint64_t end = sdk_loop_now_ms(l) + (uint64_t)ms;
    while (!cond(arg)) {
        if (sdk_loop_now_ms(l) >= end) return false;
        sdk_loop_run_once(l, 10);
    }
    return true;
}
static void run_for(sdk_loop *l, int ms) {
    uint64_t end = sdk_loop_now_ms(l) + (uint64_t)ms;
    while (sdk_loop_now_ms(l) < end) sdk_loop_run_once(l, 10);
}

static int want_subscribed;
static bool c_subscribed(void *a) { (void)a; return R.subscribed >= want_subscribed; }
static bool c_error(void *a) { (void)a; return R.errors > 0; }
typedef struct { fm *m; int type; size_t n; } cnt_arg;
static bool c_count(void *a) {
    cnt_arg *c = a;
    return fm_count(c->m, c->type) >= c->n;
}
static int want_statuses;
static bool c_statuses(void *a) { (void)a; return R.statuses >= want_statuses; }
static bool c_offers(void *a) { (void)a; return R.offers_events > 0; }
static bool c_rescind(void *a) { (void)a; return R.rescinds > 0; }

static const char *ROLES[] = {"hello-world-role", "slave_public/hello-world-role"};

static sdk_mesos_client *client_new(sdk_loop *l, uint16_t port, const char *fid) {
    char *url = sdk_asprintf_new("http://127.0.0.1:%u", port);
    sdk_mesos_client_options o = {0};
    o.master = url;
    o.name = "hello-world";
    o.user = "nobody";
    o.principal = "hello-world-principal";
    o.roles = ROLES;
    o.n_roles = 2;
    o.framework_id = fid;
    o.backoff_initial_ms = 40;
    o.backoff_max_ms = 200;
    o.leader_delay_max_ms = 1;
    o.revive_min_interval_ms = 300;
    o.cb = (sdk_mesos_callbacks){cb_subscribed, cb_offers, cb_rescind, cb_status, cb_error, cb_disconnected, NULL, NULL};
    sdk_mesos_client *c = NULL;
    sdk_errors e;
    sdk_errors_init(&e);
    int rc = sdk_mesos_client_new(l, &o, &c, &e);
    CHECK_INT(rc, 0);
    sdk_errors_free(&e);
    free(url);
    R.client = c;
    return c;
}

/* ------------------------------------------------------------------ event builders */

static Mesos__V1__Resource *res_cpus(double v, const char *role) {
    sdk_resource r = {0};
    r.name = "cpus";
    r.type = SDK_RES_SCALAR;
    r.milli = sdk_scalar_to_milli(v);
    sdk_reservation rv = {0};
    if (role) {
        rv.type = SDK_RESV_STATIC;
        rv.role = (char *)role;
        r.reservations = &rv;
        r.n_reservations = 1;
    }
    Mesos__V1__Resource *pb = NULL;
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_resource_to_pb_new(&r, SDK_RES_FORMAT_REFINED, &pb, &e);
    sdk_errors_free(&e);
    return pb;
}

static void send_offers(fm *m) {
    Mesos__V1__Offer o[2], *op[2];
    Mesos__V1__OfferID oid[2];
    Mesos__V1__FrameworkID fid = MESOS__V1__FRAMEWORK_ID__INIT;
    Mesos__V1__AgentID aid[2];
    fid.value = "M-0000";
    const char *ids[2] = {"O-1", "O-2"}, *agents[2] = {"S-1", "S-2"};
    Mesos__V1__Resource *rs[2][2];
    Mesos__V1__Attribute at = MESOS__V1__ATTRIBUTE__INIT, *atp[1] = {&at};
    Mesos__V1__Value__Text txt = MESOS__V1__VALUE__TEXT__INIT;
    txt.value = "r1";
    at.name = "rack";
    at.type = MESOS__V1__VALUE__TYPE__TEXT;
    at.text = &txt;
    Mesos__V1__DomainInfo dom = MESOS__V1__DOMAIN_INFO__INIT;
    Mesos__V1__DomainInfo__FaultDomain fd = MESOS__V1__DOMAIN_INFO__FAULT_DOMAIN__INIT;
    Mesos__V1__DomainInfo__FaultDomain__RegionInfo reg = MESOS__V1__DOMAIN_INFO__FAULT_DOMAIN__REGION_INFO__INIT;
    Mesos__V1__DomainInfo__FaultDomain__ZoneInfo zone = MESOS__V1__DOMAIN_INFO__FAULT_DOMAIN__ZONE_INFO__INIT;
    reg.name = "us-east";
    zone.name = "us-east-1a";
    fd.region = &reg;
    fd.zone = &zone;
    dom.fault_domain = &fd;
    for (int i = 0; i < 2; i++) {
        mesos__v1__offer__init(&o[i]);
        mesos__v1__offer_id__init(&oid[i]);
        mesos__v1__agent_id__init(&aid[i]);
        oid[i].value = (char *)ids[i];
        aid[i].value = (char *)agents[i];
        o[i].id = &oid[i];
        o[i].framework_id = &fid;
        o[i].agent_id = &aid[i];
        o[i].hostname = "127.0.0.1";
        rs[i][0] = res_cpus(2.0, NULL);
        rs[i][1] = res_cpus(1.5, "slave_public");
        o[i].n_resources = 2;
        o[i].resources = rs[i];
        o[i].n_attributes = 1;
        o[i].attributes = atp;
        o[i].domain = &dom;
        op[i] = &o[i];
    }
    Mesos__V1__Scheduler__Event__Offers offs = MESOS__V1__SCHEDULER__EVENT__OFFERS__INIT;
    offs.n_offers = 2;
    offs.offers = op;
    Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
    ev.has_type = 1;
    ev.type = MESOS__V1__SCHEDULER__EVENT__TYPE__OFFERS;
    ev.offers = &offs;
    fm_send_event(m, &ev);
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 2; k++) sdk_pb_resource_free(rs[i][k]);
}

static void send_update(fm *m, const char *task, bool with_uuid) {
    Mesos__V1__TaskID tid = MESOS__V1__TASK_ID__INIT;
    Mesos__V1__AgentID aid = MESOS__V1__AGENT_ID__INIT;
    tid.value = (char *)task;
    aid.value = "S-2";
    Mesos__V1__TaskStatus st = MESOS__V1__TASK_STATUS__INIT;
    st.task_id = &tid;
    st.agent_id = &aid;
    st.state = MESOS__V1__TASK_STATE__TASK_RUNNING;
    st.message = "running fine";
    st.has_reason = 1;
    st.reason = MESOS__V1__TASK_STATUS__REASON__REASON_TASK_CHECK_STATUS_UPDATED;
    st.has_source = 1;
    st.source = MESOS__V1__TASK_STATUS__SOURCE__SOURCE_EXECUTOR;
    uint8_t uuid[16];
    for (int i = 0; i < 16; i++) uuid[i] = (uint8_t)(i + 1);
    if (with_uuid) {
        st.has_uuid = 1;
        st.uuid.data = uuid;
        st.uuid.len = 16;
    }
    Mesos__V1__CheckStatusInfo cs = MESOS__V1__CHECK_STATUS_INFO__INIT;
    Mesos__V1__CheckStatusInfo__Command cmd = MESOS__V1__CHECK_STATUS_INFO__COMMAND__INIT;
    cmd.has_exit_code = 1;
    cmd.exit_code = 3;
    cs.command = &cmd;
    st.check_status = &cs;
    st.has_healthy = 1;
    st.healthy = 1;
    Mesos__V1__ContainerStatus cst = MESOS__V1__CONTAINER_STATUS__INIT;
    Mesos__V1__NetworkInfo ni = MESOS__V1__NETWORK_INFO__INIT, *nip[1] = {&ni};
    Mesos__V1__NetworkInfo__IPAddress ip = MESOS__V1__NETWORK_INFO__IPADDRESS__INIT, *ipp[1] = {&ip};
    ip.ip_address = "10.1.2.3";
    ni.n_ip_addresses = 1;
    ni.ip_addresses = ipp;
    cst.n_network_infos = 1;
    cst.network_infos = nip;
    st.container_status = &cst;
    Mesos__V1__Scheduler__Event__Update up = MESOS__V1__SCHEDULER__EVENT__UPDATE__INIT;
    up.status = &st;
    Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
    ev.has_type = 1;
    ev.type = MESOS__V1__SCHEDULER__EVENT__TYPE__UPDATE;
    ev.update = &up;
    fm_send_event(m, &ev);
}

static void send_error(fm *m, const char *msg) {
    Mesos__V1__Scheduler__Event__Error er = MESOS__V1__SCHEDULER__EVENT__ERROR__INIT;
    er.message = (char *)msg;
    Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
    ev.has_type = 1;
    ev.type = MESOS__V1__SCHEDULER__EVENT__TYPE__ERROR;
    ev.error = &er;
    fm_send_event(m, &ev);
}

/* RESERVE one cpu + LAUNCH_GROUP of one task. */
static sdk_operation *test_ops_new(const char *agent, size_t *n) {
    sdk_operation *ops = sdk_xcalloc(2, sizeof *ops);
    sdk_resource r = {0};
    r.name = "cpus";
    r.type = SDK_RES_SCALAR;
    r.milli = 1000;
    sdk_label lab = {"resource_id", "rid-1"};
    sdk_reservation rv = {SDK_RESV_DYNAMIC, "hello-world-role", "hello-world-principal", &lab, 1, true};
    r.reservations = &rv;
    r.n_reservations = 1;
    ops[0].type = SDK_OP_RESERVE;
    sdk_resources_init(&ops[0].resources);
    sdk_resources_add(&ops[0].resources, &r);
    ops[1].type = SDK_OP_LAUNCH_GROUP;
    sdk_resources_init(&ops[1].resources);
    sdk_executor_desc *ex = sdk_xcalloc(1, sizeof *ex);
    ex->executor_id = sdk_xstrdup("hello__exec__1");
    ex->name = sdk_xstrdup("hello");
    sdk_resources_init(&ex->resources);
    ex->is_new = true;
    ops[1].executor = ex;
    ops[1].n_tasks = 1;
    ops[1].tasks = sdk_xcalloc(1, sizeof *ops[1].tasks);
    sdk_task_desc *t = &ops[1].tasks[0];
    t->name = sdk_xstrdup("hello-0-server");
    t->spec_task = sdk_xstrdup("server");
    t->task_id = sdk_xstrdup("hello-0-server__1234");
    t->agent_id = sdk_xstrdup("");
    t->cmd = sdk_xstrdup("echo hello");
    t->labels = sdk_xcalloc(1, sizeof *t->labels);
    t->labels[0].key = sdk_xstrdup("target_configuration");
    t->labels[0].value = sdk_xstrdup("cfg-1");
    t->n_labels = 1;
    sdk_resources_init(&t->resources);
    sdk_resources_add(&t->resources, &r);
    (void)agent;
    *n = 2;
    return ops;
}

static void test_ops_free(sdk_operation *ops, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (ops[i].executor) {
            sdk_executor_desc_free_contents(ops[i].executor);
            free(ops[i].executor);
            ops[i].executor = NULL;
        }
        for (size_t k = 0; k < ops[i].n_tasks; k++) sdk_task_desc_free_contents(&ops[i].tasks[k]);
        free(ops[i].tasks);
        ops[i].tasks = NULL;
        ops[i].n_tasks = 0;
        sdk_resources_free(&ops[i].resources);
    }
    free(ops);
}

/* ------------------------------------------------------------------ tests */

static void test_options_validation(void) {
    sdk_loop *l;
    sdk_loop_new(&l);
    sdk_mesos_client_options o = {0};
    o.master = "ftp://x:1";
    sdk_mesos_client *c = NULL;
    sdk_errors e;
    sdk_errors_init(&e);
    CHECK_INT(sdk_mesos_client_new(l, &o, &c, &e), SDK_EINVAL);
    CHECK(c == NULL);
    CHECK(sdk_errors_contains(&e, "framework name is required"));
    CHECK(sdk_errors_contains(&e, "at least one role"));
    CHECK(sdk_errors_contains(&e, "ftp://x:1"));
    sdk_errors_free(&e);
    sdk_loop_free(l);
}

/* Starts c and runs the loop until it is subscribed (at most 3 s). */
static bool start_subscribed(sdk_loop *l, sdk_mesos_client *c) {
    if (sdk_mesos_client_start(c) != 0) return false;
    want_subscribed = 1;
    return run_until(l, c_subscribed, NULL, 3000);
}

static void test_subscribe_offers_updates_calls(void) {
    rec_reset();
    sdk_loop *l;
    sdk_loop_new(&l);
    fm m;
    fm_start(&m, l);
    sdk_mesos_client *c = client_new(l, m.port, NULL);
    R.act_on_offers = true;
    R.ack_statuses = true;
    CHECK(start_subscribed(l, c));
    CHECK_STR(R.fid, "M-0000");
    CHECK(sdk_mesos_client_subscribed(c));
    CHECK_STR(sdk_mesos_client_stream_id(c), m.stream_id);

    /* SUBSCRIBE: headers and FrameworkInfo */
    fm_req *s = fm_nth(&m, MESOS__V1__SCHEDULER__CALL__TYPE__SUBSCRIBE, 0);
    CHECK(s != NULL);
    if (s) {
        CHECK_STR(s->path, "/api/v1/scheduler");
        CHECK_STR(s->ctype, "application/x-protobuf");
        CHECK_STR(s->accept, "application/x-protobuf");
        CHECK(!s->has_expect);
        CHECK(!s->has_sid);
        CHECK(s->call->framework_id == NULL);
        Mesos__V1__FrameworkInfo *fi = s->call->subscribe->framework_info;
        CHECK_STR(fi->name, "hello-world");
        CHECK_STR(fi->user, "nobody");
        CHECK_STR(fi->principal, "hello-world-principal");
        CHECK(fi->id == NULL);
        CHECK(fi->has_failover_timeout && fi->failover_timeout == 1209600.0);
        CHECK(fi->has_checkpoint && fi->checkpoint);
        CHECK_INT(fi->n_roles, 2);
        if (fi->n_roles == 2) {
            CHECK_STR(fi->roles[0], "hello-world-role");
            CHECK_STR(fi->roles[1], "slave_public/hello-world-role");
        }
        CHECK(sdk_pb_framework_info_role(fi) == NULL);
        int caps = 0;
        for (size_t i = 0; i < fi->n_capabilities; i++) caps |= 1 << fi->capabilities[i]->type;
        CHECK(caps & (1 << MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__MULTI_ROLE));
        CHECK(caps & (1 << MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__RESERVATION_REFINEMENT));
        CHECK(caps & (1 << MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__PARTITION_AWARE));
        CHECK_INT(s->call->subscribe->n_suppressed_roles, 0);
    }

    /* OFFERS -> converted offers; the callback declines O-1 and accepts O-2 */
    send_offers(&m);
    CHECK(run_until(l, c_offers, NULL, 2000));
    CHECK_INT(R.n_offers, 2);
    if (R.n_offers == 2) {
        CHECK_STR(R.offers[0].id, "O-1");
        CHECK_STR(R.offers[1].agent_id, "S-2");
        CHECK_STR(R.offers[0].hostname, "127.0.0.1");
        CHECK_INT(R.offers[0].n_attrs, 1);
        if (R.offers[0].n_attrs) {
            CHECK_STR(R.offers[0].attrs[0].name, "rack");
            CHECK_STR(R.offers[0].attrs[0].value, "r1");
        }
        CHECK_STR(R.offers[0].zone, "us-east-1a");
        CHECK_STR(R.offers[0].region, "us-east");
        CHECK_INT(R.offers[0].resources.n, 2);
        CHECK_INT(sdk_resources_scalar_sum(&R.offers[0].resources, "cpus", NULL, NULL), 3500);
    }
    cnt_arg acc = {&m, MESOS__V1__SCHEDULER__CALL__TYPE__ACCEPT, 1};
    CHECK(run_until(l, c_count, &acc, 2000));
    cnt_arg dec = {&m, MESOS__V1__SCHEDULER__CALL__TYPE__DECLINE, 1};
    CHECK(run_until(l, c_count, &dec, 2000));
    CHECK_INT(sdk_mesos_client_outstanding_offers(c), 0);
    fm_req *d = fm_nth(&m, MESOS__V1__SCHEDULER__CALL__TYPE__DECLINE, 0);
    if (d) {
        CHECK(d->has_sid);
        CHECK_STR(d->sid, m.stream_id);
        CHECK(!d->has_expect);
        CHECK_STR(d->ctype, "application/x-protobuf");
        CHECK(d->call->framework_id && !strcmp(d->call->framework_id->value, "M-0000"));
        CHECK_STR(d->call->decline->offer_ids[0]->value, "O-1");
        CHECK(d->call->decline->filters && d->call->decline->filters->refuse_seconds == 3600.0);
    }
    fm_req *a = fm_nth(&m, MESOS__V1__SCHEDULER__CALL__TYPE__ACCEPT, 0);
    if (a) {
        CHECK_STR(a->sid, m.stream_id);
        Mesos__V1__Scheduler__Call__Accept *ac = a->call->accept;
        CHECK_STR(ac->offer_ids[0]->value, "O-2");
        CHECK(ac->filters && ac->filters->refuse_seconds == 5.0);
        CHECK_INT(ac->n_operations, 2);
        if (ac->n_operations == 2) {
            CHECK_INT(ac->operations[0]->type, MESOS__V1__OFFER__OPERATION__TYPE__RESERVE);
            CHECK_INT(ac->operations[0]->reserve->n_resources, 1);
            CHECK_INT(ac->operations[0]->reserve->resources[0]->n_reservations, 1);
            CHECK_INT(ac->operations[1]->type, MESOS__V1__OFFER__OPERATION__TYPE__LAUNCH_GROUP);
            Mesos__V1__Offer__Operation__LaunchGroup *lg = ac->operations[1]->launch_group;
            CHECK(lg && lg->executor && lg->task_group);
            if (lg && lg->executor && lg->task_group) {
                CHECK_STR(lg->executor->executor_id->value, "hello__exec__1");
                CHECK_INT(lg->executor->type, MESOS__V1__EXECUTOR_INFO__TYPE__DEFAULT);
                CHECK(lg->executor->framework_id && !strcmp(lg->executor->framework_id->value, "M-0000"));
                CHECK_INT(lg->task_group->n_tasks, 1);
                Mesos__V1__TaskInfo *ti = lg->task_group->tasks[0];
                CHECK(ti->executor == NULL);
                CHECK_STR(ti->task_id->value, "hello-0-server__1234");
                CHECK_STR(ti->agent_id->value, "S-2");
                CHECK_STR(ti->command->value, "echo hello");
            }
        }
    }

    /* The same operations packed as they are matched, then sent: the same ACCEPT on the wire */
    R.accept_packed = true;
    R.offers_events = 0;
    send_offers(&m);
    CHECK(run_until(l, c_offers, NULL, 2000));
    cnt_arg acc2 = {&m, MESOS__V1__SCHEDULER__CALL__TYPE__ACCEPT, 2};
    CHECK(run_until(l, c_count, &acc2, 2000));
    fm_req *a2 = fm_nth(&m, MESOS__V1__SCHEDULER__CALL__TYPE__ACCEPT, 1);
    if (a && a2) {
        CHECK(a2->call->framework_id && !strcmp(a2->call->framework_id->value, "M-0000"));
        Mesos__V1__Scheduler__Call__Accept *x = a->call->accept, *y = a2->call->accept;
        CHECK(y != NULL);
        if (y) {
            CHECK_STR(y->offer_ids[0]->value, "O-2");
            CHECK_INT(y->n_offer_ids, 1);
            CHECK(y->filters && y->filters->refuse_seconds == 5.0);
            CHECK_INT(y->n_operations, x->n_operations);
            for (size_t i = 0; i < x->n_operations && i < y->n_operations; i++) {
                size_t lx = protobuf_c_message_get_packed_size(&x->operations[i]->base);
                size_t ly = protobuf_c_message_get_packed_size(&y->operations[i]->base);
                CHECK_INT(lx, ly);
                uint8_t *bx = sdk_xmalloc(lx + 1), *by = sdk_xmalloc(ly + 1);
                protobuf_c_message_pack(&x->operations[i]->base, bx);
                protobuf_c_message_pack(&y->operations[i]->base, by);
                CHECK(lx == ly && !memcmp(bx, by, lx));
                free(bx);
                free(by);
            }
        }
    }
    R.accept_packed = false;

    /* UPDATE with and without uuid: only the first is acknowledged */
    send_update(&m, "task-a", true);
    send_update(&m, "task-b", false);
    want_statuses = 2;
    CHECK(run_until(l, c_statuses, NULL, 2000));
    CHECK_STR(R.last_status.task_id ? "task-b" : "", "task-b");
    CHECK(!R.last_had_uuid);
    CHECK_STR(R.last_reason, "REASON_TASK_CHECK_STATUS_UPDATED");
    CHECK_STR(R.last_ip, "10.1.2.3");
    CHECK_STR(R.last_msg, "running fine");
    CHECK(R.last_status.has_exit_code && R.last_status.exit_code == 3);
    CHECK(R.last_status.has_healthy && R.last_status.healthy);
    CHECK_INT(R.last_status.state, SDK_TSTATE_RUNNING);
    cnt_arg ack = {&m, MESOS__V1__SCHEDULER__CALL__TYPE__ACKNOWLEDGE, 1};
    CHECK(run_until(l, c_count, &ack, 2000));
    run_for(l, 100);
    CHECK_INT(fm_count(&m, MESOS__V1__SCHEDULER__CALL__TYPE__ACKNOWLEDGE), 1);
    fm_req *k = fm_nth(&m, MESOS__V1__SCHEDULER__CALL__TYPE__ACKNOWLEDGE, 0);
    if (k) {
        CHECK_STR(k->call->acknowledge->task_id->value, "task-a");
        CHECK_STR(k->call->acknowledge->agent_id->value, "S-2");
        CHECK_INT(k->call->acknowledge->uuid.len, 16);
        CHECK(k->call->acknowledge->uuid.len == 16 && k->call->acknowledge->uuid.data[15] == 16);
    }
    /* a uuid of the wrong size is refused, nothing sent */
    CHECK_INT(sdk_mesos_client_acknowledge(c, "S-2", "task-a", "abc", 3), SDK_EINVAL);

    /* KILL, explicit and implicit RECONCILE */
    CHECK_INT(sdk_mesos_client_kill(c, "task-a", "S-2"), 0);
    const char *tids[] = {"task-a", "task-b"}, *aids[] = {"S-2", NULL};
    CHECK_INT(sdk_mesos_client_reconcile(c, tids, aids, 2), 0);
    CHECK_INT(sdk_mesos_client_reconcile(c, NULL, NULL, 0), 0);
    cnt_arg rc2 = {&m, MESOS__V1__SCHEDULER__CALL__TYPE__RECONCILE, 2};
    CHECK(run_until(l, c_count, &rc2, 2000));
    cnt_arg kl = {&m, MESOS__V1__SCHEDULER__CALL__TYPE__KILL, 1};
    CHECK(run_until(l, c_count, &kl, 2000));
    fm_req *kr = fm_nth(&m, MESOS__V1__SCHEDULER__CALL__TYPE__KILL, 0);
    if (kr) {
        CHECK_STR(kr->call->kill->task_id->value, "task-a");
        CHECK(kr->call->kill->agent_id && !strcmp(kr->call->kill->agent_id->value, "S-2"));
    }
    fm_req *r0 = fm_nth(&m, MESOS__V1__SCHEDULER__CALL__TYPE__RECONCILE, 0);
    fm_req *r1 = fm_nth(&m, MESOS__V1__SCHEDULER__CALL__TYPE__RECONCILE, 1);
    if (r0 && r1) {
        /* order between two calls on two connections is not guaranteed */
        fm_req *ex = r0->call->reconcile->n_tasks ? r0 : r1, *im = ex == r0 ? r1 : r0;
        CHECK_INT(ex->call->reconcile->n_tasks, 2);
        CHECK(ex->call->reconcile->tasks[0]->agent_id != NULL);
        CHECK(ex->call->reconcile->tasks[1]->agent_id == NULL);
        CHECK(im->call->reconcile != NULL);
        CHECK_INT(im->call->reconcile->n_tasks, 0);
    }

    /* REVIVE is rate-limited (min interval 300 ms here), SUPPRESS cancels a pending revive */
    CHECK_INT(sdk_mesos_client_revive(c), 0);
    CHECK_INT(sdk_mesos_client_revive(c), 0);
    cnt_arg rv1 = {&m, MESOS__V1__SCHEDULER__CALL__TYPE__REVIVE, 1};
    CHECK(run_until(l, c_count, &rv1, 1000));
    uint64_t t0 = sdk_loop_now_ms(l);
    cnt_arg rv2 = {&m, MESOS__V1__SCHEDULER__CALL__TYPE__REVIVE, 2};
    CHECK(run_until(l, c_count, &rv2, 2000));
    CHECK_MSG(sdk_loop_now_ms(l) - t0 >= 200, "second revive after %llu ms",
              (unsigned long long)(sdk_loop_now_ms(l) - t0));
    CHECK_INT(sdk_mesos_client_revive(c), 0); /* throttled ... */
    CHECK_INT(sdk_mesos_client_suppress(c), 0); /* ... then cancelled */
    cnt_arg sp = {&m, MESOS__V1__SCHEDULER__CALL__TYPE__SUPPRESS, 1};
    CHECK(run_until(l, c_count, &sp, 1000));
    run_for(l, 500);
    CHECK_INT(fm_count(&m, MESOS__V1__SCHEDULER__CALL__TYPE__REVIVE), 2);

    /* RESCIND */
    Mesos__V1__OfferID oid = MESOS__V1__OFFER_ID__INIT;
    oid.value = "O-9";
    Mesos__V1__Scheduler__Event__Rescind rs = MESOS__V1__SCHEDULER__EVENT__RESCIND__INIT;
    rs.offer_id = &oid;
    Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
    ev.has_type = 1;
    ev.type = MESOS__V1__SCHEDULER__EVENT__TYPE__RESCIND;
    ev.rescind = &rs;
    fm_send_event(&m, &ev);
    CHECK(run_until(l, c_rescind, NULL, 2000));
    CHECK_STR(R.rescinded, "O-9");
    CHECK_INT(R.errors, 0);
    CHECK_INT(R.disconnects, 0);
    CHECK_INT(m.subscribes, 1);

    /* A suppressed client re-subscribes suppressed (SUBSCRIBE replaces the suppression set). */
    fm_end_stream(&m, true);
    want_subscribed = 2;
    CHECK(run_until(l, c_subscribed, NULL, 3000));
    fm_req *s2 = fm_nth(&m, MESOS__V1__SCHEDULER__CALL__TYPE__SUBSCRIBE, 1);
    if (s2) {
        CHECK_INT(s2->call->subscribe->n_suppressed_roles, 2);
        CHECK(s2->call->framework_id && !strcmp(s2->call->framework_id->value, "M-0000"));
    }
    CHECK_INT(R.disconnects, 1);

    sdk_mesos_client_free(c);
    fm_stop(&m);
    sdk_loop_free(l);
    rec_reset();
}

static void test_calls_when_not_subscribed_are_dropped(void) {
    rec_reset();
    sdk_loop *l;
    sdk_loop_new(&l);
    fm m;
    fm_start(&m, l);
    sdk_mesos_client *c = client_new(l, m.port, NULL);
    CHECK_INT(sdk_mesos_client_kill(c, "t", "a"), SDK_ESTATE);
    sdk_offer o = {0};
    o.id = "O-1";
    CHECK_INT(sdk_mesos_client_decline(c, &o, 5), SDK_ESTATE);
    CHECK_INT(sdk_mesos_client_get_metrics(c)->calls_dropped, 2);
    run_for(l, 50);
    CHECK_INT(m.n_reqs, 0);
    sdk_mesos_client_free(c);
    fm_stop(&m);
    sdk_loop_free(l);
}

/* A burst of calls (a thousand acknowledgements after a big launch, say) goes out a few at a
 * time over kept-alive connections, not as one transfer and connection per call: every call
 * arrives, the master never sees more than a handful of connections, and the client reports
 * calls pending until the last is answered. */
static void test_burst_of_calls_is_bounded(void) {
    rec_reset();
    sdk_loop *l;
    sdk_loop_new(&l);
    fm m;
    fm_start(&m, l);
    sdk_mesos_client *c = client_new(l, m.port, NULL);
    CHECK(start_subscribed(l, c));
    size_t before = m.n_reqs;
    enum { N = 200 };
    for (int i = 0; i < N; i++) {
        char id[32];
        snprintf(id, sizeof id, "O-burst-%d", i);
        sdk_offer o = {0};
        o.id = id;
        CHECK_INT(sdk_mesos_client_decline(c, &o, 5), 0);
    }
    CHECK(sdk_mesos_client_pending_calls(c) == N);
    uint64_t t0 = sdk_loop_now_ms(l);
    while (sdk_mesos_client_pending_calls(c) && sdk_loop_now_ms(l) - t0 < 5000) sdk_loop_run_once(l, 20);
    CHECK(sdk_mesos_client_pending_calls(c) == 0);
    size_t declines = 0;
    for (size_t i = before; i < m.n_reqs; i++)
        if (m.reqs[i].call && m.reqs[i].call->type == MESOS__V1__SCHEDULER__CALL__TYPE__DECLINE) declines++;
    CHECK_INT((long)declines, N);
    CHECK_INT((long)sdk_mesos_client_get_metrics(c)->calls_failed, 0);
    CHECK_MSG(m.max_open_conns <= 17, "the master saw %d connections at once", m.max_open_conns);
    sdk_mesos_client_free(c);
    fm_stop(&m);
    sdk_loop_free(l);
}

static void test_redirect_307(void) {
    rec_reset();
    sdk_loop *l;
    sdk_loop_new(&l);
    fm a, b;
    fm_start(&a, l);
    fm_start(&b, l);
    a.mode = MODE_REDIRECT;
    a.redirect_port = b.port;
    sdk_mesos_client *c = client_new(l, a.port, NULL);
    CHECK(start_subscribed(l, c));
    CHECK_INT(a.subscribes, 1);
    CHECK_INT(b.subscribes, 1);
    fm_req *s = fm_nth(&b, MESOS__V1__SCHEDULER__CALL__TYPE__SUBSCRIBE, 0);
    if (s) CHECK_STR(s->path, "/api/v1/scheduler"); /* our path, not the Location's */
    char *want = sdk_asprintf_new("http://127.0.0.1:%u", b.port);
    CHECK_STR(sdk_mesos_client_master_url(c), want);
    free(want);
    CHECK_INT(sdk_mesos_client_kill(c, "t1", NULL), 0);
    cnt_arg kl = {&b, MESOS__V1__SCHEDULER__CALL__TYPE__KILL, 1};
    CHECK(run_until(l, c_count, &kl, 2000)); /* calls go to the leader */
    CHECK_INT(fm_count(&a, MESOS__V1__SCHEDULER__CALL__TYPE__KILL), 0);
    sdk_mesos_client_free(c);
    fm_stop(&a);
    fm_stop(&b);
    sdk_loop_free(l);
}

static void test_503_retried_with_backoff(void) {
    rec_reset();
    sdk_loop *l;
    sdk_loop_new(&l);
    fm m;
    fm_start(&m, l);
    m.mode = MODE_503;
    m.n_503 = 2;
    sdk_mesos_client *c = client_new(l, m.port, NULL);
    CHECK(start_subscribed(l, c));
    CHECK_INT(m.subscribes, 3);
    /* backoff 40 ms doubling, jittered to [d/2, d]: at least 20 then 40 ms between attempts */
    CHECK_MSG(m.sub_times[1] - m.sub_times[0] >= 18, "%llu", (unsigned long long)(m.sub_times[1] - m.sub_times[0]));
    CHECK_MSG(m.sub_times[2] - m.sub_times[1] >= 38, "%llu", (unsigned long long)(m.sub_times[2] - m.sub_times[1]));
    CHECK_INT(R.errors, 0);
    CHECK_INT(R.disconnects, 0); /* never subscribed before: nothing was lost */
    sdk_mesos_client_free(c);
    fm_stop(&m);
    sdk_loop_free(l);
}

static void test_subscribe_400_is_fatal(void) {
    rec_reset();
    sdk_loop *l;
    sdk_loop_new(&l);
    fm m;
    fm_start(&m, l);
    m.mode = MODE_400;
    sdk_mesos_client *c = client_new(l, m.port, NULL);
    sdk_mesos_client_start(c);
    CHECK(run_until(l, c_error, NULL, 3000));
    CHECK_CONTAINS(R.error, "HTTP 400");
    CHECK_CONTAINS(R.error, "bad roles");
    run_for(l, 300);
    CHECK_INT(m.subscribes, 1);
    sdk_mesos_client_free(c);
    fm_stop(&m);
    sdk_loop_free(l);
}

static void test_heartbeat_timeout_resubscribes_with_framework_id(void) {
    rec_reset();
    sdk_loop *l;
    sdk_loop_new(&l);
    fm m;
    fm_start(&m, l);
    char *url = sdk_asprintf_new("http://127.0.0.1:%u", m.port);
    sdk_mesos_client_options o = {0};
    o.master = url;
    o.name = "hello-world";
    o.roles = ROLES;
    o.n_roles = 1;
    o.heartbeat_timeout_ms = 300;
    o.backoff_initial_ms = 20;
    o.cb = (sdk_mesos_callbacks){cb_subscribed, cb_offers, cb_rescind, cb_status, cb_error, cb_disconnected, NULL, NULL};
    sdk_mesos_client *c = NULL;
    CHECK_INT(sdk_mesos_client_new(l, &o, &c, NULL), 0);
    free(url);
    R.client = c;
    CHECK(start_subscribed(l, c));
    send_offers(&m);
    CHECK(run_until(l, c_offers, NULL, 2000));
    CHECK_INT(sdk_mesos_client_outstanding_offers(c), 2);
    /* the master goes silent: no heartbeats */
    uint64_t t0 = sdk_loop_now_ms(l);
    want_subscribed = 2;
    CHECK(run_until(l, c_subscribed, NULL, 3000));
    CHECK_MSG(sdk_loop_now_ms(l) - t0 >= 250, "reconnected after %llu ms", (unsigned long long)(sdk_loop_now_ms(l) - t0));
    CHECK_INT(R.disconnects, 1);
    CHECK_INT(sdk_mesos_client_outstanding_offers(c), 0);
    fm_req *s = fm_nth(&m, MESOS__V1__SCHEDULER__CALL__TYPE__SUBSCRIBE, 1);
    CHECK(s != NULL);
    if (s) {
        CHECK(s->call->framework_id && !strcmp(s->call->framework_id->value, "M-0000"));
        CHECK(s->call->subscribe->framework_info->id &&
              !strcmp(s->call->subscribe->framework_info->id->value, "M-0000"));
        CHECK(!s->has_sid);
    }
    sdk_mesos_client_free(c);
    fm_stop(&m);
    sdk_loop_free(l);
}

/* Each bad stream: logged, the stream dropped, re-subscribed; nothing reaches the callbacks. */
static void bad_stream_case(const char *what, const void *bytes, size_t n, bool close_after) {
    rec_reset();
    sdk_loop *l;
    sdk_loop_new(&l);
    fm m;
    fm_start(&m, l);
    sdk_mesos_client *c = client_new(l, m.port, "M-0000");
    CHECK(start_subscribed(l, c));
    fm_send_raw(&m, bytes, n);
    if (close_after) fm_end_stream(&m, false);
    want_subscribed = 2;
    bool ok = run_until(l, c_subscribed, NULL, 3000);
    CHECK_MSG(ok, "%s: no re-subscription", what);
    CHECK_MSG(R.disconnects == 1, "%s: disconnects %d", what, R.disconnects);
    CHECK_MSG(R.statuses == 0 && R.offers_events == 0 && R.errors == 0, "%s: a callback saw the bad event", what);
    CHECK_MSG(m.subscribes == 2, "%s: subscribes %d", what, m.subscribes);
    fm_req *s = fm_nth(&m, MESOS__V1__SCHEDULER__CALL__TYPE__SUBSCRIBE, 1);
    CHECK(s && s->call->framework_id && !strcmp(s->call->framework_id->value, "M-0000"));
    sdk_mesos_client_free(c);
    fm_stop(&m);
    sdk_loop_free(l);
}

static void test_bad_streams(void) {
    bad_stream_case("garbled length", "12x\n", 4, false);
    static const uint8_t unknown_type[] = {'2', '\n', 0x08, 0x2A}; /* Event{type=42} */
    bad_stream_case("unknown event type", unknown_type, sizeof unknown_type, false);
    static const uint8_t not_pb[] = {'3', '\n', 0xFF, 0xFF, 0xFF};
    bad_stream_case("not a protobuf", not_pb, sizeof not_pb, false);
    static const uint8_t no_payload[] = {'2', '\n', 0x08, 0x04}; /* UPDATE without update */
    bad_stream_case("UPDATE without payload", no_payload, sizeof no_payload, false);
    bad_stream_case("truncated record", "100\n0123456789", 14, true);
}

static void test_error_event_is_fatal(void) {
    rec_reset();
    sdk_loop *l;
    sdk_loop_new(&l);
    fm m;
    fm_start(&m, l);
    sdk_mesos_client *c = client_new(l, m.port, "M-0000");
    CHECK(start_subscribed(l, c));
    send_error(&m, "Framework has been removed");
    fm_end_stream(&m, true);
    CHECK(run_until(l, c_error, NULL, 2000));
    CHECK_CONTAINS(R.error, "Framework has been removed");
    CHECK(!sdk_mesos_client_subscribed(c));
    run_for(l, 400);
    CHECK_INT(m.subscribes, 1); /* stopped: no re-subscription */
    CHECK_INT(R.errors, 1);
    CHECK_INT(sdk_mesos_client_kill(c, "t", NULL), SDK_ESTATE);
    sdk_mesos_client_free(c);
    fm_stop(&m);
    sdk_loop_free(l);
}

static void test_unreachable_master_retries(void) {
    rec_reset();
    sdk_loop *l;
    sdk_loop_new(&l);
    fm m;
    fm_start(&m, l); /* take a free port, then close it: connection refused */
    uint16_t port = m.port;
    fm_stop(&m);
    sdk_mesos_client *c = client_new(l, port, NULL);
    sdk_mesos_client_start(c);
    run_for(l, 500);
    CHECK(sdk_mesos_client_get_metrics(c)->subscribe_attempts >= 3);
    CHECK_INT(R.errors, 0);
    CHECK(!sdk_mesos_client_subscribed(c));
    sdk_mesos_client_free(c);
    sdk_loop_free(l);
}

#ifndef SDK_TEST_NO_MAIN /* test_mesos_client_zk.c reuses the helpers above */
int main(void) {
    if (!getenv("SDK_LOG")) sdk_log_set_level(SDK_LOG_ERROR);
    RUN(test_options_validation);
    RUN(test_subscribe_offers_updates_calls);
    RUN(test_calls_when_not_subscribed_are_dropped);
    RUN(test_burst_of_calls_is_bounded);
    RUN(test_redirect_307);
    RUN(test_503_retried_with_backoff);
    RUN(test_subscribe_400_is_fatal);
    RUN(test_heartbeat_timeout_resubscribes_with_framework_id);
    RUN(test_bad_streams);
    RUN(test_error_event_is_fatal);
    RUN(test_unreachable_master_retries);
    return check_summary("test_mesos_client");
}
#endif

/* Marathon constraint language (sdk-behaviour.md §1.13): parsing, every operator, extension rules. */
#include "core/offer/placement.h"
#include "core/util/str.h"
#include "check.h"

static sdk_attr RACK1[] = {{"rack", "rack-1"}, {"cores", "8.000"}};
static sdk_attr RACK2[] = {{"rack", "rack-2"}, {"cores", "16.000"}};
static sdk_attr NONE[] = {{"other", "x"}};

static sdk_placement_agent agent(const char *host, sdk_attr *a, size_t n, const char *zone) {
    sdk_placement_agent g = {host, a, n, zone, "us-west"};
    return g;
}

static void add_task(sdk_placement_view *v, const char *name, const char *pod, const char *host, sdk_attr *a,
                     size_t n, const char *zone) {
    sdk_placement_task t = {name, pod, host, a, n, zone, "us-west"};
    sdk_placement_view_add(v, &t);
}

/* Evaluates and returns pass; stores the reason in a static buffer for CHECK_CONTAINS. */
static char last_reason[512];
static bool eval(const char *text, const char *pod, int64_t idx, sdk_placement_agent a, const sdk_placement_view *v) {
    sdk_placement_rule *r = sdk_placement_parse_new(text);
    char *why = NULL;
    bool ok = sdk_placement_evaluate(r, pod, idx, &a, v, &why);
    snprintf(last_reason, sizeof last_reason, "%s", why ? why : "");
    free(why);
    sdk_placement_rule_free(r);
    return ok;
}

static void test_three_syntaxes(void) {
    const char *forms[] = {"[\"hostname\", \"MAX_PER\", \"1\"]", "[[\"hostname\",\"MAX_PER\",\"1\"]]",
                           "hostname:MAX_PER:1", " hostname : max_per : 1 "};
    for (size_t i = 0; i < 4; i++) {
        sdk_placement_rule *r = sdk_placement_parse_new(forms[i]);
        CHECK_MSG(sdk_placement_rule_error(r) == NULL, "%s: %s", forms[i], sdk_placement_rule_error(r));
        char *s = sdk_placement_rule_to_string_new(r);
        CHECK_STR(s, "[[\"hostname\",\"MAX_PER\",\"1\"]]");
        free(s);
        sdk_placement_rule_free(r);
    }
    sdk_placement_rule *r = sdk_placement_parse_new("[[\"@zone\",\"GROUP_BY\",\"3\"],[\"rack\",\"LIKE\",\"rack-[12]\"]]");
    CHECK(sdk_placement_rule_error(r) == NULL);
    CHECK(sdk_placement_rule_mentions(r, "@zone"));
    CHECK(!sdk_placement_rule_mentions(r, "@region"));
    sdk_placement_rule_free(r);
    r = sdk_placement_parse_new("hostname:UNIQUE,rack:IS:rack-1");
    char *s = sdk_placement_rule_to_string_new(r);
    CHECK_STR(s, "[[\"hostname\",\"UNIQUE\"],[\"rack\",\"IS\",\"rack-1\"]]");
    free(s);
    sdk_placement_rule_free(r);
    const char *empty[] = {NULL, "", "  ", "[]"};
    for (size_t i = 0; i < 4; i++) {
        r = sdk_placement_parse_new(empty[i]);
        CHECK(sdk_placement_rule_is_empty(r));
        sdk_placement_rule_free(r);
    }
}

static void test_escapes(void) {
    /* `\,` and `\:` are literal inside a UI-text value */
    sdk_placement_rule *r = sdk_placement_parse_new("label:IS:a\\:b\\,c");
    CHECK(sdk_placement_rule_error(r) == NULL);
    char *s = sdk_placement_rule_to_string_new(r);
    CHECK_STR(s, "[[\"label\",\"IS\",\"a:b,c\"]]");
    free(s);
    sdk_placement_rule_free(r);
    sdk_attr a[] = {{"label", "a:b,c"}};
    CHECK(eval("label:IS:a\\:b\\,c", "p", 0, agent("h1", a, 1, NULL), NULL));
    /* other backslashes stay (regex) */
    sdk_attr d[] = {{"id", "42"}};
    CHECK(eval("id:LIKE:\\d+|[0-9]+", "p", 0, agent("h1", d, 1, NULL), NULL));
}

static void test_bad_constraints(void) {
    struct { const char *in, *msg; } bad[] = {
        {"hostname:FOO", "unknown operator 'FOO'"},
        {"hostname", "needs 2 or 3 entries"},
        {"hostname:MAX_PER", "MAX_PER on 'hostname' needs a count"},
        {"hostname:MAX_PER:two", "non-negative integer parameter, got 'two'"},
        {"rack:LIKE:[", "invalid regular expression '['"},
        {"rack:IS", "IS on 'rack' needs a value"},
        {"hostname:UNIQUE:x", "UNIQUE on 'hostname' takes no parameter"},
        {"[\"a\", [\"b\"]]", "is not a string"},
        {"[1, 2]", "entry 0 is not a list"},
        {"a:b:c:d", "got 4"},
        {"hostname:UNIQUE,,rack:IS:x", "got 1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sdk_placement_rule *r = sdk_placement_parse_new(bad[i].in);
        const char *e = sdk_placement_rule_error(r);
        CHECK_MSG(e != NULL, "'%s' should be invalid", bad[i].in);
        CHECK_CONTAINS(e, bad[i].msg);
        CHECK_CONTAINS(e, bad[i].in); /* names the input */
        sdk_placement_agent a = agent("h1", RACK1, 2, NULL);
        char *why = NULL;
        CHECK(!sdk_placement_evaluate(r, "p", 0, &a, NULL, &why)); /* an invalid rule rejects everything */
        CHECK_CONTAINS(why, "invalid placement rule");
        free(why);
        sdk_placement_rule_free(r);
    }
}

static void test_unique_and_max_per(void) {
    sdk_placement_view *v = sdk_placement_view_new();
    add_task(v, "hello-0-server", "hello", "h1", RACK1, 2, "z1");
    add_task(v, "world-0-server", "world", "h2", RACK1, 2, "z1");
    CHECK(!eval("hostname:UNIQUE", "hello", 1, agent("h1", RACK1, 2, "z1"), v));
    CHECK_STR(last_reason, "hostname UNIQUE: 1 task(s) of pod type 'hello' already on hostname 'h1' (max 1)");
    CHECK(eval("hostname:UNIQUE", "hello", 1, agent("h2", RACK1, 2, "z1"), v)); /* world tasks do not count */
    CHECK(eval("hostname:UNIQUE", "hello", 0, agent("h1", RACK1, 2, "z1"), v)); /* its own (replaced) instance */
    CHECK(eval("@hostname:MAX_PER:2", "hello", 1, agent("h1", RACK1, 2, "z1"), v));
    add_task(v, "hello-1-server", "hello", "h1", RACK1, 2, "z1");
    CHECK(!eval("hostname:MAX_PER:2", "hello", 2, agent("h1", RACK1, 2, "z1"), v));
    CHECK_STR(last_reason, "hostname MAX_PER 2: 2 task(s) of pod type 'hello' already on hostname 'h1' (max 2)");
    CHECK(!eval("rack:UNIQUE", "hello", 2, agent("h3", RACK1, 2, "z1"), v));
    CHECK(eval("rack:UNIQUE", "hello", 2, agent("h3", RACK2, 2, "z1"), v));
    CHECK(!eval("rack:MAX_PER:5", "hello", 2, agent("h3", NONE, 1, "z1"), v)); /* attribute must exist */
    CHECK_CONTAINS(last_reason, "has no rack");
    CHECK(!eval("@zone:MAX_PER:2", "hello", 2, agent("h3", RACK2, 2, "z1"), v));
    CHECK(eval("@zone:MAX_PER:2", "hello", 2, agent("h3", RACK2, 2, "z2"), v));
    CHECK(!eval("@zone:UNIQUE", "hello", 2, agent("h3", RACK2, 2, NULL), v));
    CHECK(!eval("@region:max_per:2", "hello", 2, agent("h3", RACK2, 2, "z2"), v));
    CHECK_STR(last_reason, "@region MAX_PER 2: 2 task(s) of pod type 'hello' already on region 'us-west' (max 2)");
    sdk_placement_view_free(v);
}

static void test_group_by(void) {
    sdk_placement_view *v = sdk_placement_view_new();
    add_task(v, "hello-0-server", "hello", "h1", RACK1, 2, "z1");
    /* expected 2 zones, only z1 used: z1 is refused until z2 has one */
    CHECK(!eval("@zone:GROUP_BY:2", "hello", 1, agent("h2", RACK1, 2, "z1"), v));
    CHECK(eval("@zone:GROUP_BY:2", "hello", 1, agent("h2", RACK1, 2, "z2"), v));
    /* without a count only known values are compared: z1 is the minimum */
    CHECK(eval("@zone:GROUP_BY", "hello", 1, agent("h2", RACK1, 2, "z1"), v));
    add_task(v, "hello-1-server", "hello", "h2", RACK2, 2, "z2");
    add_task(v, "hello-2-server", "hello", "h3", RACK2, 2, "z2");
    CHECK(!eval("@zone:GROUP_BY", "hello", 3, agent("h4", RACK2, 2, "z2"), v));
    CHECK(eval("@zone:GROUP_BY", "hello", 3, agent("h4", RACK1, 2, "z1"), v));
    CHECK(eval("rack:GROUP_BY:2", "hello", 3, agent("h4", RACK1, 2, "z1"), v));
    CHECK(!eval("rack:GROUP_BY:2", "hello", 3, agent("h4", RACK2, 2, "z1"), v));
    CHECK(!eval("rack:GROUP_BY", "hello", 3, agent("h4", NONE, 1, "z1"), v));
    sdk_placement_view_free(v);
}

static void test_value_operators(void) {
    sdk_placement_agent a1 = agent("10.0.0.1", RACK1, 2, "z1"), a2 = agent("10.0.0.2", RACK2, 2, "z2");
    CHECK(eval("hostname:CLUSTER:10.0.0.1", "p", 0, a1, NULL));
    CHECK(!eval("hostname:CLUSTER:10.0.0.1", "p", 0, a2, NULL));
    CHECK(eval("rack:IS:rack-1", "p", 0, a1, NULL));
    CHECK(!eval("rack:is:rack-1", "p", 0, a2, NULL));
    CHECK_CONTAINS(last_reason, "has rack 'rack-2'");
    CHECK(!eval("rack:IS:rack-1", "p", 0, agent("h", NONE, 1, NULL), NULL));
    CHECK(eval("rack:IS_NOT:rack-1", "p", 0, a2, NULL));
    CHECK(!eval("rack:IS_NOT:rack-1", "p", 0, a1, NULL));
    CHECK(eval("rack:IS_NOT:rack-1", "p", 0, agent("h", NONE, 1, NULL), NULL));
    CHECK(eval("cores:IS:8.000", "p", 0, a1, NULL));
    CHECK(!eval("cores:IS:8", "p", 0, a1, NULL)); /* scalars are rendered with three decimals */
    CHECK(eval("hostname:LIKE:10\\.0\\.0\\.[1-3]", "p", 0, a1, NULL));
    CHECK(!eval("hostname:LIKE:10\\.0\\.0", "p", 0, a1, NULL)); /* full match only */
    CHECK(eval("rack:LIKE:rack-[12]", "p", 0, a2, NULL));
    CHECK(!eval("rack:LIKE:rack-1", "p", 0, a2, NULL));
    CHECK(eval("rack:UNLIKE:rack-1", "p", 0, a2, NULL));
    CHECK(!eval("rack:UNLIKE:rack-.*", "p", 0, a2, NULL));
    CHECK_CONTAINS(last_reason, "which matches");
    CHECK(eval("@zone:LIKE:z[0-9]", "p", 0, a2, NULL));
    CHECK(!eval("@zone:IS:z1", "p", 0, a2, NULL));
    CHECK(eval("@region:IS:us-west", "p", 0, a2, NULL));
    CHECK(!eval("@region:IS_NOT:us-west", "p", 0, a2, NULL));
    /* rows are ANDed */
    CHECK(eval("[[\"rack\",\"IS\",\"rack-1\"],[\"@zone\",\"IS\",\"z1\"]]", "p", 0, a1, NULL));
    CHECK(!eval("[[\"rack\",\"IS\",\"rack-1\"],[\"@zone\",\"IS\",\"z2\"]]", "p", 0, a1, NULL));
}

/* The exact reasons of the value operators (what /v2/debug/offers and the waiting notes show). */
static void test_value_operator_reasons(void) {
    sdk_placement_agent a1 = agent("10.0.0.1", RACK1, 2, "z1"), a2 = agent("10.0.0.2", RACK2, 2, "z2");
    sdk_placement_agent none = agent("h", NONE, 1, NULL);
    CHECK(!eval("hostname:CLUSTER:10.0.0.1", "p", 0, a2, NULL));
    CHECK_STR(last_reason, "hostname CLUSTER 10.0.0.1: agent 10.0.0.2 has hostname '10.0.0.2'");
    CHECK(!eval("rack:is:rack-1", "p", 0, a2, NULL));
    CHECK_STR(last_reason, "rack IS rack-1: agent 10.0.0.2 has rack 'rack-2'");
    CHECK(!eval("rack:IS:rack-1", "p", 0, none, NULL));
    CHECK_STR(last_reason, "rack IS rack-1: agent h has rack '(none)'");
    CHECK(!eval("rack:IS_NOT:rack-1", "p", 0, a1, NULL));
    CHECK_STR(last_reason, "rack IS_NOT rack-1: agent 10.0.0.1 has rack 'rack-1'");
    CHECK(!eval("rack:LIKE:rack-[0-1]", "p", 0, a2, NULL));
    CHECK_STR(last_reason, "rack LIKE rack-[0-1]: agent 10.0.0.2 has rack 'rack-2', which does not match");
    CHECK(!eval("rack:LIKE:rack-[0-1]", "p", 0, none, NULL));
    CHECK_STR(last_reason, "rack LIKE rack-[0-1]: agent h has rack '(none)', which does not match");
    CHECK(!eval("rack:UNLIKE:rack-.*", "p", 0, a2, NULL));
    CHECK_STR(last_reason, "rack UNLIKE rack-.*: agent 10.0.0.2 has rack 'rack-2', which matches");
    CHECK(!eval("@zone:IS:z1", "p", 0, a2, NULL));
    CHECK_STR(last_reason, "@zone IS z1: agent 10.0.0.2 has zone 'z2'");
}

/* LIKE/UNLIKE remember their regular expression's result per value: answers stay right across
 * many values (more than the memo's slots, so they collide), repeated values, and long values. */
static void test_like_remembers_results(void) {
    sdk_placement_rule *like = sdk_placement_parse_new("rack:LIKE:rack-[0-4]");
    sdk_placement_rule *unlike = sdk_placement_parse_new("rack:UNLIKE:rack-[0-4]");
    char value[80];
    for (int pass = 0; pass < 3; pass++)
        for (int i = 0; i < 60; i++) {
            if (i < 50) snprintf(value, sizeof value, "rack-%d", i);
            else snprintf(value, sizeof value, "rack-%d-with-a-name-longer-than-the-memo-keeps", i % 5);
            sdk_attr at = {"rack", value};
            sdk_placement_agent a = agent("h", &at, 1, NULL);
            bool want = i < 5;
            CHECK_MSG(sdk_placement_evaluate(like, "p", 0, &a, NULL, NULL) == want, "LIKE %s (pass %d)", value, pass);
            CHECK_MSG(sdk_placement_evaluate(unlike, "p", 0, &a, NULL, NULL) == !want, "UNLIKE %s (pass %d)", value,
                      pass);
        }
    sdk_placement_rule_free(like);
    sdk_placement_rule_free(unlike);
}

static bool avoid_hdfs_name(void *user, const char *pod, int64_t idx, const sdk_placement_agent *a,
                            const sdk_placement_view *v, char **reason) {
    (void)idx;
    const char *avoid = user;
    for (size_t i = 0; i < sdk_placement_view_size(v); i++) {
        const sdk_placement_task *t = sdk_placement_view_task(v, i);
        if (!strcmp(t->pod_type, avoid) && !strcmp(t->hostname, a->hostname) && strcmp(pod, avoid)) {
            if (reason) *reason = sdk_asprintf_new("a '%s' task runs on %s", avoid, a->hostname);
            return false;
        }
    }
    return true;
}

static void test_extra_rule(void) {
    sdk_placement_view *v = sdk_placement_view_new();
    add_task(v, "name-0-node", "name", "h1", RACK1, 2, NULL);
    sdk_placement_rule *r = sdk_placement_parse_new("hostname:MAX_PER:3");
    sdk_placement_rule_add_extra(r, "avoid pod types", avoid_hdfs_name, "name");
    CHECK(!sdk_placement_rule_is_empty(r));
    sdk_placement_agent a1 = agent("h1", RACK1, 2, NULL), a2 = agent("h2", RACK1, 2, NULL);
    char *why = NULL;
    CHECK(!sdk_placement_evaluate(r, "data", 0, &a1, v, &why));
    CHECK_STR(why, "avoid pod types: a 'name' task runs on h1");
    free(why);
    CHECK(sdk_placement_evaluate(r, "data", 0, &a2, v, NULL));
    sdk_placement_rule_free(r);
    /* extension rules also apply to an empty constraint */
    r = sdk_placement_parse_new("");
    sdk_placement_rule_add_extra(r, "avoid", avoid_hdfs_name, "name");
    CHECK(!sdk_placement_evaluate(r, "data", 0, &a1, v, NULL));
    sdk_placement_rule_free(r);
    sdk_placement_view_free(v);
}

int main(void) {
    RUN(test_three_syntaxes);
    RUN(test_escapes);
    RUN(test_bad_constraints);
    RUN(test_unique_and_max_per);
    RUN(test_group_by);
    RUN(test_value_operators);
    RUN(test_value_operator_reasons);
    RUN(test_like_remembers_results);
    RUN(test_extra_rule);
    return check_summary("test_placement");
}

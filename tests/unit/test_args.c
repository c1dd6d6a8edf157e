/* The scheduler's flag table (core/app/args.c): flags, their environment variables (the flag
 * wins, an empty variable is unset), bad values named by flag or variable, --help listing every
 * flag and variable from the same table, and SDK_LOG's default. args.c belongs to the scheduler
 * program, not to libsdk, so it is compiled into this test directly. */
#include "check.h"
#include "core/app/args.c"
#include "core/util/log.h"
#include <unistd.h>

/* Clears every variable of the table (and SDK_LOG) so the caller's environment cannot leak in. */
static void clear_env(void) {
    for (size_t i = 0; i < N_ARGS; i++)
        if (ARGS[i].env) unsetenv(ARGS[i].env);
    unsetenv("SDK_LOG");
}

/* Parses a NULL-terminated argument list after the program name. */
static int parse(sdk_args *a, char **err, ...) {
    char *argv[32] = {"scheduler"};
    int argc = 1;
    va_list ap;
    va_start(ap, err);
    for (char *s; argc < 31 && (s = va_arg(ap, char *));) argv[argc++] = s;
    va_end(ap);
    argv[argc] = NULL;
    return sdk_args_parse(argc, argv, a, err);
}

static void test_environment_supplies_flags(void) {
    clear_env();
    setenv("SDK_PLUGIN", "plugins/hello/hello.so", 1);
    setenv("SDK_MASTER", "zk://zk1:2181/mesos", 1);
    setenv("SDK_STATE", "memory:", 1);
    setenv("SDK_API", "127.0.0.1:0", 1);
    setenv("SDK_API_TOKEN", "token.txt", 1);
    setenv("SDK_WORKDIR", "/tmp/w", 1);
    setenv("SDK_AGENTS", "5", 1);
    setenv("SDK_MAX_PODS", "40", 1);
    setenv("SDK_LENIENT_RENDER", "true", 1);
    sdk_args a;
    char *err = NULL;
    CHECK_INT(parse(&a, &err, NULL), 0); /* SDK_PLUGIN satisfies "--plugin is required" */
    CHECK(err == NULL);
    CHECK_STR(a.plugin, "plugins/hello/hello.so");
    CHECK_STR(a.master, "zk://zk1:2181/mesos");
    CHECK_STR(a.state, "memory:");
    CHECK_STR(a.api, "127.0.0.1:0");
    CHECK_STR(a.api_token_file, "token.txt");
    CHECK_STR(a.workdir, "/tmp/w");
    CHECK_INT(a.agents, 5);
    CHECK_INT(a.max_pods, 40);
    CHECK(a.lenient);
    sdk_args_free(&a);
    clear_env();
}

static void test_flag_beats_environment(void) {
    clear_env();
    setenv("SDK_MASTER", "zk://zk1:2181/mesos", 1);
    setenv("SDK_AGENTS", "not a number", 1); /* never read: the flag is given */
    setenv("SDK_STATE", "", 1);              /* empty = unset */
    setenv("SDK_LENIENT_RENDER", "0", 1);
    sdk_args a;
    char *err = NULL;
    CHECK_INT(parse(&a, &err, "--plugin", "p.so", "--master=http://m:5050", "--agents", "2", NULL), 0);
    CHECK_STR(a.master, "http://m:5050");
    CHECK_INT(a.agents, 2);
    CHECK(a.state == NULL);
    CHECK(!a.lenient);
    sdk_args_free(&a);
    /* a bool flag wins over a variable that says no */
    unsetenv("SDK_AGENTS");
    CHECK_INT(parse(&a, &err, "--plugin", "p.so", "--lenient-render", NULL), 0);
    CHECK(a.lenient);
    sdk_args_free(&a);
    clear_env();
}

static void test_bad_values_name_their_source(void) {
    clear_env();
    sdk_args a;
    char *err = NULL;
    setenv("SDK_AGENTS", "0", 1);
    CHECK_INT(parse(&a, &err, "--plugin", "p.so", NULL), SDK_EINVAL);
    CHECK_STR(err, "SDK_AGENTS=0: expected a number from 1 to 1000");
    free(err);
    sdk_args_free(&a);
    clear_env();
    CHECK_INT(parse(&a, &err, "--plugin", "p.so", "--agents", "x", NULL), SDK_EINVAL);
    CHECK_STR(err, "--agents x: expected a number from 1 to 1000");
    free(err);
    sdk_args_free(&a);
    setenv("SDK_LENIENT_RENDER", "maybe", 1);
    CHECK_INT(parse(&a, &err, "--plugin", "p.so", NULL), SDK_EINVAL);
    CHECK_CONTAINS(err, "SDK_LENIENT_RENDER=maybe");
    free(err);
    sdk_args_free(&a);
    clear_env();
    setenv("SDK_LOG", "verbose", 1);
    CHECK_INT(parse(&a, &err, "--plugin", "p.so", NULL), SDK_EINVAL);
    CHECK_STR(err, "SDK_LOG=verbose: expected debug, info, warn or error");
    free(err);
    sdk_args_free(&a);
    clear_env();
    CHECK_INT(parse(&a, &err, "--plugin", NULL), SDK_EINVAL);
    CHECK_STR(err, "--plugin needs a value (see --help)");
    free(err);
    sdk_args_free(&a);
    CHECK_INT(parse(&a, &err, "--plugin", "p.so", "--validate=yes", NULL), SDK_EINVAL);
    CHECK_STR(err, "--validate takes no value");
    free(err);
    sdk_args_free(&a);
    CHECK_INT(parse(&a, &err, "--plugin", "p.so", "--bogus", NULL), SDK_EINVAL);
    CHECK_STR(err, "unknown argument '--bogus' (see --help)");
    free(err);
    sdk_args_free(&a);
    CHECK_INT(parse(&a, &err, NULL), SDK_EINVAL);
    CHECK_CONTAINS(err, "--plugin PATH is required");
    free(err);
    sdk_args_free(&a);
}

/* The flags every row kind fills, and the positional state commands. */
static void test_every_kind_parses(void) {
    clear_env();
    sdk_args a;
    char *err = NULL;
    CHECK_INT(parse(&a, &err, "--spec", "svc.yml", "-o", "A=1", "--option=B=2", "--env-file", "e1", "--env-file=e2",
                    "--api-tls", "c.pem", "k.pem", "--max-pods", "7", "--validate", NULL), 0);
    CHECK_STR(a.spec, "svc.yml");
    CHECK_INT(a.n_options, 2);
    if (a.n_options == 2) {
        CHECK_STR(a.options[0].key, "A");
        CHECK_STR(a.options[1].value, "2");
    }
    CHECK_INT(a.n_env_files, 2);
    CHECK_STR(a.api_tls_cert, "c.pem");
    CHECK_STR(a.api_tls_key, "k.pem");
    CHECK_INT(a.max_pods, 7);
    CHECK(a.validate);
    sdk_args_free(&a);
    CHECK_INT(parse(&a, &err, "-o", "=x", "--plugin", "p", NULL), SDK_EINVAL);
    CHECK_STR(err, "option '=x' is not KEY=VALUE");
    free(err);
    sdk_args_free(&a);
    CHECK_INT(parse(&a, &err, "--api-tls", "c.pem", NULL), SDK_EINVAL);
    CHECK_STR(err, "--api-tls needs two values: --api-tls CERT KEY");
    free(err);
    sdk_args_free(&a);
    CHECK_INT(parse(&a, &err, "state", "restore", "dump.json", "--state", "memory:", NULL), 0);
    CHECK_STR(a.state_cmd, "restore");
    CHECK_STR(a.state_file, "dump.json");
    sdk_args_free(&a);
    CHECK_INT(parse(&a, &err, "-h", NULL), 0);
    CHECK(a.help);
    sdk_args_free(&a);
}

/* --help, captured from stdout: every flag of the table, each variable, and SDK_LOG's default. */
static void test_help_lists_flags_and_variables(void) {
    char path[] = "/tmp/test_args_help_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    fflush(stdout);
    int saved = dup(1);
    dup2(fd, 1);
    sdk_args_print_help("scheduler");
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    char buf[16384] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    unlink(path);
    CHECK(n > 0);
    size_t n_env = 0;
    for (size_t i = 0; i < N_ARGS; i++) {
        CHECK_CONTAINS(buf, ARGS[i].flag);
        if (!ARGS[i].env) continue;
        n_env++;
        char *tag = sdk_asprintf_new("[env %s]", ARGS[i].env);
        CHECK_CONTAINS(buf, tag);
        free(tag);
    }
    /* the main flags named in the issue all have a variable */
    const char *main_vars[] = {"SDK_MASTER", "SDK_STATE", "SDK_API", "SDK_API_TOKEN", "SDK_WORKDIR", "SDK_PLUGIN"};
    for (size_t i = 0; i < sizeof main_vars / sizeof *main_vars; i++) CHECK_CONTAINS(buf, main_vars[i]);
    CHECK(n_env >= 6);
    CHECK_CONTAINS(buf, "SDK_LOG=debug|info|warn|error");
    CHECK_CONTAINS(buf, "(default " SDK_ARGS_DEFAULT_LOG);
}

/* The SDK_LOG default that --help prints is the level actually set. */
static void test_log_default_matches_help(void) {
    clear_env();
    sdk_args_apply_log_level();
    sdk_log_level want = SDK_LOG_INFO;
    CHECK(log_level_of(SDK_ARGS_DEFAULT_LOG, &want));
    CHECK_INT(sdk_log_get_level(), want);
    CHECK_INT(sdk_log_get_level(), SDK_LOG_WARN);
    setenv("SDK_LOG", "debug", 1);
    sdk_args_apply_log_level();
    CHECK_INT(sdk_log_get_level(), SDK_LOG_DEBUG);
    clear_env();
}

/* What merging more rows must keep true: unique flags, aliases and variables; variables named
 * SDK_*; every row documented and in a section; values named exactly when the flag takes one. */
static void test_table_is_consistent(void) {
    for (size_t i = 0; i < N_ARGS; i++) {
        const arg_def *d = &ARGS[i];
        CHECK_MSG(sdk_str_starts(d->flag, "--"), "%s", d->flag);
        CHECK_MSG(d->help && *d->help && d->section, "%s has no help or section", d->flag);
        if (d->env) CHECK_MSG(sdk_str_starts(d->env, "SDK_"), "%s: variable %s", d->flag, d->env);
        int nvals = d->kind == ARG_CUSTOM ? d->nvals : d->kind == ARG_BOOL ? 0 : 1;
        CHECK_MSG((nvals > 0) == (d->meta != NULL), "%s: takes %d values but its help shows '%s'", d->flag, nvals,
                  d->meta ? d->meta : "(none)");
        if (d->kind == ARG_CUSTOM) CHECK_MSG(d->set != NULL, "%s has no setter", d->flag);
        for (size_t j = 0; j < i; j++) {
            const arg_def *e = &ARGS[j];
            CHECK_MSG(strcmp(d->flag, e->flag), "flag %s twice", d->flag);
            if (d->alias) CHECK_MSG(strcmp(d->alias, e->flag) && (!e->alias || strcmp(d->alias, e->alias)),
                                    "alias %s twice", d->alias);
            if (d->env && e->env) CHECK_MSG(strcmp(d->env, e->env), "variable %s twice", d->env);
        }
    }
}

/* --help and --version still answer when SDK_LOG is bad; a run does not. */
static void test_bad_log_level_spares_help(void) {
    clear_env();
    setenv("SDK_LOG", "loud", 1);
    sdk_args a;
    char *err = NULL;
    CHECK_INT(parse(&a, &err, "--help", NULL), 0);
    sdk_args_free(&a);
    CHECK_INT(parse(&a, &err, "--version", NULL), 0);
    sdk_args_free(&a);
    clear_env();
}

int main(void) {
    RUN(test_table_is_consistent);
    RUN(test_bad_log_level_spares_help);
    RUN(test_environment_supplies_flags);
    RUN(test_flag_beats_environment);
    RUN(test_bad_values_name_their_source);
    RUN(test_every_kind_parses);
    RUN(test_help_lists_flags_and_variables);
    RUN(test_log_default_matches_help);
    return check_summary("args");
}

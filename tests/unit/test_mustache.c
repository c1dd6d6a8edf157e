/* Mustache rendering of svc.yml templates (sdk-behaviour.md §2.1). */
#include "core/spec/mustache.h"
#include "core/util/str.h"
#include "tests/unit/check.h"

static const sdk_kv VARS[] = {
    { "NAME", "hello" }, { "AMP", "a&b &amp; &#39; &#x3D; &bogus c<d>\"e'" },
    { "JSON", "[[\"hostname\", \"UNIQUE\"]]" }, { "YES", "TRUE" }, { "NO", "False" },
    { "EMPTY", "" }, { "ZERO", "0" }, { "DUP", "first" }, { "DUP", "last" },
};
#define NV (sizeof VARS / sizeof *VARS)

/* Renders; returns the output, or the errors joined by '\n' prefixed with "ERR:". */
static char *render(const char *t, bool strict) {
    sdk_errors errs;
    sdk_errors_init(&errs);
    char *out = (char *)1;
    int rc = sdk_mustache_render_new(t, VARS, NV, strict, &out, &errs);
    if (rc == 0) {
        CHECK(errs.n == 0);
        sdk_errors_free(&errs);
        return out;
    }
    CHECK(out == NULL);
    CHECK(errs.n > 0);
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_puts(&b, "ERR:");
    for (size_t i = 0; i < errs.n; i++) sdk_buf_printf(&b, "%s\n", errs.msgs[i]);
    sdk_errors_free(&errs);
    return sdk_buf_take(&b);
}
#define EXPECT(tmpl, strict, want) do { char *o_ = render((tmpl), (strict)); CHECK_STR(o_, (want)); free(o_); } while (0)

static void test_variables(void) {
    EXPECT("name: {{NAME}}\n", true, "name: hello\n");
    EXPECT("{{ NAME }}", true, "hello");
    EXPECT("plain text only", true, "plain text only");
    EXPECT("", true, "");
    EXPECT("{{DUP}}", true, "last");
}

static void test_escaping(void) {
    EXPECT("{{AMP}}", true, "a&amp;b &amp; &#39; &#x3D; &amp;bogus c&lt;d&gt;&quot;e&#39;");
    EXPECT("{{{AMP}}}", true, "a&b &amp; &#39; &#x3D; &bogus c<d>\"e'");
    EXPECT("{{&AMP}}", true, "a&b &amp; &#39; &#x3D; &bogus c<d>\"e'");
    EXPECT("placement: '{{{JSON}}}'", true, "placement: '[[\"hostname\", \"UNIQUE\"]]'");
    EXPECT("{{JSON}}", true, "[[&quot;hostname&quot;, &quot;UNIQUE&quot;]]");
}

static void test_booleans_and_sections(void) {
    EXPECT("{{YES}} {{NO}}", true, "true false");
    EXPECT("{{#YES}}on{{/YES}}{{#NO}}off{{/NO}}", true, "on");
    EXPECT("{{^YES}}a{{/YES}}{{^NO}}b{{/NO}}{{^EMPTY}}c{{/EMPTY}}{{^MISSING}}d{{/MISSING}}", true, "bcd");
    EXPECT("{{#ZERO}}zero is truthy{{/ZERO}}", true, "zero is truthy");
    EXPECT("{{#EMPTY}}x{{/EMPTY}}{{#MISSING}}{{ALSO_MISSING}}{{/MISSING}}", true, "");
    EXPECT("{{#NAME}}{{#YES}}[{{NAME}}]{{/YES}}{{/NAME}}", true, "[hello]");
    /* standalone section and comment lines leave no blank lines behind */
    EXPECT("a: 1\n  {{#YES}}\nb: 2\n{{/YES}}\n{{! note }}\nc: 3\n", true, "a: 1\nb: 2\nc: 3\n");
    EXPECT("x {{#YES}}y{{/YES}} z\n", true, "x y z\n");
    EXPECT("a{{! comment }}b", true, "ab");
}

static void test_missing(void) {
    EXPECT("count: {{NOPE}}\n", false, "count: \n");
    EXPECT("a\ncount: {{NOPE}}\nb: {{NAME}}\nc: {{{RAW_NOPE}}}\n", true,
           "ERR:line 2: missing variable NOPE\nline 4: missing variable RAW_NOPE\n");
}

static void test_structure_errors(void) {
    EXPECT("a\n{{#X}}\nb\n", false, "ERR:line 2: section 'X' is never closed\n");
    EXPECT("a\n{{#X}}\n{{/Y}}\n", true,
           "ERR:line 3: closing tag '{{/Y}}' does not match section 'X' opened on line 2\n");
    EXPECT("{{/X}}", false, "ERR:line 1: closing tag '{{/X}}' has no open section\n");
    EXPECT("ok\nname: {{NAME\n", false, "ERR:line 2: tag '{{' is never closed (no '}}')\n");
    EXPECT("{{{NAME}}\n", false, "ERR:line 1: tag '{{{' is never closed (no '}}}')\n");
    EXPECT("{{> partial}}", false,
           "ERR:line 1: unsupported mustache tag '{{>' (partials and delimiter changes are not supported)\n");
    EXPECT("a {{ }} b", false, "ERR:line 1: empty mustache tag\n");
}

int main(void) {
    RUN(test_variables);
    RUN(test_escaping);
    RUN(test_booleans_and_sections);
    RUN(test_missing);
    RUN(test_structure_errors);
    return check_summary("test_mustache");
}

/* The device list (src/remote/devices.c): lines parsed with their quoting,
 * URLs taken apart, errors named FILE:LINE, a save that keeps the user's
 * comments; and the shell quoting every remote command relies on. */
#include "remote/remote.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static void test_parse_and_save(void) {
    char path[512];
    test_tmp_path(path, sizeof path, "devices");
    write_text(path, "# mine\n"
                     "\n"
                     "phone ssh://u0_a1@10.0.0.2:8022 reserve=256\n"
                     "  pi\tssh://pi workdir=\"/mnt/my ssd/teai\" # not a comment: a word\n");
    teai_devices *l = NULL;
    teai_error err = {0};
    /* "#" inside a device line is no comment: "#" is a word without '=' */
    ASSERT_EQ(teai_devices_load(path, &l, &err), TEAI_EFORMAT);
    ASSERT_TRUE(strstr(err.msg, "devices:4: '#': expected key=value") != NULL);

    write_text(path,
               "# mine\n"
               "\n"
               "phone ssh://u0_a1@10.0.0.2:8022 reserve=256\n"
               "  pi\tssh://pi workdir=\"/mnt/my \\\"ssd\\\"/teai\" exec-prefix=\"nice -n 5\"\n"
               "tab adb://R58M arch=arm64\n");
    ASSERT_EQ(teai_devices_load(path, &l, &err), TEAI_OK);
    ASSERT_EQ(teai_devices_count(l), 3);
    const teai_device *p = teai_devices_find(l, "phone");
    ASSERT_TRUE(p != NULL);
    ASSERT_EQ(p->transport, TEAI_TRANSPORT_SSH);
    ASSERT_STREQ(p->user, "u0_a1");
    ASSERT_STREQ(p->host, "10.0.0.2");
    ASSERT_EQ(p->port, 8022);
    ASSERT_EQ(p->reserve_mb, 256);
    ASSERT_STREQ(teai_device_workdir(p), "teai");
    const teai_device *pi = teai_devices_find(l, "pi");
    ASSERT_TRUE(pi != NULL);
    ASSERT_STREQ(pi->user, "");
    ASSERT_EQ(pi->port, 0);
    ASSERT_STREQ(pi->workdir, "/mnt/my \"ssd\"/teai");
    ASSERT_STREQ(pi->exec_prefix, "nice -n 5");
    ASSERT_EQ(pi->reserve_mb, TEAI_DEVICE_RESERVE_MB);
    const teai_device *t = teai_devices_find(l, "tab");
    ASSERT_TRUE(t != NULL);
    ASSERT_EQ(t->transport, TEAI_TRANSPORT_ADB);
    ASSERT_STREQ(t->host, "R58M");
    ASSERT_STREQ(t->arch, "aarch64"); /* arm64 is aarch64 */
    ASSERT_STREQ(teai_device_workdir(t), "/data/local/tmp/teai");
    ASSERT_TRUE(teai_devices_find(l, "nope") == NULL);

    /* edit: one removed, one added; the comment and blank line stay */
    ASSERT_EQ(teai_devices_remove(l, "phone", &err), TEAI_OK);
    ASSERT_EQ(teai_devices_remove(l, "phone", &err), TEAI_ENOTFOUND);
    teai_device d;
    ASSERT_EQ(teai_device_init(&d, "box", "ssh://root@box:2222", &err), TEAI_OK);
    ASSERT_EQ(teai_device_set(&d, "identity", "/k/id ed", &err), TEAI_OK);
    ASSERT_EQ(teai_devices_put(l, &d, 0, &err), TEAI_OK);
    ASSERT_EQ(teai_devices_put(l, &d, 0, &err), TEAI_EINVAL);
    ASSERT_TRUE(strstr(err.msg, "device 'box' exists") != NULL);
    ASSERT_EQ(teai_devices_put(l, &d, 1, &err), TEAI_OK);
    teai_device_clear(&d);
    ASSERT_EQ(teai_devices_save(l, &err), TEAI_OK);
    teai_devices_free(l);
    char *text = NULL;
    size_t len = 0;
    ASSERT_EQ(teai__read_file(path, 1 << 20, &text, &len, &err), TEAI_OK);
    ASSERT_STREQ(text,
                 "# mine\n"
                 "\n"
                 "pi ssh://pi workdir=\"/mnt/my \\\"ssd\\\"/teai\" exec-prefix=\"nice -n 5\"\n"
                 "tab adb://R58M arch=aarch64\n"
                 "box ssh://root@box:2222 identity=\"/k/id ed\"\n");
    free(text);
    /* what was saved reads back the same */
    ASSERT_EQ(teai_devices_load(path, &l, &err), TEAI_OK);
    ASSERT_STREQ(teai_devices_find(l, "pi")->workdir, "/mnt/my \"ssd\"/teai");
    ASSERT_STREQ(teai_devices_find(l, "box")->identity, "/k/id ed");
    teai_devices_free(l);
    remove(path);

    /* a missing file is an empty list */
    ASSERT_EQ(teai_devices_load(path, &l, &err), TEAI_OK);
    ASSERT_EQ(teai_devices_count(l), 0);
    teai_devices_free(l);
}

static void test_bad_lines(void) {
    static const struct {
        const char *line, *msg;
    } bad[] = {
        {"x", "expected 'NAME URL"},
        {"bad/name ssh://h", "bad device name 'bad/name'"},
        {"a http://h", "expected ssh://[user@]host[:port] or adb://SERIAL"},
        {"a ssh://h:0", "bad port"},
        {"a ssh://h:99999", "bad port"},
        {"a ssh://h:22x", "bad port"},
        {"a ssh://-oProxyCommand=x", "bad host"},
        {"a ssh://@h", "bad user"},
        {"a ssh://h colour=red", "unknown key 'colour'"},
        {"a ssh://h reserve=lots", "reserve=lots"},
        {"a ssh://h arch=mips", "arch=mips"},
        {"a ssh://h workdir=\"open", "unterminated quote"},
        {"a ssh://h\na ssh://h", "device 'a' is listed twice"},
    };
    char path[512];
    test_tmp_path(path, sizeof path, "devices-bad");
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[256];
        snprintf(text, sizeof text, "# c\n%s\n", bad[i].line);
        write_text(path, text);
        teai_devices *l = NULL;
        teai_error err = {0};
        ASSERT_EQ(teai_devices_load(path, &l, &err), TEAI_EFORMAT);
        ASSERT_TRUE(l == NULL);
        if (!strstr(err.msg, bad[i].msg) || !strstr(err.msg, "devices-bad:")) {
            TEST_FAIL_AT("'%s': got '%s', wanted '%s'", bad[i].line, err.msg, bad[i].msg);
            return;
        }
    }
    remove(path);
}

static void test_quote_and_arch(void) {
    teai_buf b;
    teai_buf_init(&b, 0);
    ASSERT_EQ(teai_sh_quote(&b, "it's a $(x) `y` \"z\""), TEAI_OK);
    ASSERT_STREQ(b.data, "'it'\\''s a $(x) `y` \"z\"'");
    teai_buf_free(&b);
    /* the shell gives the string back as it was */
    teai_buf_init(&b, 0);
    ASSERT_EQ(teai_buf_addstr(&b, "test \"$(printf %s "), TEAI_OK);
    ASSERT_EQ(teai_sh_quote(&b, "a'b $HOME \\n"), TEAI_OK);
    ASSERT_EQ(teai_buf_addstr(&b, ")\" = 'a'\\''b $HOME \\n'"), TEAI_OK);
    ASSERT_EQ(test_system("%s", b.data), 0);
    teai_buf_free(&b);
    ASSERT_STREQ(teai_remote_arch("arm64"), "aarch64");
    ASSERT_STREQ(teai_remote_arch("aarch64"), "aarch64");
    ASSERT_STREQ(teai_remote_arch("armv7l"), "armv7");
    ASSERT_STREQ(teai_remote_arch("armv8l"), "armv7");
    ASSERT_STREQ(teai_remote_arch("amd64"), "x86_64");
    ASSERT_TRUE(teai_remote_arch("mips") == NULL);
}

int main(void) {
    RUN_TEST(test_parse_and_save);
    RUN_TEST(test_bad_lines);
    RUN_TEST(test_quote_and_arch);
    TEST_MAIN_END();
}

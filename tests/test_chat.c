/* Chat templates: detection and rendering, against llama.cpp's
 * llama_chat_apply_template output for "llama3" and "chatml". */
#include "test_util.h"

#include "teai/engine.h"

/* The conversation of llama.cpp's tests/test-chat-template.cpp. */
static const teai_chat_msg k_msgs[] = {
    {"system", "You are a helpful assistant"},
    {"user", "Hello"},
    {"assistant", "Hi there"},
    {"user", "Who are you"},
    {"assistant", "   I am an assistant   "},
    {"user", "Another question"},
};
#define N_MSGS ((int)(sizeof k_msgs / sizeof *k_msgs))

/* Renders into a buffer of the exact size the first call asks for. */
static char *render(teai_chat_format fmt, const teai_chat_msg *m, int n, int add_assistant) {
    int need = teai_chat_apply(fmt, m, n, add_assistant, NULL, 0);
    if (need < 0) return NULL;
    char *buf = malloc((size_t)need + 1);
    if (teai_chat_apply(fmt, m, n, add_assistant, buf, (size_t)need + 1) != need) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void test_detect(void) {
    /* Excerpts of the real templates. */
    const char *llama3 =
        "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
        "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | "
        "trim + '<|eot_id|>' %}{{ content }}{% endfor %}";
    const char *qwen2 = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + "
                        "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}";
    ASSERT_EQ(teai_chat_detect(llama3), TEAI_CHAT_LLAMA3);
    ASSERT_EQ(teai_chat_detect(qwen2), TEAI_CHAT_CHATML);
    ASSERT_EQ(teai_chat_detect("llama3"), TEAI_CHAT_LLAMA3);
    ASSERT_EQ(teai_chat_detect("chatml"), TEAI_CHAT_CHATML);
    ASSERT_EQ(teai_chat_detect("[INST] {{ x }} [/INST]"), TEAI_CHAT_NONE);
    ASSERT_EQ(teai_chat_detect(""), TEAI_CHAT_NONE);
    ASSERT_EQ(teai_chat_detect(NULL), TEAI_CHAT_NONE);
}

static void test_llama3(void) {
    /* llama.cpp's expected output for the Llama 3 template. */
    const char *want =
        "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nWho are you<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\nI am an assistant<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nAnother question<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n";
    char *got = render(TEAI_CHAT_LLAMA3, k_msgs, N_MSGS, 1);
    ASSERT_STREQ(got, want);
    free(got);
    /* Content is trimmed; no assistant header without add_assistant. */
    teai_chat_msg m = {"user", "  \n Hi \t\n"};
    got = render(TEAI_CHAT_LLAMA3, &m, 1, 0);
    ASSERT_STREQ(got, "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>");
    free(got);
}

static void test_chatml(void) {
    /* llama.cpp's expected output for the ChatML template. */
    const char *want = "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n"
                       "<|im_start|>user\nHello<|im_end|>\n"
                       "<|im_start|>assistant\nHi there<|im_end|>\n"
                       "<|im_start|>user\nWho are you<|im_end|>\n"
                       "<|im_start|>assistant\n   I am an assistant   <|im_end|>\n"
                       "<|im_start|>user\nAnother question<|im_end|>\n"
                       "<|im_start|>assistant\n";
    char *got = render(TEAI_CHAT_CHATML, k_msgs, N_MSGS, 1);
    ASSERT_STREQ(got, want);
    free(got);
    teai_chat_msg m = {"user", " x "}; /* not trimmed */
    got = render(TEAI_CHAT_CHATML, &m, 1, 0);
    ASSERT_STREQ(got, "<|im_start|>user\n x <|im_end|>\n");
    free(got);
}

static void test_small_buffer_and_errors(void) {
    char buf[8];
    int need = teai_chat_apply(TEAI_CHAT_CHATML, k_msgs, 1, 0, buf, sizeof buf);
    ASSERT_EQ(need, (int)strlen("<|im_start|>system\nYou are a helpful assistant<|im_end|>\n"));
    ASSERT_STREQ(buf, "<|im_st"); /* truncated, NUL-terminated */
    ASSERT_EQ(teai_chat_apply(TEAI_CHAT_NONE, k_msgs, 1, 0, buf, sizeof buf), TEAI_EUNSUPPORTED);
    ASSERT_EQ(teai_chat_apply(TEAI_CHAT_LLAMA3, NULL, 1, 0, buf, sizeof buf), TEAI_EINVAL);
    ASSERT_EQ(teai_chat_apply(TEAI_CHAT_LLAMA3, NULL, 0, 1, buf, sizeof buf),
              (int)strlen("<|start_header_id|>assistant<|end_header_id|>\n\n"));
}

int main(void) {
    RUN_TEST(test_detect);
    RUN_TEST(test_llama3);
    RUN_TEST(test_chatml);
    RUN_TEST(test_small_buffer_and_errors);
    TEST_MAIN_END();
}

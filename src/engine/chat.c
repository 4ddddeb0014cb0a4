/* Chat templates: recognizing a model's template and rendering messages the
 * way llama.cpp's llama_chat_apply_template does for it.
 *
 * Llama 3: "<|start_header_id|>{role}<|end_header_id|>\n\n{content}<|eot_id|>"
 *   per message, content trimmed of leading and trailing whitespace (as the
 *   template's `| trim`); add_assistant appends
 *   "<|start_header_id|>assistant<|end_header_id|>\n\n". The template's
 *   leading "<|begin_of_text|>" is NOT written: it is the BOS token, which
 *   tokenizing with add_bos adds (llama.cpp does the same).
 * ChatML: "<|im_start|>{role}\n{content}<|im_end|>\n" per message, content
 *   as is; add_assistant appends "<|im_start|>assistant\n". No system
 *   message is invented (Qwen2's template adds a default one; llama.cpp's
 *   chatml does not). */
#include "teai/engine.h"

#include <string.h>

teai_chat_format teai_chat_detect(const char *tmpl) {
    if (!tmpl) return TEAI_CHAT_NONE;
    /* Template names, as llama.cpp accepts them. */
    if (strcmp(tmpl, "chatml") == 0) return TEAI_CHAT_CHATML;
    if (strcmp(tmpl, "llama3") == 0) return TEAI_CHAT_LLAMA3;
    /* Same order as llama.cpp's detection: ChatML markers win. */
    if (strstr(tmpl, "<|im_start|>")) return TEAI_CHAT_CHATML;
    if (strstr(tmpl, "<|start_header_id|>") && strstr(tmpl, "<|end_header_id|>"))
        return TEAI_CHAT_LLAMA3;
    return TEAI_CHAT_NONE;
}

/* Appends n bytes to buf while room remains; always counts them. */
typedef struct out {
    char *buf;
    size_t cap, len;
} out;

static void put(out *o, const char *s, size_t n) {
    if (o->len < o->cap) {
        size_t room = o->cap - o->len;
        memcpy(o->buf + o->len, s, n < room ? n : room);
    }
    o->len += n;
}

static void puts_(out *o, const char *s) {
    put(o, s, strlen(s));
}

static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int teai_chat_apply(teai_chat_format fmt, const teai_chat_msg *msgs, int n, int add_assistant,
                    char *buf, size_t cap) {
    if (fmt != TEAI_CHAT_LLAMA3 && fmt != TEAI_CHAT_CHATML) return TEAI_EUNSUPPORTED;
    if (n < 0 || (n > 0 && !msgs) || (!buf && cap > 0)) return TEAI_EINVAL;
    out o = {buf, cap, 0};
    for (int i = 0; i < n; i++) {
        const char *role = msgs[i].role ? msgs[i].role : "";
        const char *c = msgs[i].content ? msgs[i].content : "";
        size_t cn = strlen(c);
        if (fmt == TEAI_CHAT_LLAMA3) {
            while (cn > 0 && is_space(*c)) c++, cn--;
            while (cn > 0 && is_space(c[cn - 1])) cn--;
            puts_(&o, "<|start_header_id|>");
            puts_(&o, role);
            puts_(&o, "<|end_header_id|>\n\n");
            put(&o, c, cn);
            puts_(&o, "<|eot_id|>");
        } else {
            puts_(&o, "<|im_start|>");
            puts_(&o, role);
            puts_(&o, "\n");
            put(&o, c, cn);
            puts_(&o, "<|im_end|>\n");
        }
    }
    if (add_assistant)
        puts_(&o, fmt == TEAI_CHAT_LLAMA3 ? "<|start_header_id|>assistant<|end_header_id|>\n\n"
                                          : "<|im_start|>assistant\n");
    if (o.len > (size_t)INT32_MAX) return TEAI_ERANGE;
    if (cap > 0) buf[o.len < cap ? o.len : cap - 1] = '\0';
    return (int)o.len;
}

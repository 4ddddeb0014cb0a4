/* The device list (~/.config/teai/devices): read, edited and written back
 * with the user's comments and blank lines where they were. */
#include "remote.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct line {
    char *text; /* the line as read (comments, blanks); NULL for a device line */
    int dev;    /* index into devs for a device line; -1 otherwise */
} line;

struct teai_devices {
    char *path;
    line *lines;
    int n_lines, cap_lines;
    teai_device *devs;
    int n_devs, cap_devs;
};

static char *dup_str(const char *s) {
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    if (p) memcpy(p, s, n + 1);
    return p;
}

static int set_str(char **dst, const char *s) {
    char *p = dup_str(s);
    if (!p) return TEAI_ENOMEM;
    free(*dst);
    *dst = p;
    return TEAI_OK;
}

int teai_devices_path(char *out, size_t cap, teai_error *err) {
    const char *c = getenv("TEAI_CONFIG_DIR");
    int n;
    if (c && *c) {
        n = snprintf(out, cap, "%s/devices", c);
    } else {
        const char *x = getenv("XDG_CONFIG_HOME");
        if (x && *x) {
            n = snprintf(out, cap, "%s/teai/devices", x);
        } else {
            const char *h = getenv("HOME");
            n = snprintf(out, cap, "%s/.config/teai/devices", h && *h ? h : ".");
        }
    }
    if (n < 0 || (size_t)n >= cap) return teai__fail(err, TEAI_EINVAL, "device list path too long");
    return TEAI_OK;
}

static int name_ok(const char *s) {
    size_t n = strlen(s);
    if (n < 1 || n >= TEAI_DEVICE_NAME_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-') return 0;
    return 1;
}

void teai_device_clear(teai_device *d) {
    free(d->url);
    free(d->user);
    free(d->host);
    free(d->identity);
    free(d->workdir);
    free(d->exec_prefix);
    free(d->ssh_config);
    memset(d, 0, sizeof *d);
}

/* ssh://[user@]host[:port] or adb://SERIAL into d */
static int parse_url(teai_device *d, const char *url, teai_error *err) {
    if (strncmp(url, "adb://", 6) == 0) {
        const char *s = url + 6;
        if (!*s || strpbrk(s, " \t'\"/"))
            return teai__fail(err, TEAI_EINVAL, "'%s': expected adb://SERIAL", url);
        d->transport = TEAI_TRANSPORT_ADB;
        if (set_str(&d->host, s) || set_str(&d->user, "")) return TEAI_ENOMEM;
        d->port = 0;
        return TEAI_OK;
    }
    if (strncmp(url, "ssh://", 6) != 0)
        return teai__fail(err, TEAI_EINVAL,
                          "'%s': expected ssh://[user@]host[:port] or adb://SERIAL", url);
    const char *s = url + 6, *at = strchr(s, '@');
    char user[256] = "", host[256];
    if (at) {
        if (at == s || (size_t)(at - s) >= sizeof user)
            return teai__fail(err, TEAI_EINVAL, "'%s': bad user", url);
        memcpy(user, s, (size_t)(at - s));
        user[at - s] = '\0';
        s = at + 1;
    }
    const char *colon = strrchr(s, ':');
    size_t hl = colon ? (size_t)(colon - s) : strlen(s);
    if (hl == 0 || hl >= sizeof host) return teai__fail(err, TEAI_EINVAL, "'%s': no host", url);
    memcpy(host, s, hl);
    host[hl] = '\0';
    int port = 0;
    if (colon) {
        char *end;
        errno = 0;
        long p = strtol(colon + 1, &end, 10);
        if (errno || end == colon + 1 || *end || p < 1 || p > 65535)
            return teai__fail(err, TEAI_EINVAL, "'%s': bad port", url);
        port = (int)p;
    }
    for (const char *p = user; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
            return teai__fail(err, TEAI_EINVAL, "'%s': bad user", url);
    for (const char *p = host; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
            return teai__fail(err, TEAI_EINVAL, "'%s': bad host", url);
    if (host[0] == '-') return teai__fail(err, TEAI_EINVAL, "'%s': bad host", url);
    d->transport = TEAI_TRANSPORT_SSH;
    d->port = port;
    if (set_str(&d->user, user) || set_str(&d->host, host)) return TEAI_ENOMEM;
    return TEAI_OK;
}

int teai_device_init(teai_device *d, const char *name, const char *url, teai_error *err) {
    memset(d, 0, sizeof *d);
    if (!name_ok(name))
        return teai__fail(err, TEAI_EINVAL, "bad device name '%s' (1-63 of A-Z a-z 0-9 . _ -)",
                          name);
    snprintf(d->name, sizeof d->name, "%s", name);
    d->reserve_mb = TEAI_DEVICE_RESERVE_MB;
    int st = parse_url(d, url, err);
    if (st == TEAI_OK &&
        (set_str(&d->url, url) || set_str(&d->identity, "") || set_str(&d->workdir, "") ||
         set_str(&d->exec_prefix, "") || set_str(&d->ssh_config, "")))
        st = teai__fail(err, TEAI_ENOMEM, "out of memory");
    if (st != TEAI_OK) teai_device_clear(d);
    return st;
}

const char *teai_device_workdir(const teai_device *d) {
    if (d->workdir && *d->workdir) return d->workdir;
    return d->transport == TEAI_TRANSPORT_ADB ? "/data/local/tmp/teai" : "teai";
}

int teai_device_set(teai_device *d, const char *key, const char *value, teai_error *err) {
    char **dst = NULL;
    if (strcmp(key, "identity") == 0)
        dst = &d->identity;
    else if (strcmp(key, "workdir") == 0)
        dst = &d->workdir;
    else if (strcmp(key, "exec-prefix") == 0)
        dst = &d->exec_prefix;
    else if (strcmp(key, "ssh-config") == 0)
        dst = &d->ssh_config;
    else if (strcmp(key, "reserve") == 0) {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end || v < 0 || v > 1000000)
            return teai__fail(err, TEAI_EINVAL, "reserve=%s: expected MB, 0..1000000", value);
        d->reserve_mb = v;
        return TEAI_OK;
    } else if (strcmp(key, "arch") == 0) {
        const char *a = value[0] ? teai_remote_arch(value) : "";
        if (!a)
            return teai__fail(err, TEAI_EINVAL, "arch=%s: expected x86_64, aarch64 or armv7",
                              value);
        snprintf(d->arch, sizeof d->arch, "%s", a);
        return TEAI_OK;
    } else {
        return teai__fail(
            err, TEAI_EINVAL,
            "unknown key '%s' (identity, workdir, exec-prefix, ssh-config, reserve, arch)", key);
    }
    if (strchr(value, '\n')) return teai__fail(err, TEAI_EINVAL, "%s: a line break", key);
    if (set_str(dst, value)) return teai__fail(err, TEAI_ENOMEM, "out of memory");
    return TEAI_OK;
}

static int add_value(teai_buf *b, const char *key, const char *v) {
    if (!v || !*v) return TEAI_OK;
    int st = teai_buf_printf(b, "%s%s=", b->len ? " " : "", key);
    int plain = !strpbrk(v, " \t\"\\#");
    if (plain) return st ? st : teai_buf_addstr(b, v);
    st = st ? st : teai_buf_addstr(b, "\"");
    for (const char *p = v; *p && !st; p++) {
        if (*p == '"' || *p == '\\') st = teai_buf_addstr(b, "\\");
        if (!st) st = teai_buf_add(b, p, 1);
    }
    return st ? st : teai_buf_addstr(b, "\"");
}

int teai_device_options(const teai_device *d, teai_buf *b) {
    int st = add_value(b, "identity", d->identity);
    st = st ? st : add_value(b, "workdir", d->workdir);
    st = st ? st : add_value(b, "exec-prefix", d->exec_prefix);
    st = st ? st : add_value(b, "ssh-config", d->ssh_config);
    if (!st && d->arch[0]) st = add_value(b, "arch", d->arch);
    if (!st && d->reserve_mb != TEAI_DEVICE_RESERVE_MB)
        st = teai_buf_printf(b, "%sreserve=%ld", b->len ? " " : "", d->reserve_mb);
    return st;
}

/* The next word of a line at *p: blank-separated, double quotes group
 * (\" and \\ inside). Writes it to out; 0 at the end of the line, -1 for an
 * unterminated quote or a word too long. */
static int next_word(const char **p, char *out, size_t cap) {
    const char *s = *p;
    while (*s == ' ' || *s == '\t') s++;
    if (!*s) return 0;
    size_t n = 0;
    int quoted = 0;
    for (; *s; s++) {
        char c = *s;
        if (quoted) {
            if (c == '"') {
                quoted = 0;
                continue;
            }
            if (c == '\\' && (s[1] == '"' || s[1] == '\\')) c = *++s;
        } else if (c == ' ' || c == '\t') {
            break;
        } else if (c == '"') {
            quoted = 1;
            continue;
        }
        if (n + 1 >= cap) return -1;
        out[n++] = c;
    }
    if (quoted) return -1;
    out[n] = '\0';
    *p = s;
    return 1;
}

static int push_line(teai_devices *l, char *text, int dev) {
    if (l->n_lines == l->cap_lines) {
        int cap = l->cap_lines ? 2 * l->cap_lines : 16;
        line *p = realloc(l->lines, (size_t)cap * sizeof *p);
        if (!p) return TEAI_ENOMEM;
        l->lines = p;
        l->cap_lines = cap;
    }
    l->lines[l->n_lines++] = (line){text, dev};
    return TEAI_OK;
}

static int push_dev(teai_devices *l, const teai_device *d) {
    if (l->n_devs == l->cap_devs) {
        int cap = l->cap_devs ? 2 * l->cap_devs : 8;
        teai_device *p = realloc(l->devs, (size_t)cap * sizeof *p);
        if (!p) return TEAI_ENOMEM;
        l->devs = p;
        l->cap_devs = cap;
    }
    if (push_line(l, NULL, l->n_devs) != TEAI_OK) return TEAI_ENOMEM;
    l->devs[l->n_devs++] = *d;
    return TEAI_OK;
}

/* One device line into d; err says what is wrong (the caller adds FILE:LINE). */
static int parse_line(const char *s, teai_device *d, teai_error *err) {
    char name[256], url[1024], kv[4096];
    const char *p = s;
    if (next_word(&p, name, sizeof name) != 1 || next_word(&p, url, sizeof url) != 1)
        return teai__fail(err, TEAI_EFORMAT, "expected 'NAME URL [key=value ...]'");
    int st = teai_device_init(d, name, url, err);
    if (st != TEAI_OK) return TEAI_EFORMAT;
    int w;
    while ((w = next_word(&p, kv, sizeof kv)) == 1) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            teai_device_clear(d);
            return teai__fail(err, TEAI_EFORMAT, "'%s': expected key=value", kv);
        }
        *eq = '\0';
        if (teai_device_set(d, kv, eq + 1, err) != TEAI_OK) {
            teai_device_clear(d);
            return TEAI_EFORMAT;
        }
    }
    if (w < 0) {
        teai_device_clear(d);
        return teai__fail(err, TEAI_EFORMAT, "unterminated quote or value too long");
    }
    return TEAI_OK;
}

int teai_devices_load(const char *path, teai_devices **out, teai_error *err) {
    *out = NULL;
    teai_devices *l = calloc(1, sizeof *l);
    if (!l || !(l->path = dup_str(path))) {
        free(l);
        return teai__fail(err, TEAI_ENOMEM, "out of memory");
    }
    char *text = NULL;
    size_t len = 0;
    teai_error e2 = {0};
    int st = teai__read_file(path, 4u << 20, &text, &len, &e2);
    if (st != TEAI_OK) {
        FILE *f = fopen(path, "r");
        if (!f && errno == ENOENT) {
            *out = l; /* no file yet: an empty list */
            return TEAI_OK;
        }
        if (f) fclose(f);
        teai_devices_free(l);
        return teai__fail(err, st, "%s", e2.msg);
    }
    int lineno = 0;
    char *s = text;
    while (s && *s && st == TEAI_OK) {
        char *nl = strchr(s, '\n');
        if (nl) *nl = '\0';
        lineno++;
        size_t n = strlen(s);
        if (n && s[n - 1] == '\r') s[--n] = '\0';
        const char *t = s;
        while (*t == ' ' || *t == '\t') t++;
        if (!*t || *t == '#') {
            char *c = dup_str(s);
            st = c ? push_line(l, c, -1) : TEAI_ENOMEM;
            if (st != TEAI_OK) free(c);
        } else {
            teai_device d;
            teai_error pe = {0};
            if (parse_line(t, &d, &pe) != TEAI_OK) {
                st = teai__fail(err, TEAI_EFORMAT, "%s:%d: %s", path, lineno, pe.msg);
            } else if (teai_devices_find(l, d.name)) {
                st = teai__fail(err, TEAI_EFORMAT, "%s:%d: device '%s' is listed twice", path,
                                lineno, d.name);
                teai_device_clear(&d);
            } else if ((st = push_dev(l, &d)) != TEAI_OK) {
                teai_device_clear(&d);
            }
        }
        s = nl ? nl + 1 : NULL;
    }
    free(text);
    if (st == TEAI_ENOMEM) teai__fail(err, st, "out of memory");
    if (st != TEAI_OK) {
        teai_devices_free(l);
        return st;
    }
    *out = l;
    return TEAI_OK;
}

void teai_devices_free(teai_devices *l) {
    if (!l) return;
    for (int i = 0; i < l->n_lines; i++) free(l->lines[i].text);
    for (int i = 0; i < l->n_devs; i++) teai_device_clear(&l->devs[i]);
    free(l->lines);
    free(l->devs);
    free(l->path);
    free(l);
}

int teai_devices_count(const teai_devices *l) {
    return l->n_devs;
}
const teai_device *teai_devices_at(const teai_devices *l, int i) {
    return &l->devs[i];
}
const char *teai_devices_file(const teai_devices *l) {
    return l->path;
}

const teai_device *teai_devices_find(const teai_devices *l, const char *name) {
    for (int i = 0; i < l->n_devs; i++)
        if (l->devs[i].name[0] && strcmp(l->devs[i].name, name) == 0) return &l->devs[i];
    return NULL;
}

static int copy_device(teai_device *dst, const teai_device *s) {
    memset(dst, 0, sizeof *dst);
    memcpy(dst->name, s->name, sizeof dst->name);
    memcpy(dst->arch, s->arch, sizeof dst->arch);
    dst->transport = s->transport;
    dst->port = s->port;
    dst->reserve_mb = s->reserve_mb;
    const char *src[7] = {s->url,     s->user,        s->host,      s->identity,
                          s->workdir, s->exec_prefix, s->ssh_config};
    char **to[7] = {&dst->url,     &dst->user,        &dst->host,      &dst->identity,
                    &dst->workdir, &dst->exec_prefix, &dst->ssh_config};
    for (int i = 0; i < 7; i++)
        if (set_str(to[i], src[i] ? src[i] : "")) {
            teai_device_clear(dst);
            return TEAI_ENOMEM;
        }
    return TEAI_OK;
}

int teai_devices_put(teai_devices *l, const teai_device *d, int replace, teai_error *err) {
    teai_device c;
    if (copy_device(&c, d) != TEAI_OK) return teai__fail(err, TEAI_ENOMEM, "out of memory");
    for (int i = 0; i < l->n_devs; i++) {
        if (strcmp(l->devs[i].name, d->name) != 0) continue;
        if (!replace) {
            teai_device_clear(&c);
            return teai__fail(err, TEAI_EINVAL, "device '%s' exists", d->name);
        }
        teai_device_clear(&l->devs[i]);
        l->devs[i] = c;
        return TEAI_OK;
    }
    if (push_dev(l, &c) != TEAI_OK) {
        teai_device_clear(&c);
        return teai__fail(err, TEAI_ENOMEM, "out of memory");
    }
    return TEAI_OK;
}

int teai_devices_remove(teai_devices *l, const char *name, teai_error *err) {
    for (int i = 0; i < l->n_devs; i++) {
        if (!l->devs[i].name[0] || strcmp(l->devs[i].name, name) != 0) continue;
        /* an emptied slot: its line is dropped on save, indices stay valid */
        teai_device_clear(&l->devs[i]);
        return TEAI_OK;
    }
    return teai__fail(err, TEAI_ENOTFOUND, "no device '%s'", name);
}

int teai_devices_save(const teai_devices *l, teai_error *err) {
    teai_buf b, o;
    teai_buf_init(&b, 0);
    teai_buf_init(&o, 0);
    int st = TEAI_OK;
    for (int i = 0; i < l->n_lines && st == TEAI_OK; i++) {
        const line *ln = &l->lines[i];
        if (ln->dev < 0) {
            st = teai_buf_printf(&b, "%s\n", ln->text);
            continue;
        }
        const teai_device *d = &l->devs[ln->dev];
        if (!d->name[0]) continue; /* removed */
        o.len = 0;
        if (o.data) o.data[0] = '\0';
        st = teai_device_options(d, &o);
        if (st == TEAI_OK)
            st = teai_buf_printf(&b, "%s %s%s%s\n", d->name, d->url, o.len ? " " : "",
                                 o.len ? o.data : "");
    }
    teai_buf_free(&o);
    if (st != TEAI_OK) {
        teai_buf_free(&b);
        return teai__fail(err, TEAI_ENOMEM, "out of memory");
    }
    /* the folder first (~/.config/teai may not exist yet) */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", l->path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        st = teai__mkdirs(dir, err);
    }
    if (st == TEAI_OK) st = teai__write_file_atomic(l->path, b.len ? b.data : "", b.len, err);
    teai_buf_free(&b);
    return st;
}

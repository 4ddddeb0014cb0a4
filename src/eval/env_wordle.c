/* wordle: a game of up to six guesses at a secret 5-letter word, with
 * TextArena's feedback letters (G, Y, X) and the original's rewards
 * (task.h). */
#include "eval/task.h"

#include "base/base.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void teai_wordle_feedback(const char *guess, const char *answer, char out[6]) {
    int left[26] = {0}; /* letters of the answer not matched by a green */
    for (int i = 0; i < 5; i++) {
        out[i] = 'X';
        if (guess[i] == answer[i])
            out[i] = 'G';
        else if (answer[i] >= 'a' && answer[i] <= 'z')
            left[answer[i] - 'a']++;
    }
    for (int i = 0; i < 5; i++) {
        int c = guess[i] - 'a';
        if (out[i] == 'G' || c < 0 || c >= 26) continue;
        if (left[c] > 0) {
            out[i] = 'Y';
            left[c]--;
        }
    }
    out[5] = '\0';
}

/* 1 if s[0..n) (after trimming blanks and one pair of brackets) is five
 * ASCII letters; out gets them lowercased. */
static int five_letters(const char *s, size_t n, char out[6]) {
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') s++, n -= 2;
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    if (n != 5) return 0;
    for (size_t i = 0; i < 5; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return 0;
        out[i] = (char)tolower(c);
    }
    out[5] = '\0';
    return 1;
}

int teai_wordle_parse_guess(const char *reply, char out[6]) {
    out[0] = '\0';
    if (!reply) return 0;
    const char *open = NULL;
    for (const char *p = strstr(reply, "<guess>"); p; p = strstr(p + 7, "<guess>")) open = p;
    if (open) {
        const char *s = open + 7, *close = strstr(s, "</guess>");
        if (five_letters(s, close ? (size_t)(close - s) : strlen(s), out)) return 1;
        out[0] = '\0';
        return 0;
    }
    const char *last = NULL;
    for (const char *p = strchr(reply, '['); p; p = strchr(p + 1, '['))
        if (p[1] && p[2] && p[3] && p[4] && p[5] && p[6] == ']') last = p;
    if (last && five_letters(last, 7, out)) return 1;
    out[0] = '\0';
    return 0;
}

double teai_wordle_reward(int won, int turns) {
    return won ? 1.0 + 1.0 / (turns + 1) : 0.0;
}

double teai_wordle_partial(const char *feedback) {
    double s = 0;
    for (const char *p = feedback; p && *p; p++) s += *p == 'G' ? 0.2 : *p == 'Y' ? 0.1 : 0;
    return s;
}

char *teai__wordle_prompt(const char (*guesses)[6], const char (*feedback)[6], int n_done) {
    teai_buf b;
    teai_buf_init(&b, 0);
    int rc = teai_buf_printf(
        &b,
        "You are playing Wordle. Guess the secret 5-letter English word in at most %d guesses. "
        "After each guess you get feedback for each letter: G = right letter in the right place, "
        "Y = in the word but in another place, X = not in the word (or no more copies of it).\n"
        "Reply with your guess only, a 5-letter word inside <guess>...</guess> tags, for example "
        "<guess>[crane]</guess>.\n",
        TEAI_WORDLE_TURNS);
    if (!rc && n_done) rc = teai_buf_addstr(&b, "\nYour guesses so far:\n");
    for (int t = 0; !rc && t < n_done; t++) {
        if (guesses[t][0]) {
            const char *g = guesses[t], *f = feedback[t];
            rc = teai_buf_printf(&b, "Guess %d: %c %c %c %c %c\nFeedback: %c %c %c %c %c\n", t + 1,
                                 toupper((unsigned char)g[0]), toupper((unsigned char)g[1]),
                                 toupper((unsigned char)g[2]), toupper((unsigned char)g[3]),
                                 toupper((unsigned char)g[4]), f[0], f[1], f[2], f[3], f[4]);
        } else {
            rc = teai_buf_printf(&b,
                                 "Guess %d: invalid (no 5-letter word inside <guess>...</guess>); "
                                 "it counts as a guess\n",
                                 t + 1);
        }
    }
    if (!rc)
        rc = teai_buf_printf(&b,
                             "\nYou have %d guess%s left. Your guess:", TEAI_WORDLE_TURNS - n_done,
                             TEAI_WORDLE_TURNS - n_done == 1 ? "" : "es");
    if (rc) {
        teai_buf_free(&b);
        return NULL;
    }
    return b.data;
}

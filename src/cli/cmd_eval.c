/* teai eval: accuracy of a model and quantization. The subcommands live in
 * cmd_eval_ppl.c (perplexity, KL divergence) and cmd_eval_task.c (task
 * environments through a backend). */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(
        f,
        "usage: teai eval ppl  -m MODEL [--quantize Q] --text FILE [--ctx N] [--kl-base OUT | "
        "--kl BASE]\n"
        "       teai eval task --env gsm8k|reverse_text|wordle --dataset FILE.jsonl "
        "--backend B ...\n\n"
        "  ppl    perplexity of the built-in engine on a text, llama-perplexity's way, and\n"
        "         KL divergence of a quantization against saved reference log-probabilities\n"
        "  task   accuracy on a task environment through a backend (native, llamacpp, openai)\n\n"
        "teai eval ppl --help and teai eval task --help list their options.\n");
}

int cmd_eval(int argc, char **argv) {
    if (argc < 2 || cli_is(argv[1], "-h", "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "ppl") == 0) return cmd_eval_ppl(argc - 1, argv + 1);
    if (strcmp(argv[1], "task") == 0) return cmd_eval_task(argc - 1, argv + 1);
    return cli_usage_error("eval", "unknown subcommand '%s' (ppl or task)", argv[1]);
}

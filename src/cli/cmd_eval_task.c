/* Interim: the command lands in a following commit. */
#include "cli.h"

#include <stdio.h>

int cmd_eval_task(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "teai: this command is not in this build yet\n");
    return CLI_EXIT_FAIL;
}

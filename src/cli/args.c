/*
 * Option parsing: GNU-style long options only (--name VALUE, --name=VALUE),
 * "--" ends options, everything else is positional. Errors are one line on
 * stderr, naming the command and the offending argument.
 */
#include "args.h"

#include <stdio.h>
#include <string.h>

static int find_opt(const cli_opt *opts, size_t nopts, const char *name, size_t len)
{
    for (size_t i = 0; i < nopts; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

int cli_parse(cli_args *out, const char *cmd, int argc, char **argv, const cli_opt *opts,
              size_t nopts)
{
    memset(out, 0, sizeof *out);
    out->opts = opts;
    out->nopts = nopts;
    if (nopts > sizeof out->counts / sizeof out->counts[0]) {
        fprintf(stderr, "delta %s: too many options declared\n", cmd);
        return 2;
    }
    bool only_positional = false;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (only_positional || arg[0] != '-' || strcmp(arg, "-") == 0) {
            if (out->npositional == CLI_MAX_VALUES) {
                fprintf(stderr, "delta %s: too many arguments\n", cmd);
                return 2;
            }
            out->positional[out->npositional++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_positional = true;
            continue;
        }
        if (arg[1] != '-') {
            fprintf(stderr, "delta %s: unknown option '%s' (options are --long; see 'delta help %s')\n",
                    cmd, arg, cmd);
            return 2;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        int k = find_opt(opts, nopts, name, len);
        if (k < 0) {
            fprintf(stderr, "delta %s: unknown option '--%.*s' (see 'delta help %s')\n", cmd,
                    (int)len, name, cmd);
            return 2;
        }
        const cli_opt *o = &opts[k];
        const char *value = NULL;
        if (o->kind == CLI_FLAG) {
            if (eq) {
                fprintf(stderr, "delta %s: option '--%s' takes no value\n", cmd, o->name);
                return 2;
            }
        } else if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            fprintf(stderr, "delta %s: option '--%s' needs a value\n", cmd, o->name);
            return 2;
        }
        if (o->kind != CLI_REPEATED && out->counts[k] > 0) {
            fprintf(stderr, "delta %s: option '--%s' given more than once\n", cmd, o->name);
            return 2;
        }
        if (out->counts[k] == CLI_MAX_VALUES) {
            fprintf(stderr, "delta %s: option '--%s' given too many times\n", cmd, o->name);
            return 2;
        }
        out->values[k][out->counts[k]++] = value;
    }
    return 0;
}

static int index_of(const cli_args *a, const char *name)
{
    return find_opt(a->opts, a->nopts, name, strlen(name));
}

const char *cli_get(const cli_args *a, const char *name)
{
    int k = index_of(a, name);
    if (k < 0 || a->counts[k] == 0)
        return NULL;
    return a->values[k][a->counts[k] - 1];
}

bool cli_has(const cli_args *a, const char *name)
{
    int k = index_of(a, name);
    return k >= 0 && a->counts[k] > 0;
}

size_t cli_get_all(const cli_args *a, const char *name, const char ***values)
{
    int k = index_of(a, name);
    if (k < 0) {
        *values = NULL;
        return 0;
    }
    *values = (const char **)a->values[k];
    return a->counts[k];
}

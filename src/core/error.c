/*
 * The thread-local error slot behind delta_error_last(). One fixed buffer
 * per thread: setting an error never allocates, so out-of-memory errors can
 * be reported too. Messages longer than the buffer are truncated.
 */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ERROR_MSG_MAX 1024

static _Thread_local struct {
    int code;
    char msg[ERROR_MSG_MAX];
} tls_error;

int delta_error_set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tls_error.msg, sizeof tls_error.msg, fmt, ap);
    va_end(ap);
    tls_error.code = code;
    return code;
}

int delta_error_prefix(int code, const char *fmt, ...)
{
    char prefix[ERROR_MSG_MAX];
    char old[ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, tls_error.msg, sizeof old);
    size_t n = strlen(prefix);
    memcpy(tls_error.msg, prefix, n);
    size_t rest = sizeof tls_error.msg - 1 - n;
    size_t oldlen = strnlen(old, rest);
    memcpy(tls_error.msg + n, old, oldlen);
    tls_error.msg[n + oldlen] = '\0';
    if (tls_error.code == 0)
        tls_error.code = code;
    return tls_error.code;
}

int delta_error_oom(void)
{
    return delta_error_set(DELTA_ENOMEM, "out of memory");
}

const char *delta_error_last(void)
{
    return tls_error.msg;
}

int delta_error_last_code(void)
{
    return tls_error.code;
}

void delta_error_clear(void)
{
    tls_error.code = 0;
    tls_error.msg[0] = '\0';
}

const char *delta_error_name(int code)
{
    switch (code) {
    case DELTA_OK: return "OK";
    case DELTA_EINVAL: return "EINVAL";
    case DELTA_ENOMEM: return "ENOMEM";
    case DELTA_ENOTFOUND: return "ENOTFOUND";
    case DELTA_EEXIST: return "EEXIST";
    case DELTA_EIO: return "EIO";
    case DELTA_ECORRUPT: return "ECORRUPT";
    case DELTA_EUNSUPPORTED: return "EUNSUPPORTED";
    case DELTA_ECONFLICT: return "ECONFLICT";
    case DELTA_ERANGE: return "ERANGE";
    case DELTA_ETYPE: return "ETYPE";
    case DELTA_ECANCELED: return "ECANCELED";
    case DELTA_EPERM: return "EPERM";
    case DELTA_ENOTIMPL: return "ENOTIMPL";
    default: return "EUNKNOWN";
    }
}

const char *delta_version(void)
{
    return DELTA_VERSION_STRING;
}

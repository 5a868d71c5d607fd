/*
 * Exact decimal arithmetic on unscaled 128-bit integers (Arrow
 * decimal128 holds at most 38 digits, below 2^127). Products and scaled
 * dividends can need up to 77 digits, so multiplication and division go
 * through a 256-bit unsigned intermediate (four 64-bit limbs) and round
 * half-up (away from zero at .5), as Spark's BigDecimal does.
 */
#include "expr/expr_internal.h"

#include <ctype.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

typedef struct u256 {
    uint64_t w[4]; /* little-endian limbs */
} u256;

expr_i128 expr_pow10(unsigned k)
{
    expr_i128 p = 1;
    for (unsigned i = 0; i < k; i++)
        p *= 10;
    return p;
}

bool expr_dec_fits(expr_i128 v, unsigned precision)
{
    expr_i128 lim = expr_pow10(precision);
    return v < lim && v > -lim;
}

static u128 uabs(expr_i128 v)
{
    return v < 0 ? (u128)0 - (u128)v : (u128)v;
}

static u256 mul128(u128 a, u128 b)
{
    uint64_t a0 = (uint64_t)a, a1 = (uint64_t)(a >> 64);
    uint64_t b0 = (uint64_t)b, b1 = (uint64_t)(b >> 64);
    u128 p00 = (u128)a0 * b0, p01 = (u128)a0 * b1, p10 = (u128)a1 * b0, p11 = (u128)a1 * b1;
    u256 r;
    r.w[0] = (uint64_t)p00;
    u128 mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
    r.w[1] = (uint64_t)mid;
    u128 hi = (mid >> 64) + (p01 >> 64) + (p10 >> 64) + (uint64_t)p11;
    r.w[2] = (uint64_t)hi;
    r.w[3] = (uint64_t)((hi >> 64) + (p11 >> 64));
    return r;
}

/* x /= d, returns the remainder */
static uint64_t divsmall(u256 *x, uint64_t d)
{
    u128 rem = 0;
    for (int i = 3; i >= 0; i--) {
        u128 cur = (rem << 64) | x->w[i];
        x->w[i] = (uint64_t)(cur / d);
        rem = cur % d;
    }
    return (uint64_t)rem;
}

static bool fits128(const u256 *x)
{
    return x->w[2] == 0 && x->w[3] == 0 && (x->w[1] >> 63) == 0;
}

static u128 low128(const u256 *x)
{
    return ((u128)x->w[1] << 64) | x->w[0];
}

/* x / 10^k rounded half-up (x unsigned) */
static void div_pow10_round(u256 *x, unsigned k)
{
    if (k == 0)
        return;
    /* divide by 10^(k-1), then by 10 keeping the last digit */
    unsigned left = k - 1;
    while (left > 0) {
        unsigned step = left > 19 ? 19 : left;
        uint64_t d = 1;
        for (unsigned i = 0; i < step; i++)
            d *= 10;
        divsmall(x, d);
        left -= step;
    }
    uint64_t last = divsmall(x, 10);
    if (last >= 5) {
        for (int i = 0; i < 4; i++)
            if (++x->w[i] != 0)
                break;
    }
}

bool expr_dec_rescale(expr_i128 v, int from, int to, expr_i128 *out)
{
    if (to == from) {
        *out = v;
        return true;
    }
    if (to > from) {
        expr_i128 r;
        if (__builtin_mul_overflow(v, expr_pow10((unsigned)(to - from)), &r))
            return false;
        *out = r;
        return true;
    }
    unsigned k = (unsigned)(from - to);
    if (k > 38) {
        *out = 0;
        return true;
    }
    u128 m = uabs(v);
    u128 p = (u128)expr_pow10(k);
    u128 q = m / p, rem = m % p;
    if (rem * 2 >= p)
        q++;
    *out = v < 0 ? -(expr_i128)q : (expr_i128)q;
    return true;
}

bool expr_dec_mul(expr_i128 a, expr_i128 b, unsigned down, expr_i128 *out)
{
    bool neg = (a < 0) != (b < 0);
    u256 p = mul128(uabs(a), uabs(b));
    div_pow10_round(&p, down);
    if (!fits128(&p))
        return false;
    expr_i128 r = (expr_i128)low128(&p);
    *out = neg ? -r : r;
    return true;
}

/* shift-subtract division of a 256-bit value by a 128-bit one */
static void divmod256(const u256 *n, u128 d, u256 *q, u128 *r)
{
    memset(q, 0, sizeof *q);
    u128 rem = 0;
    for (int bit = 255; bit >= 0; bit--) {
        bool top = (rem >> 127) != 0;
        rem = (rem << 1) | ((n->w[bit / 64] >> (bit % 64)) & 1);
        if (top || rem >= d) {
            rem -= d;
            q->w[bit / 64] |= (uint64_t)1 << (bit % 64);
        }
    }
    *r = rem;
}

bool expr_dec_div(expr_i128 a, expr_i128 b, unsigned up, expr_i128 *out)
{
    bool neg = (a < 0) != (b < 0);
    u128 ua = uabs(a), ub = uabs(b);
    u256 n;
    if (up <= 38) {
        n = mul128(ua, (u128)expr_pow10(up));
    } else {
        /* a * 10^38 fits in 256 bits; a numerator beyond 2^256 divided
         * by any b < 2^127 exceeds 38 digits, so overflow there is the
         * result's overflow */
        n = mul128(ua, (u128)expr_pow10(38));
        for (unsigned k = up - 38; k > 0; k--) {
            u128 carry = 0;
            for (int i = 0; i < 4; i++) {
                u128 t = (u128)n.w[i] * 10 + carry;
                n.w[i] = (uint64_t)t;
                carry = t >> 64;
            }
            if (carry)
                return false;
        }
    }
    u256 q;
    u128 r;
    if (n.w[2] == 0 && n.w[3] == 0) {
        u128 nn = low128(&n);
        u128 qq = nn / ub;
        r = nn % ub;
        memset(&q, 0, sizeof q);
        q.w[0] = (uint64_t)qq;
        q.w[1] = (uint64_t)(qq >> 64);
    } else {
        divmod256(&n, ub, &q, &r);
    }
    /* half-up: r >= b - r  <=>  2r >= b */
    if (r >= ub - r) {
        for (int i = 0; i < 4; i++)
            if (++q.w[i] != 0)
                break;
    }
    if (!fits128(&q))
        return false;
    expr_i128 res = (expr_i128)low128(&q);
    *out = neg ? -res : res;
    return true;
}

bool expr_dec_parse(const char *s, size_t n, unsigned precision, unsigned scale, expr_i128 *out)
{
    size_t i = 0;
    while (i < n && isspace((unsigned char)s[i]))
        i++;
    while (n > i && isspace((unsigned char)s[n - 1]))
        n--;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    /* digits with an optional point; the first dropped fraction digit
     * decides the rounding */
    u128 v = 0;
    unsigned frac = 0, ndig = 0;
    bool point = false, any = false;
    int round_digit = -1;
    for (; i < n; i++) {
        char c = s[i];
        if (c == '.' && !point) {
            point = true;
            continue;
        }
        if (c < '0' || c > '9')
            return false;
        any = true;
        if (point) {
            if (frac == scale) {
                if (round_digit < 0)
                    round_digit = c - '0';
                continue;
            }
            frac++;
        }
        if (ndig > 0 || c != '0')
            ndig++;
        if (ndig > 38)
            return false;
        v = v * 10 + (u128)(c - '0');
    }
    if (!any)
        return false;
    u128 lim = (u128)expr_pow10(38);
    for (; frac < scale; frac++) {
        if (v >= lim / 10)
            return false;
        v *= 10;
    }
    if (round_digit >= 5)
        v++;
    if (v >= lim)
        return false;
    expr_i128 r = neg ? -(expr_i128)v : (expr_i128)v;
    if (!expr_dec_fits(r, precision))
        return false;
    *out = r;
    return true;
}

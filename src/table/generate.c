/*
 * The e-commerce data generator: realistic, reproducible rows for the four
 * templates (templates.c), streamed as batches (see generate.h for the
 * invariants).
 *
 * Randomness is splitmix64. Two kinds of draws:
 *   - world draws: attributes of customer N or product N come from a
 *     generator seeded with N alone (not the caller's seed), so every
 *     table agrees on them;
 *   - fact draws: everything else comes from one sequential generator
 *     seeded with the caller's seed (and the template), consumed row after
 *     row, so values do not depend on how rows are cut into batches.
 *
 * Shapes chosen to look like a real shop: customers and products are picked
 * with a power law (the top 1% of products take about a quarter of the
 * sales), orders have one to five lines that share customer, time, payment
 * and address; amounts are cents (unit price x quantity - discount + tax at
 * the shipping country's rate, converted to its currency); statuses,
 * payment methods and channels follow fixed proportions; clickstream
 * sessions walk a funnel (landing page, product views and searches, cart,
 * checkout, purchase) with increasing times.
 */
#include "table/generate.h"

#include <delta/table.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columnar/arrow.h"
#include "core/alloc.h"
#include "core/dtime.h"
#include "core/error.h"
#include "log/schema.h"

#define US_PER_SEC INT64_C(1000000)
#define US_PER_DAY (INT64_C(86400) * US_PER_SEC)
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* 2024-01-01T00:00:00Z in days since the epoch. */
#define START_DAY 19723

#define TRY(x)                                                                                 \
    do {                                                                                       \
        int rc_ = (x);                                                                         \
        if (rc_)                                                                               \
            return rc_;                                                                        \
    } while (0)

/* ---- randomness ------------------------------------------------------------ */

typedef struct grng {
    uint64_t s;
} grng;

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t rnext(grng *r)
{
    r->s += UINT64_C(0x9e3779b97f4a7c15);
    return mix64(r->s);
}

static double runit(grng *r) /* [0, 1) */
{
    return (double)(rnext(r) >> 11) * (1.0 / 9007199254740992.0);
}

static uint32_t rbelow(grng *r, uint32_t n) /* [0, n) */
{
    return (uint32_t)(runit(r) * n);
}

static int64_t rrange(grng *r, int64_t lo, int64_t hi) /* [lo, hi] */
{
    return lo + (int64_t)(runit(r) * (double)(hi - lo + 1));
}

static bool rchance(grng *r, double p)
{
    return runit(r) < p;
}

/* Index into weights[0..n) drawn in proportion to the weights. */
static size_t rweighted(grng *r, const unsigned *weights, size_t n)
{
    unsigned total = 0;
    for (size_t i = 0; i < n; i++)
        total += weights[i];
    unsigned x = rbelow(r, total);
    for (size_t i = 0; i < n; i++) {
        if (x < weights[i])
            return i;
        x -= weights[i];
    }
    return n - 1;
}

/* Power-law pick of an entity 1..pool: rank k has probability about
 * proportional to k^-0.7, and ranks are scattered over the ids by a
 * bijection (pool is 2^a 5^b, 7919 is prime), so id 1 is not the star. */
static uint32_t rskewed(grng *r, uint32_t pool)
{
    uint32_t rank = (uint32_t)(pool * pow(runit(r), 3.5));
    if (rank >= pool)
        rank = pool - 1;
    return (uint32_t)(((uint64_t)rank * 7919u + 13u) % pool) + 1;
}

static grng world(uint64_t kind, uint64_t n)
{
    grng r = {mix64(kind * UINT64_C(0x100000001b3) + n)};
    return r;
}

/* A lognormal-ish positive value around `median`. */
static double rlognormal(grng *r, double median, double sigma)
{
    double u1 = runit(r) + 1e-12, u2 = runit(r);
    double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
    return median * exp(sigma * z);
}

/* ---- appending values -------------------------------------------------------- */

static int put_str(dvec *v, const char *s)
{
    return dvec_append_bytes(v, s, strlen(s));
}

static int put_fmt(dvec *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int put_fmt(dvec *v, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return delta_error_set(DELTA_EINVAL, "generate: formatting failed");
    return dvec_append_bytes(v, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static int put_opt_str(dvec *v, const char *s)
{
    return s ? put_str(v, s) : dvec_append_null(v);
}

/* Cents as a decimal128 with scale 2. */
static int put_cents(dvec *v, int64_t cents)
{
    uint8_t b[16];
    uint64_t lo = (uint64_t)cents;
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(lo >> (8 * i));
    memset(b + 8, cents < 0 ? 0xff : 0, 8);
    return dvec_append_fixed(v, b);
}

static int put_ymd(dvec *y, dvec *m, dvec *d, int64_t ts_us)
{
    int64_t days = ts_us >= 0 ? ts_us / US_PER_DAY : -((-ts_us + US_PER_DAY - 1) / US_PER_DAY);
    int64_t yy;
    unsigned mm, dd;
    dtime_civil_from_days(days, &yy, &mm, &dd);
    TRY(dvec_append_int(y, yy));
    TRY(dvec_append_int(m, mm));
    return dvec_append_int(d, dd);
}

static int put_list(dvec *list, const char *const *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        TRY(put_str(list->children[0], items[i]));
    return dvec_end_list(list);
}

/* A map<string,string> row from alternating keys and values. */
static int put_map(dvec *map, const char *const *kv, size_t pairs)
{
    dvec *entries = map->children[0];
    for (size_t i = 0; i < pairs; i++) {
        TRY(put_str(entries->children[0], kv[2 * i]));
        TRY(put_str(entries->children[1], kv[2 * i + 1]));
        TRY(dvec_end_struct(entries));
    }
    return dvec_end_list(map);
}

static void cents_text(char *buf, size_t cap, int64_t cents)
{
    snprintf(buf, cap, "%s%lld.%02lld", cents < 0 ? "-" : "", (long long)llabs(cents) / 100,
             (long long)llabs(cents) % 100);
}

/* ---- the world: countries, customers, products -------------------------------- */

typedef struct country {
    const char *code, *currency, *region;
    unsigned weight;
    int tax_bp;       /* sales tax / VAT in basis points */
    double fx;        /* units of currency per USD */
    const char *cities[4], *states[4];
    const char *streets[3];
} country;

static const country countries[] = {
    {"US", "USD", "north_america", 40, 800, 1.0,
     {"New York", "Los Angeles", "Chicago", "Houston"}, {"NY", "CA", "IL", "TX"},
     {"Main St", "Oak Ave", "Maple Dr"}},
    {"CA", "CAD", "north_america", 6, 1300, 1.36,
     {"Toronto", "Vancouver", "Montreal", "Calgary"}, {"ON", "BC", "QC", "AB"},
     {"King St", "Queen St", "Yonge St"}},
    {"GB", "GBP", "europe", 10, 2000, 0.79,
     {"London", "Manchester", "Edinburgh", "Bristol"},
     {"England", "England", "Scotland", "England"}, {"High Street", "Station Road", "Church Lane"}},
    {"DE", "EUR", "europe", 9, 1900, 0.92, {"Berlin", "Munich", "Hamburg", "Cologne"},
     {"BE", "BY", "HH", "NW"}, {"Hauptstrasse", "Bahnhofstrasse", "Gartenweg"}},
    {"FR", "EUR", "europe", 7, 2000, 0.92, {"Paris", "Lyon", "Marseille", "Toulouse"},
     {"IDF", "ARA", "PAC", "OCC"}, {"Rue de la Paix", "Avenue Victor Hugo", "Rue Pasteur"}},
    {"ES", "EUR", "europe", 4, 2100, 0.92, {"Madrid", "Barcelona", "Valencia", "Seville"},
     {"MD", "CT", "VC", "AN"}, {"Calle Mayor", "Gran Via", "Calle Real"}},
    {"IT", "EUR", "europe", 4, 2200, 0.92, {"Rome", "Milan", "Turin", "Naples"},
     {"RM", "MI", "TO", "NA"}, {"Via Roma", "Corso Italia", "Via Garibaldi"}},
    {"NL", "EUR", "europe", 3, 2100, 0.92, {"Amsterdam", "Rotterdam", "Utrecht", "Eindhoven"},
     {"NH", "ZH", "UT", "NB"}, {"Kerkstraat", "Dorpsstraat", "Stationsweg"}},
    {"AU", "AUD", "asia_pacific", 5, 1000, 1.52, {"Sydney", "Melbourne", "Brisbane", "Perth"},
     {"NSW", "VIC", "QLD", "WA"}, {"George St", "Collins St", "Queen St"}},
    {"JP", "JPY", "asia_pacific", 3, 1000, 149.5, {"Tokyo", "Osaka", "Yokohama", "Nagoya"},
     {"Tokyo", "Osaka", "Kanagawa", "Aichi"}, {"Chuo-dori", "Meiji-dori", "Aoyama-dori"}},
    {"IN", "INR", "asia_pacific", 2, 1800, 83.2, {"Mumbai", "Bengaluru", "Delhi", "Chennai"},
     {"MH", "KA", "DL", "TN"}, {"MG Road", "Park Street", "Brigade Road"}},
    {"BR", "BRL", "latin_america", 3, 1700, 4.97,
     {"Sao Paulo", "Rio de Janeiro", "Belo Horizonte", "Curitiba"}, {"SP", "RJ", "MG", "PR"},
     {"Rua Augusta", "Avenida Paulista", "Rua das Flores"}},
    {"MX", "MXN", "latin_america", 2, 1600, 17.1,
     {"Mexico City", "Guadalajara", "Monterrey", "Puebla"}, {"CDMX", "JAL", "NLE", "PUE"},
     {"Avenida Reforma", "Calle Juarez", "Calle Hidalgo"}},
    {"AE", "AED", "middle_east_africa", 1, 500, 3.67, {"Dubai", "Abu Dhabi", "Sharjah", "Ajman"},
     {"DU", "AZ", "SH", "AJ"}, {"Sheikh Zayed Rd", "Al Wasl Rd", "Corniche Rd"}},
    {"ZA", "ZAR", "middle_east_africa", 1, 1500, 18.6,
     {"Johannesburg", "Cape Town", "Durban", "Pretoria"}, {"GP", "WC", "KZN", "GP"},
     {"Long St", "Church St", "Main Rd"}},
};

static const char *const first_names[] = {
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda",
    "William", "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica",
    "Thomas", "Sarah", "Daniel", "Karen", "Lukas", "Emma", "Mateo", "Sofia", "Hiroshi",
    "Yuki", "Arjun", "Priya", "Lucas", "Camila", "Olivia", "Noah", "Mia", "Leon", "Chloe",
    "Omar", "Fatima", "Thabo", "Aisha", "Giulia"};
static const char *const last_names[] = {
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Taylor", "Thomas",
    "Moore", "Martin", "Lee", "Thompson", "Mueller", "Schmidt", "Dubois", "Rossi", "Tanaka",
    "Sato", "Patel", "Sharma", "Silva", "Santos", "Nguyen", "Kim", "Chen", "Walker", "Young",
    "Khan", "Nkosi", "van Dijk", "Fernandez", "Kowalski"};
static const char *const email_domains[] = {"gmail.com", "yahoo.com", "outlook.com",
                                            "icloud.com", "proton.me", "example.org"};

typedef struct customer {
    uint32_t id;
    const country *country;
    const char *first, *last;
    unsigned city;
    unsigned street_no, street;
    unsigned postal;
} customer;

static customer customer_of(uint32_t id)
{
    grng r = world(1, id);
    unsigned w[N(countries)];
    for (size_t i = 0; i < N(countries); i++)
        w[i] = countries[i].weight;
    customer c;
    c.id = id;
    c.country = &countries[rweighted(&r, w, N(countries))];
    c.first = first_names[rbelow(&r, N(first_names))];
    c.last = last_names[rbelow(&r, N(last_names))];
    c.city = rbelow(&r, 4);
    c.street_no = (unsigned)rrange(&r, 1, 2400);
    c.street = rbelow(&r, 3);
    c.postal = (unsigned)rrange(&r, 10000, 99999);
    return c;
}

/* Appends the customer's address to an address struct vector. */
static int put_address(dvec *a, const customer *c)
{
    TRY(put_fmt(a->children[0], "%u %s", c->street_no, c->country->streets[c->street]));
    TRY(put_str(a->children[1], c->country->cities[c->city]));
    TRY(put_str(a->children[2], c->country->states[c->city]));
    TRY(put_fmt(a->children[3], "%05u", c->postal));
    TRY(put_str(a->children[4], c->country->code));
    return dvec_end_struct(a);
}

typedef struct subcat {
    const char *name;
    double price_median; /* USD */
    double weight_kg;    /* typical shipping weight */
    const char *nouns[3];
} subcat;

typedef struct category {
    const char *name;
    unsigned weight; /* share of the catalog */
    const char *brands[4];
    subcat subs[5];
    size_t nsubs;
} category;

static const category categories[] = {
    {"electronics", 18, {"Voltix", "Sonora", "Pixelon", "Nordtek"},
     {{"smartphones", 599, 0.4, {"Smartphone", "Phone", "5G Phone"}},
      {"laptops", 999, 2.1, {"Laptop", "Ultrabook", "Notebook"}},
      {"headphones", 89, 0.3, {"Headphones", "Earbuds", "Headset"}},
      {"televisions", 549, 14.0, {"4K TV", "OLED TV", "Smart TV"}},
      {"accessories", 25, 0.2, {"Charger", "Cable", "Phone Case"}}},
     5},
    {"clothing", 22, {"Urbanline", "Northpeak", "Maison Clair", "Tidewear"},
     {{"mens", 39, 0.5, {"Shirt", "Chinos", "Hoodie"}},
      {"womens", 45, 0.5, {"Dress", "Blouse", "Jeans"}},
      {"kids", 22, 0.3, {"T-Shirt", "Pajama Set", "Jacket"}},
      {"shoes", 79, 1.1, {"Sneakers", "Boots", "Sandals"}},
      {"outerwear", 129, 1.4, {"Parka", "Rain Jacket", "Coat"}}},
     5},
    {"home_garden", 16, {"Hearthly", "Casa Verde", "Oakfield", "Lumen"},
     {{"furniture", 299, 25.0, {"Sofa", "Desk", "Bookshelf"}},
      {"kitchen", 49, 2.0, {"Chef Knife", "Frying Pan", "Blender"}},
      {"bedding", 69, 2.5, {"Duvet", "Sheet Set", "Pillow"}},
      {"decor", 35, 1.2, {"Vase", "Wall Art", "Table Lamp"}},
      {"garden", 45, 4.0, {"Planter", "Hose", "Garden Shears"}}},
     5},
    {"beauty", 10, {"Glowe", "Pure Petal", "Verdance", "Aurelle"},
     {{"skincare", 28, 0.2, {"Moisturizer", "Serum", "Cleanser"}},
      {"makeup", 22, 0.1, {"Lipstick", "Mascara", "Foundation"}},
      {"fragrance", 65, 0.3, {"Eau de Parfum", "Cologne", "Body Mist"}},
      {"haircare", 18, 0.4, {"Shampoo", "Conditioner", "Hair Oil"}}},
     4},
    {"sports_outdoors", 12, {"Summitry", "Pacefield", "Trailcraft", "Kinetiq"},
     {{"fitness", 49, 3.0, {"Yoga Mat", "Dumbbell Set", "Resistance Bands"}},
      {"camping", 89, 3.5, {"Tent", "Sleeping Bag", "Camp Stove"}},
      {"cycling", 59, 1.5, {"Bike Helmet", "Bike Light", "Cycling Jersey"}},
      {"team_sports", 29, 0.8, {"Football", "Basketball", "Shin Guards"}}},
     4},
    {"books", 10, {"Penwright", "Bluehill Press", "Atlas House", "Quill & Co"},
     {{"fiction", 16, 0.5, {"Novel", "Thriller", "Short Stories"}},
      {"non_fiction", 22, 0.6, {"Biography", "History", "Cookbook"}},
      {"children", 11, 0.4, {"Picture Book", "Bedtime Stories", "Activity Book"}},
      {"textbooks", 79, 1.5, {"Textbook", "Study Guide", "Workbook"}}},
     4},
    {"toys_games", 7, {"Playforge", "Brickby", "Tinkertown", "Jollybox"},
     {{"board_games", 35, 1.2, {"Board Game", "Strategy Game", "Party Game"}},
      {"puzzles", 19, 0.7, {"Jigsaw Puzzle", "3D Puzzle", "Puzzle Cube"}},
      {"building_sets", 59, 1.0, {"Building Set", "Construction Kit", "Robot Kit"}}},
     3},
    {"grocery", 5, {"Harvest Lane", "Daily Pantry", "Greenbasket", "Origo"},
     {{"snacks", 6, 0.3, {"Granola Bars", "Trail Mix", "Crackers"}},
      {"beverages", 9, 1.2, {"Cold Brew", "Green Tea", "Sparkling Water"}},
      {"pantry", 8, 0.8, {"Olive Oil", "Pasta", "Rice"}}},
     3},
};

static const char *const adjectives[] = {"Classic", "Pro", "Essential", "Premium", "Eco",
                                         "Ultra", "Compact", "Deluxe", "Everyday", "Signature"};
static const char *const colors[] = {"black", "white", "navy", "grey", "red", "green", "beige",
                                     "blue"};
static const char *const materials[] = {"cotton", "polyester", "aluminium", "steel", "wood",
                                        "plastic", "glass", "leather"};

typedef struct product {
    uint32_t id;
    const category *cat;
    const subcat *sub;
    const char *brand, *adjective, *noun, *color, *material;
    int64_t price_cents; /* list price, USD */
    int64_t cost_cents;
    double weight_kg;
    int64_t created_us;
} product;

static product product_of(uint32_t id)
{
    grng r = world(2, id);
    unsigned w[N(categories)];
    for (size_t i = 0; i < N(categories); i++)
        w[i] = categories[i].weight;
    product p;
    p.id = id;
    p.cat = &categories[rweighted(&r, w, N(categories))];
    p.sub = &p.cat->subs[rbelow(&r, (uint32_t)p.cat->nsubs)];
    p.brand = p.cat->brands[rbelow(&r, 4)];
    p.adjective = adjectives[rbelow(&r, N(adjectives))];
    p.noun = p.sub->nouns[rbelow(&r, 3)];
    p.color = colors[rbelow(&r, N(colors))];
    p.material = materials[rbelow(&r, N(materials))];
    double usd = rlognormal(&r, p.sub->price_median, 0.45);
    if (usd < 2)
        usd = 2;
    if (usd > 9000)
        usd = 9000;
    int64_t whole = (int64_t)usd;
    unsigned ending = rbelow(&r, 10);
    p.price_cents = ending < 7 ? whole * 100 + 99 : ending < 9 ? whole * 100 + 49 : whole * 100;
    p.cost_cents = (int64_t)((double)p.price_cents * (0.35 + 0.35 * runit(&r)));
    p.weight_kg = round(rlognormal(&r, p.sub->weight_kg, 0.3) * 100) / 100;
    /* listed between 2019-01-01 and 2023-12-31 */
    p.created_us = (int64_t)(START_DAY - 1826 + (int64_t)rbelow(&r, 1825)) * US_PER_DAY +
                   (int64_t)rbelow(&r, 86400) * US_PER_SEC;
    return p;
}

static const char *const payment_methods[] = {"credit_card", "debit_card", "paypal", "apple_pay",
                                              "google_pay", "bank_transfer", "gift_card"};
static const unsigned payment_weights[] = {44, 20, 16, 8, 6, 4, 2};
static const char *const statuses[] = {"completed", "pending", "refunded", "cancelled",
                                       "failed"};
static const unsigned status_weights[] = {86, 5, 4, 3, 2};
static const char *const channels[] = {"web", "mobile_app", "marketplace", "store"};
static const unsigned channel_weights[] = {50, 38, 8, 4};

/* ---- the stream ------------------------------------------------------------- */

typedef struct gen gen;
typedef int (*gen_row_fn)(gen *g, dvec **cols);

typedef struct gen_def {
    const char *template_name;
    const char *const *columns; /* expected top-level fields, in schema order */
    size_t num_columns;
    gen_row_fn row;
} gen_def;

struct gen {
    dstream base;
    dtype *schema;
    const gen_def *def;
    int64_t rows, done, batch_rows;
    uint64_t seed;
    grng r;
    /* transactions: the order being written */
    uint64_t order_no;
    int order_lines_left;
    int64_t order_ts;
    uint32_t order_customer;
    size_t order_payment, order_status, order_channel;
    /* user_events: the session being written */
    uint64_t session_no;
    int session_left;
    int64_t session_ts;
    uint32_t session_user; /* 0 = anonymous */
    unsigned session_device, session_referrer;
    uint32_t session_product; /* last product viewed, 0 none */
    int session_cart;
    bool session_checkout;
};

/* Time of row i: the span of DGEN_DAYS days walked in row order, with
 * millisecond jitter inside the row's slot. */
static int64_t row_time(gen *g, int64_t i)
{
    double span = (double)DGEN_DAYS * 86400e3; /* ms */
    double slot = span / (double)(g->rows > 0 ? g->rows : 1);
    int64_t ms = (int64_t)(slot * (double)i + slot * runit(&g->r));
    return (int64_t)START_DAY * US_PER_DAY + ms * 1000;
}

static uint64_t unique_key(gen *g, uint64_t kind, uint64_t n)
{
    return mix64(mix64(g->seed ^ (kind << 56)) + n);
}

/* transactions ------------------------------------------------------------------ */

static const char *const tx_columns[] = {
    "transaction_id", "order_id", "customer_id", "product_id", "quantity", "unit_price",
    "discount_amount", "tax_amount", "total_amount", "currency", "payment_method", "status",
    "channel", "shipping_address", "transaction_timestamp", "updated_at", "year", "month", "day"};

static int tx_row(gen *g, dvec **c)
{
    grng *r = &g->r;
    if (g->order_lines_left == 0) {
        static const unsigned line_weights[] = {64, 20, 10, 4, 2};
        g->order_no++;
        g->order_lines_left = (int)rweighted(r, line_weights, N(line_weights)) + 1;
        g->order_ts = row_time(g, g->done);
        g->order_customer = rskewed(r, DGEN_CUSTOMERS);
        g->order_payment = rweighted(r, payment_weights, N(payment_weights));
        g->order_status = rweighted(r, status_weights, N(status_weights));
        g->order_channel = rweighted(r, channel_weights, N(channel_weights));
    }
    g->order_lines_left--;
    customer cu = customer_of(g->order_customer);
    product p = product_of(rskewed(r, DGEN_PRODUCTS));
    static const unsigned qty_weights[] = {70, 17, 7, 3, 2, 1};
    int qty = (int)rweighted(r, qty_weights, N(qty_weights)) + 1;
    const country *co = cu.country;
    int64_t unit = (int64_t)llround((double)p.price_cents * co->fx);
    int64_t gross = unit * qty;
    int64_t discount = 0;
    if (rchance(r, 0.28)) {
        static const int pct[] = {5, 10, 15, 20, 25, 30};
        discount = gross * pct[rbelow(r, N(pct))] / 100;
    }
    int64_t tax = (gross - discount) * co->tax_bp / 10000;
    int64_t total = gross - discount + tax;
    bool no_discount_recorded = discount == 0 && rchance(r, 0.3);

    TRY(put_fmt(c[0], "txn_%016llx", (unsigned long long)unique_key(g, 1, (uint64_t)g->done)));
    TRY(put_fmt(c[1], "ord_%012llx",
                (unsigned long long)(unique_key(g, 2, g->order_no) & UINT64_C(0xffffffffffff))));
    TRY(put_fmt(c[2], "C%07u", cu.id));
    TRY(put_fmt(c[3], "P%06u", p.id));
    TRY(dvec_append_int(c[4], qty));
    TRY(put_cents(c[5], unit));
    TRY(no_discount_recorded ? dvec_append_null(c[6]) : put_cents(c[6], discount));
    TRY(put_cents(c[7], tax));
    TRY(put_cents(c[8], total));
    TRY(put_str(c[9], co->currency));
    TRY(g->order_payment == N(payment_methods) - 1 && g->order_channel == 3
            ? dvec_append_null(c[10])
            : put_str(c[10], payment_methods[g->order_payment]));
    TRY(put_str(c[11], statuses[g->order_status]));
    TRY(put_str(c[12], channels[g->order_channel]));
    TRY(g->order_channel == 3 ? dvec_append_null(c[13]) : put_address(c[13], &cu));
    TRY(dvec_append_int(c[14], g->order_ts));
    /* refunds and cancellations happened 1 to 72 hours after the payment
     * (from the row's key, so the other columns' draws are unchanged) */
    if (g->order_status == 2 || g->order_status == 3) {
        uint64_t h = unique_key(g, 3, (uint64_t)g->done) % 72 + 1;
        TRY(dvec_append_int(c[15], g->order_ts + (int64_t)h * 3600 * 1000000));
    } else {
        TRY(dvec_append_null(c[15]));
    }
    return put_ymd(c[16], c[17], c[18], g->order_ts);
}

/* user_events ------------------------------------------------------------------- */

static const char *const ev_columns[] = {
    "event_id", "event_type", "user_id", "session_id", "event_timestamp", "page_url",
    "referrer", "product_id", "search_query", "duration_ms", "device", "properties", "year",
    "month", "day"};

typedef struct device_kind {
    const char *type, *os, *browser;
} device_kind;

static const device_kind devices[] = {
    {"desktop", "Windows 11", "Chrome 120"}, {"desktop", "macOS 14", "Safari 17"},
    {"desktop", "Windows 10", "Edge 120"},   {"desktop", "Ubuntu 22.04", "Firefox 121"},
    {"mobile", "iOS 17", "Safari 17"},       {"mobile", "iOS 17", "ShopApp 5.2"},
    {"mobile", "Android 14", "Chrome 120"},  {"mobile", "Android 13", "ShopApp 5.1"},
    {"tablet", "iPadOS 17", "Safari 17"},    {"tablet", "Android 13", "Chrome 119"}};
static const unsigned device_weights[] = {22, 12, 6, 2, 18, 12, 16, 4, 6, 2};

static const char *const referrers[] = {NULL,
                                        "https://www.google.com/",
                                        "https://www.bing.com/",
                                        "https://www.facebook.com/",
                                        "https://www.instagram.com/",
                                        "newsletter",
                                        "https://www.google.com/aclk?campaign=spring_sale"};
static const unsigned referrer_weights[] = {34, 30, 5, 9, 8, 7, 7};
static const char *const utm_sources[] = {NULL,     "google",    "bing",  "facebook",
                                          "instagram", "newsletter", "google"};
static const char *const utm_mediums[] = {NULL, "organic", "organic", "social",
                                          "social", "email", "cpc"};

static const char *const search_words[] = {"cheap", "best", "wireless", "organic", "kids",
                                           "waterproof", "gift", "sale", "large", "black"};

enum { EV_VIEW, EV_SEARCH, EV_ADD, EV_REMOVE, EV_CHECKOUT, EV_PURCHASE };
static const char *const event_types[] = {"page_view", "search",   "add_to_cart",
                                          "remove_from_cart", "checkout", "purchase"};

static int ev_row(gen *g, dvec **c)
{
    grng *r = &g->r;
    int type;
    if (g->session_left == 0) {
        g->session_no++;
        g->session_left = 2 + (int)fmin(28.0, floor(-log(1.0 - runit(r)) * 6.0));
        g->session_ts = row_time(g, g->done);
        g->session_user = rchance(r, 0.68) ? rskewed(r, DGEN_CUSTOMERS) : 0;
        g->session_device = (unsigned)rweighted(r, device_weights, N(device_weights));
        g->session_referrer = (unsigned)rweighted(r, referrer_weights, N(referrer_weights));
        g->session_product = 0;
        g->session_cart = 0;
        g->session_checkout = false;
        type = EV_VIEW; /* landing page */
    } else {
        g->session_ts += (int64_t)rrange(r, 800, 4000) * 1000; /* between two events */
        if (g->session_checkout) {
            type = rchance(r, 0.72) ? EV_PURCHASE : EV_VIEW;
        } else {
            unsigned w[] = {52, 16, g->session_product ? 17u : 0u, g->session_cart ? 4u : 0u,
                            g->session_cart ? 11u : 0u, 0};
            type = (int)rweighted(r, w, N(w));
        }
    }
    g->session_left--;

    /* what the event is about */
    uint32_t pid = 0;
    char url[160], query[96] = "";
    const char *kv[8];
    size_t pairs = 0;
    char buf1[32], buf2[32];
    const char *base = "https://shop.example.com";
    switch (type) {
    case EV_VIEW:
        if (g->session_left > 0 && g->session_product == 0 && rchance(r, 0.35)) {
            product p = product_of(rskewed(r, DGEN_PRODUCTS));
            snprintf(url, sizeof url, "%s/c/%s/%s", base, p.cat->name, p.sub->name);
            kv[0] = "page_type", kv[1] = "category", pairs = 1;
        } else if (g->session_product == 0 && g->session_cart == 0 && rchance(r, 0.2)) {
            snprintf(url, sizeof url, "%s/", base);
            kv[0] = "page_type", kv[1] = "home", pairs = 1;
        } else {
            pid = rskewed(r, DGEN_PRODUCTS);
            g->session_product = pid;
            snprintf(url, sizeof url, "%s/p/P%06u", base, pid);
            kv[0] = "page_type", kv[1] = "product", pairs = 1;
        }
        break;
    case EV_SEARCH: {
        product p = product_of(rskewed(r, DGEN_PRODUCTS));
        char noun[48];
        snprintf(noun, sizeof noun, "%s", p.noun);
        for (char *s = noun; *s; s++)
            if (*s >= 'A' && *s <= 'Z')
                *s = (char)(*s - 'A' + 'a');
        if (rchance(r, 0.5))
            snprintf(query, sizeof query, "%s %s", search_words[rbelow(r, N(search_words))],
                     noun);
        else
            snprintf(query, sizeof query, "%s", noun);
        char q[96];
        size_t k = 0;
        for (const char *s = query; *s && k + 1 < sizeof q; s++)
            q[k++] = *s == ' ' ? '+' : *s;
        q[k] = 0;
        snprintf(url, sizeof url, "%s/search?q=%s", base, q);
        snprintf(buf1, sizeof buf1, "%u", (unsigned)rrange(r, 0, 240));
        kv[0] = "results", kv[1] = buf1, pairs = 1;
        break;
    }
    case EV_ADD:
    case EV_REMOVE: {
        pid = g->session_product ? g->session_product : rskewed(r, DGEN_PRODUCTS);
        product p = product_of(pid);
        int qty = type == EV_ADD ? (rchance(r, 0.85) ? 1 : 2) : 1;
        g->session_cart += type == EV_ADD ? qty : -(g->session_cart > 0);
        snprintf(url, sizeof url, "%s/p/P%06u", base, pid);
        snprintf(buf1, sizeof buf1, "%d", qty);
        cents_text(buf2, sizeof buf2, p.price_cents);
        kv[0] = "quantity", kv[1] = buf1, kv[2] = "price_usd", kv[3] = buf2, pairs = 2;
        break;
    }
    case EV_CHECKOUT:
        g->session_checkout = true;
        snprintf(url, sizeof url, "%s/checkout", base);
        snprintf(buf1, sizeof buf1, "%d", g->session_cart);
        kv[0] = "cart_items", kv[1] = buf1, pairs = 1;
        break;
    default: /* purchase */
        snprintf(url, sizeof url, "%s/checkout/confirmation", base);
        snprintf(buf1, sizeof buf1, "ord_%012llx",
                 (unsigned long long)(unique_key(g, 3, g->session_no) & UINT64_C(0xffffffffffff)));
        snprintf(buf2, sizeof buf2, "%d", g->session_cart > 0 ? g->session_cart : 1);
        kv[0] = "order_id", kv[1] = buf1, kv[2] = "items", kv[3] = buf2, pairs = 2;
        g->session_cart = 0;
        g->session_checkout = false;
        g->session_left = g->session_left > 1 ? 1 : g->session_left;
        break;
    }
    TRY(put_fmt(c[0], "evt_%016llx", (unsigned long long)unique_key(g, 4, (uint64_t)g->done)));
    TRY(put_str(c[1], event_types[type]));
    TRY(g->session_user ? put_fmt(c[2], "C%07u", g->session_user) : dvec_append_null(c[2]));
    TRY(put_fmt(c[3], "sess_%016llx", (unsigned long long)unique_key(g, 5, g->session_no)));
    TRY(dvec_append_int(c[4], g->session_ts));
    TRY(put_str(c[5], url));
    TRY(put_opt_str(c[6], referrers[g->session_referrer]));
    TRY(pid ? put_fmt(c[7], "P%06u", pid) : dvec_append_null(c[7]));
    TRY(type == EV_SEARCH ? put_str(c[8], query) : dvec_append_null(c[8]));
    int64_t dwell = 0;
    if (type == EV_VIEW || type == EV_SEARCH) {
        dwell = (int64_t)rlognormal(r, type == EV_VIEW ? 18000 : 6000, 0.8);
        TRY(dvec_append_int(c[9], dwell));
    } else {
        TRY(dvec_append_null(c[9]));
    }
    const device_kind *d = &devices[g->session_device];
    TRY(put_str(c[10]->children[0], d->type));
    TRY(put_str(c[10]->children[1], d->os));
    TRY(put_str(c[10]->children[2], d->browser));
    TRY(dvec_end_struct(c[10]));
    if (utm_sources[g->session_referrer] && type == EV_VIEW && pairs < 3) {
        kv[2 * pairs] = "utm_source", kv[2 * pairs + 1] = utm_sources[g->session_referrer];
        kv[2 * pairs + 2] = "utm_medium", kv[2 * pairs + 3] = utm_mediums[g->session_referrer];
        pairs += 2;
    }
    TRY(put_map(c[11], kv, pairs > 4 ? 4 : pairs));
    TRY(put_ymd(c[12], c[13], c[14], g->session_ts));
    g->session_ts += dwell * 1000;
    return 0;
}

/* customer_profiles ---------------------------------------------------------------- */

static const char *const cp_columns[] = {
    "customer_id", "email", "first_name", "last_name", "date_of_birth", "gender",
    "customer_segment", "region", "address", "signup_date", "last_order_date", "total_orders",
    "lifetime_value", "preferred_categories", "marketing_opt_in", "updated_at"};

static const char *const segments[] = {"new", "regular", "vip", "at_risk", "churned"};
static const unsigned segment_weights[] = {18, 52, 7, 12, 11};
static const char *const genders[] = {"female", "male", "non_binary", NULL};
static const unsigned gender_weights[] = {49, 46, 2, 3};

static int cp_row(gen *g, dvec **c)
{
    grng *r = &g->r;
    uint32_t id = (uint32_t)(g->done % 9999999) + 1;
    customer cu = customer_of(id);
    char email[128], lower[64];
    snprintf(lower, sizeof lower, "%s.%s", cu.first, cu.last);
    size_t k = 0;
    for (const char *s = lower; *s; s++)
        if (*s != ' ')
            lower[k++] = (*s >= 'A' && *s <= 'Z') ? (char)(*s - 'A' + 'a') : *s;
    lower[k] = 0;
    grng wr = world(3, id);
    snprintf(email, sizeof email, "%s%u@%s", lower, id % 1000,
             email_domains[rbelow(&wr, N(email_domains))]);
    int32_t dob = START_DAY - (int32_t)rrange(&wr, 18 * 365, 80 * 365);
    size_t seg = rweighted(r, segment_weights, N(segment_weights));
    int32_t today = START_DAY + DGEN_DAYS;
    int32_t signup = seg == 0 ? today - (int32_t)rrange(r, 1, 120)
                              : today - (int32_t)rrange(r, 121, 5 * 365);
    static const double order_median[] = {1, 6, 28, 4, 3};
    int orders = seg == 0 ? (int)rrange(r, 0, 2)
                          : 1 + (int)rlognormal(r, order_median[seg], 0.5);
    int32_t last = 0;
    if (orders > 0) {
        int32_t lo = seg >= 3 ? signup : (today - 90 > signup ? today - 90 : signup);
        int32_t hi = seg == 3 ? today - 120 : seg == 4 ? today - 365 : today;
        if (hi < lo)
            hi = lo;
        last = (int32_t)rrange(r, lo, hi);
    }
    int64_t ltv = 0;
    for (int i = 0; i < orders && i < 64; i++)
        ltv += (int64_t)(rlognormal(r, 60, 0.6) * 100);
    if (orders > 64)
        ltv = ltv * orders / 64;
    const char *prefs[3];
    size_t nprefs = 1 + rbelow(r, 3);
    unsigned w[N(categories)];
    for (size_t i = 0; i < N(categories); i++)
        w[i] = categories[i].weight;
    for (size_t i = 0; i < nprefs; i++) {
        size_t ci = rweighted(r, w, N(categories));
        w[ci] = 0; /* distinct */
        prefs[i] = categories[ci].name;
    }
    int32_t updated_day = today - (int32_t)rrange(r, 0, 60);
    if (updated_day < signup)
        updated_day = signup;
    if (orders > 0 && updated_day < last)
        updated_day = last;
    int64_t updated = (int64_t)updated_day * US_PER_DAY + (int64_t)rbelow(r, 86400) * US_PER_SEC;

    TRY(put_fmt(c[0], "C%07u", id));
    TRY(rchance(r, 0.02) ? dvec_append_null(c[1]) : put_str(c[1], email));
    TRY(put_str(c[2], cu.first));
    TRY(put_str(c[3], cu.last));
    TRY(rchance(r, 0.15) ? dvec_append_null(c[4]) : dvec_append_int(c[4], dob));
    TRY(put_opt_str(c[5], genders[rweighted(r, gender_weights, N(gender_weights))]));
    TRY(put_str(c[6], segments[seg]));
    TRY(put_str(c[7], cu.country->region));
    TRY(put_address(c[8], &cu));
    TRY(dvec_append_int(c[9], signup));
    TRY(orders > 0 ? dvec_append_int(c[10], last) : dvec_append_null(c[10]));
    TRY(dvec_append_int(c[11], orders));
    TRY(put_cents(c[12], ltv));
    TRY(orders > 0 ? put_list(c[13], prefs, nprefs) : dvec_append_null(c[13]));
    TRY(dvec_append_bool(c[14], rchance(r, 0.57)));
    return dvec_append_int(c[15], updated);
}

/* product_catalog ------------------------------------------------------------------ */

static const char *const pc_columns[] = {
    "product_id", "sku", "name", "description", "category", "subcategory", "brand", "price",
    "cost", "currency", "stock_quantity", "weight_kg", "rating", "review_count", "tags",
    "attributes", "is_active", "created_at", "updated_at"};

static int pc_row(gen *g, dvec **c)
{
    grng *r = &g->r;
    uint32_t id = (uint32_t)(g->done % 999999) + 1;
    product p = product_of(id);
    char cat3[4], sub3[4], name[128];
    snprintf(cat3, sizeof cat3, "%.3s", p.cat->name);
    snprintf(sub3, sizeof sub3, "%.3s", p.sub->name);
    for (char *s = cat3; *s; s++)
        *s = (char)(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s);
    for (char *s = sub3; *s; s++)
        *s = (char)(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s);
    snprintf(name, sizeof name, "%s %s %s", p.brand, p.adjective, p.noun);
    int reviews = rchance(r, 0.1) ? 0 : (int)rlognormal(r, 40, 1.2);
    double rating = 5.0 - fabs(rlognormal(r, 0.7, 0.6));
    if (rating < 1.0)
        rating = 1.0;
    rating = round(rating * 10) / 10;
    int stock = rchance(r, 0.06) ? 0 : (int)rlognormal(r, 120, 0.9);
    /* changed some time between listing and the end of the generated span */
    int64_t end_us = (int64_t)(START_DAY + DGEN_DAYS) * US_PER_DAY;
    int64_t updated = p.created_us + (int64_t)(runit(r) * (double)(end_us - p.created_us));
    const char *tags[4] = {p.sub->name, p.cat->name, NULL, NULL};
    size_t ntags = 2;
    static const char *const extra_tags[] = {"bestseller", "new_arrival", "sale", "eco_friendly",
                                             "gift_idea", "limited_edition"};
    if (rchance(r, 0.6))
        tags[ntags++] = extra_tags[rbelow(r, N(extra_tags))];
    char brand_tag[40];
    snprintf(brand_tag, sizeof brand_tag, "%s", p.brand);
    for (char *s = brand_tag; *s; s++)
        *s = *s == ' ' ? '_' : (*s >= 'A' && *s <= 'Z') ? (char)(*s - 'A' + 'a') : *s;
    tags[ntags++] = brand_tag;
    const char *attrs[6] = {"color", p.color, "material", p.material, NULL, NULL};
    size_t nattrs = 2;
    if (strcmp(p.cat->name, "clothing") == 0) {
        static const char *const sizes[] = {"XS", "S", "M", "L", "XL"};
        attrs[4] = "size", attrs[5] = sizes[rbelow(r, N(sizes))], nattrs = 3;
    }

    TRY(put_fmt(c[0], "P%06u", id));
    TRY(put_fmt(c[1], "%s-%s-%06u", cat3, sub3, id));
    TRY(put_str(c[2], name));
    TRY(rchance(r, 0.05) ? dvec_append_null(c[3])
                         : put_fmt(c[3], "%s %s by %s in %s %s, for %s.", p.adjective, p.noun,
                                   p.brand, p.color, p.material, p.sub->name));
    TRY(put_str(c[4], p.cat->name));
    TRY(put_str(c[5], p.sub->name));
    TRY(put_str(c[6], p.brand));
    TRY(put_cents(c[7], p.price_cents));
    TRY(put_cents(c[8], p.cost_cents));
    TRY(put_str(c[9], "USD"));
    TRY(dvec_append_int(c[10], stock));
    TRY(dvec_append_double(c[11], p.weight_kg));
    TRY(reviews ? dvec_append_double(c[12], rating) : dvec_append_null(c[12]));
    TRY(dvec_append_int(c[13], reviews));
    TRY(put_list(c[14], tags, ntags));
    TRY(put_map(c[15], attrs, nattrs));
    TRY(dvec_append_bool(c[16], !rchance(r, 0.08)));
    TRY(dvec_append_int(c[17], p.created_us));
    return dvec_append_int(c[18], updated);
}

static const gen_def defs[] = {
    {"transactions", tx_columns, N(tx_columns), tx_row},
    {"user_events", ev_columns, N(ev_columns), ev_row},
    {"customer_profiles", cp_columns, N(cp_columns), cp_row},
    {"product_catalog", pc_columns, N(pc_columns), pc_row},
};

static int gen_next(dstream *s, dvec **out)
{
    gen *g = (gen *)s;
    *out = NULL;
    if (g->done >= g->rows)
        return 0;
    int64_t n = g->rows - g->done < g->batch_rows ? g->rows - g->done : g->batch_rows;
    dvec *b = NULL;
    int rc = dbatch_new(&b, g->schema);
    dvec *cols[32];
    for (uint32_t i = 0; !rc && i < b->num_children && i < 32; i++) {
        cols[i] = b->children[i];
        rc = dvec_reserve(cols[i], n);
    }
    for (int64_t i = 0; !rc && i < n; i++) {
        rc = g->def->row(g, cols);
        g->done++;
    }
    if (!rc)
        rc = dbatch_seal(b);
    if (rc) {
        dvec_unref(b);
        return rc;
    }
    *out = b;
    return 0;
}

static void gen_free(dstream *s)
{
    gen *g = (gen *)s;
    dtype_unref(g->schema);
    delta_free(g);
}

int dgen_stream_new(dstream **out, const char *name, int64_t rows, uint64_t seed,
                    int64_t batch_rows)
{
    *out = NULL;
    const gen_def *def = NULL;
    for (size_t i = 0; name && i < N(defs); i++)
        if (strcmp(defs[i].template_name, name) == 0)
            def = &defs[i];
    const delta_template *t = delta_template_find(name);
    if (!def || !t)
        return delta_error_set(DELTA_EINVAL,
                               "generate: unknown template '%s' (transactions, user_events, "
                               "customer_profiles, product_catalog)",
                               name ? name : "(null)");
    if (rows < 0)
        return delta_error_set(DELTA_EINVAL, "generate: row count %lld is negative",
                               (long long)rows);
    dtype *schema = NULL;
    int rc = dlog_schema_parse(&schema, t->schema_json, strlen(t->schema_json));
    if (rc)
        return rc;
    if (schema->num_fields != def->num_columns || schema->num_fields > 32) {
        dtype_unref(schema);
        return delta_error_set(DELTA_ECORRUPT, "generate: template '%s' has %u columns, "
                               "the generator knows %zu", name, schema->num_fields,
                               def->num_columns);
    }
    for (uint32_t i = 0; i < schema->num_fields; i++) {
        if (strcmp(schema->fields[i].name, def->columns[i]) != 0) {
            rc = delta_error_set(DELTA_ECORRUPT,
                                 "generate: template '%s' column %u is '%s', expected '%s'",
                                 name, i, schema->fields[i].name, def->columns[i]);
            dtype_unref(schema);
            return rc;
        }
    }
    gen *g = delta_calloc(1, sizeof *g);
    if (!g) {
        dtype_unref(schema);
        return DELTA_ENOMEM;
    }
    g->base.schema = schema;
    g->base.next = gen_next;
    g->base.free = gen_free;
    g->schema = schema;
    g->def = def;
    g->rows = rows;
    g->batch_rows = batch_rows > 0 ? batch_rows : 8192;
    g->seed = seed;
    g->r.s = mix64(seed ^ mix64((uint64_t)(def - defs) + 1));
    *out = &g->base;
    return 0;
}

DELTA_EXTERN int delta_generate_stream(const char *template_name, int64_t rows, uint64_t seed,
                                       struct ArrowArrayStream *out)
{
    dstream *s;
    int rc = dgen_stream_new(&s, template_name, rows, seed, 0);
    if (rc)
        return rc;
    return dstream_export(s, out);
}

/*
 * The e-commerce table templates (the seed's DeltaTableSchemas and
 * DeltaTableConfig): one schema per table of the platform, with its
 * partition strategy, recommended properties and Z-order hint.
 *
 * Schemas are Delta schema JSON with a "comment" in each field's metadata
 * (where Spark keeps column comments). Timestamps are Delta `timestamp`
 * (UTC instants), money is decimal, identifiers are strings.
 *
 * Time partitions (year/month/day) are Delta generated columns: their
 * metadata holds "delta.generationExpression" (YEAR(ts), MONTH(ts),
 * DAY(ts)), so every writer that honours the generatedColumns feature
 * (Spark, and this engine) computes them from the event time and refuses
 * rows whose values disagree; a reader sees them as ordinary columns.
 * This needs writer version 4, which create computes from the schema.
 */
#include <delta/table.h>

#include <string.h>

#define CMT(text) "{\"comment\":\"" text "\"}"
#define GEN(text, expr) "{\"comment\":\"" text "\",\"delta.generationExpression\":\"" expr "\"}"
#define FIELD(name, type, nullable, meta)                                                      \
    "{\"name\":\"" name "\",\"type\":" type ",\"nullable\":" nullable ",\"metadata\":" meta "}"
#define T(x) "\"" x "\""
#define NN "false"
#define NUL "true"

#define ADDRESS_TYPE                                                                           \
    "{\"type\":\"struct\",\"fields\":["                                                        \
    FIELD("street", T("string"), NUL, CMT("street and number")) ","                            \
    FIELD("city", T("string"), NUL, CMT("city")) ","                                           \
    FIELD("state", T("string"), NUL, CMT("state, province or region")) ","                     \
    FIELD("postal_code", T("string"), NUL, CMT("postal code")) ","                             \
    FIELD("country", T("string"), NUL, CMT("ISO 3166-1 alpha-2 country code")) "]}"

#define STRING_MAP "{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"string\",\"valueContainsNull\":true}"
#define STRING_ARRAY "{\"type\":\"array\",\"elementType\":\"string\",\"containsNull\":false}"

static const char transactions_schema[] =
    "{\"type\":\"struct\",\"fields\":["
    FIELD("transaction_id", T("string"), NN, CMT("unique transaction identifier")) ","
    FIELD("order_id", T("string"), NN, CMT("order the line belongs to")) ","
    FIELD("customer_id", T("string"), NN, CMT("buyer (customer_profiles.customer_id)")) ","
    FIELD("product_id", T("string"), NN, CMT("item sold (product_catalog.product_id)")) ","
    FIELD("quantity", T("integer"), NN, CMT("units sold")) ","
    FIELD("unit_price", T("decimal(10,2)"), NN, CMT("price per unit before discount")) ","
    FIELD("discount_amount", T("decimal(10,2)"), NUL, CMT("discount applied to the line")) ","
    FIELD("tax_amount", T("decimal(10,2)"), NUL, CMT("tax charged")) ","
    FIELD("total_amount", T("decimal(12,2)"), NN, CMT("amount charged for the line")) ","
    FIELD("currency", T("string"), NN, CMT("ISO 4217 currency code")) ","
    FIELD("payment_method", T("string"), NUL, CMT("card, paypal, bank_transfer, wallet, ...")) ","
    FIELD("status", T("string"), NN, CMT("pending, completed, refunded, cancelled, failed")) ","
    FIELD("channel", T("string"), NUL, CMT("web, mobile_app, marketplace, store")) ","
    FIELD("shipping_address", ADDRESS_TYPE, NUL, CMT("where the order ships")) ","
    FIELD("transaction_timestamp", T("timestamp"), NN, CMT("when the payment was made (UTC)")) ","
    FIELD("updated_at", T("timestamp"), NUL, CMT("last status change (UTC); null while the status is the first one")) ","
    FIELD("year", T("integer"), NUL, GEN("partition: year of transaction_timestamp", "YEAR(transaction_timestamp)")) ","
    FIELD("month", T("integer"), NUL, GEN("partition: month of transaction_timestamp", "MONTH(transaction_timestamp)")) ","
    FIELD("day", T("integer"), NUL, GEN("partition: day of transaction_timestamp", "DAY(transaction_timestamp)"))
    "]}";

static const char user_events_schema[] =
    "{\"type\":\"struct\",\"fields\":["
    FIELD("event_id", T("string"), NN, CMT("unique event identifier")) ","
    FIELD("event_type", T("string"), NN, CMT("page_view, search, add_to_cart, remove_from_cart, checkout, purchase, ...")) ","
    FIELD("user_id", T("string"), NUL, CMT("signed-in customer, null for anonymous visitors")) ","
    FIELD("session_id", T("string"), NN, CMT("browser or app session")) ","
    FIELD("event_timestamp", T("timestamp"), NN, CMT("when the event happened (UTC)")) ","
    FIELD("page_url", T("string"), NUL, CMT("page the event happened on")) ","
    FIELD("referrer", T("string"), NUL, CMT("referring URL or campaign")) ","
    FIELD("product_id", T("string"), NUL, CMT("product involved, if any")) ","
    FIELD("search_query", T("string"), NUL, CMT("text searched, for search events")) ","
    FIELD("duration_ms", T("long"), NUL, CMT("time spent on the page, milliseconds")) ","
    FIELD("device", "{\"type\":\"struct\",\"fields\":["
          FIELD("type", T("string"), NUL, CMT("desktop, mobile, tablet")) ","
          FIELD("os", T("string"), NUL, CMT("operating system")) ","
          FIELD("browser", T("string"), NUL, CMT("browser or app version")) "]}",
          NUL, CMT("client device")) ","
    FIELD("properties", STRING_MAP, NUL, CMT("free-form event attributes")) ","
    FIELD("year", T("integer"), NUL, GEN("partition: year of event_timestamp", "YEAR(event_timestamp)")) ","
    FIELD("month", T("integer"), NUL, GEN("partition: month of event_timestamp", "MONTH(event_timestamp)")) ","
    FIELD("day", T("integer"), NUL, GEN("partition: day of event_timestamp", "DAY(event_timestamp)"))
    "]}";

static const char customer_profiles_schema[] =
    "{\"type\":\"struct\",\"fields\":["
    FIELD("customer_id", T("string"), NN, CMT("unique customer identifier")) ","
    FIELD("email", T("string"), NUL, CMT("contact e-mail (PII)")) ","
    FIELD("first_name", T("string"), NUL, CMT("given name (PII)")) ","
    FIELD("last_name", T("string"), NUL, CMT("family name (PII)")) ","
    FIELD("date_of_birth", T("date"), NUL, CMT("birth date (PII)")) ","
    FIELD("gender", T("string"), NUL, CMT("self-reported gender")) ","
    FIELD("customer_segment", T("string"), NN, CMT("new, regular, vip, at_risk, churned")) ","
    FIELD("region", T("string"), NN, CMT("sales region: north_america, europe, asia_pacific, latin_america, middle_east_africa")) ","
    FIELD("address", ADDRESS_TYPE, NUL, CMT("default shipping address")) ","
    FIELD("signup_date", T("date"), NN, CMT("account creation date")) ","
    FIELD("last_order_date", T("date"), NUL, CMT("date of the latest order")) ","
    FIELD("total_orders", T("integer"), NUL, CMT("orders placed so far")) ","
    FIELD("lifetime_value", T("decimal(12,2)"), NUL, CMT("revenue from the customer so far")) ","
    FIELD("preferred_categories", STRING_ARRAY, NUL, CMT("categories the customer buys most")) ","
    FIELD("marketing_opt_in", T("boolean"), NUL, CMT("consents to marketing e-mail")) ","
    FIELD("updated_at", T("timestamp"), NN, CMT("last change of the profile (UTC)"))
    "]}";

static const char product_catalog_schema[] =
    "{\"type\":\"struct\",\"fields\":["
    FIELD("product_id", T("string"), NN, CMT("unique product identifier")) ","
    FIELD("sku", T("string"), NN, CMT("stock keeping unit")) ","
    FIELD("name", T("string"), NN, CMT("display name")) ","
    FIELD("description", T("string"), NUL, CMT("long description")) ","
    FIELD("category", T("string"), NN, CMT("top-level category: electronics, clothing, home, ...")) ","
    FIELD("subcategory", T("string"), NN, CMT("category below the top level")) ","
    FIELD("brand", T("string"), NUL, CMT("manufacturer or label")) ","
    FIELD("price", T("decimal(10,2)"), NN, CMT("list price")) ","
    FIELD("cost", T("decimal(10,2)"), NUL, CMT("unit cost, for margins")) ","
    FIELD("currency", T("string"), NN, CMT("ISO 4217 currency code")) ","
    FIELD("stock_quantity", T("integer"), NUL, CMT("units in stock")) ","
    FIELD("weight_kg", T("double"), NUL, CMT("shipping weight")) ","
    FIELD("rating", T("double"), NUL, CMT("average review rating, 1 to 5")) ","
    FIELD("review_count", T("integer"), NUL, CMT("number of reviews")) ","
    FIELD("tags", STRING_ARRAY, NUL, CMT("search tags")) ","
    FIELD("attributes", STRING_MAP, NUL, CMT("color, size, material, ...")) ","
    FIELD("is_active", T("boolean"), NN, CMT("listed for sale")) ","
    FIELD("created_at", T("timestamp"), NN, CMT("when the product was listed (UTC)")) ","
    FIELD("updated_at", T("timestamp"), NN, CMT("last change (UTC)"))
    "]}";

static const char *const ymd[] = {"year", "month", "day"};
static const char *const ymd_type[] = {"year", "month", "day", "event_type"};
static const char *const seg_region[] = {"customer_segment", "region"};
static const char *const cat_sub[] = {"category", "subcategory"};

static const char *const opt_keys[] = {"delta.autoOptimize.optimizeWrite",
                                       "delta.autoOptimize.autoCompact"};
static const char *const opt_values[] = {"true", "true"};
static const char *const compact_keys[] = {"delta.autoOptimize.autoCompact",
                                           "delta.autoOptimize.optimizeWrite",
                                           "delta.logRetentionDuration"};
static const char *const compact_values[] = {"true", "true", "interval 30 days"};
static const char *const profile_keys[] = {"delta.autoOptimize.optimizeWrite",
                                           "delta.enableChangeDataFeed"};
static const char *const profile_values[] = {"true", "true"};

static const char *const z_customer[] = {"customer_id"};
static const char *const z_session[] = {"user_id", "session_id"};
static const char *const z_product[] = {"product_id"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const delta_template templates[] = {
    {"transactions",
     "order lines with customer, product, amounts and payment; partitioned by day of the "
     "transaction",
     transactions_schema, ymd, N(ymd), opt_keys, opt_values, N(opt_keys), z_customer,
     N(z_customer)},
    {"user_events",
     "clickstream events with session tracking; partitioned by day and event type",
     user_events_schema, ymd_type, N(ymd_type), compact_keys, compact_values, N(compact_keys),
     z_session, N(z_session)},
    {"customer_profiles",
     "customer demographics and segmentation; partitioned by segment and region",
     customer_profiles_schema, seg_region, N(seg_region), profile_keys, profile_values,
     N(profile_keys), z_customer, N(z_customer)},
    {"product_catalog", "products with categories, prices, stock and attributes; partitioned "
                        "by category and subcategory",
     product_catalog_schema, cat_sub, N(cat_sub), opt_keys, opt_values, N(opt_keys), z_product,
     N(z_product)},
};

DELTA_EXTERN size_t delta_template_count(void)
{
    return N(templates);
}

DELTA_EXTERN const delta_template *delta_template_at(size_t i)
{
    return i < N(templates) ? &templates[i] : NULL;
}

DELTA_EXTERN const delta_template *delta_template_find(const char *name)
{
    for (size_t i = 0; name && i < N(templates); i++)
        if (strcmp(templates[i].name, name) == 0)
            return &templates[i];
    return NULL;
}

-- A seeded e-commerce transactions file for bench/parquet: ids, skewed
-- customer and product keys, category strings, amounts as decimal and
-- double, timestamps, an enum-like status and a nullable column.
-- Placeholders: {ROWS} {SEED} {OUT} {CODEC}
COPY (
  SELECT
    i AS transaction_id,
    floor(pow((hash(i, {SEED}, 1) % 1000000) / 1000000.0, 3) * 200000)::BIGINT AS customer_id,
    floor(pow((hash(i, {SEED}, 2) % 1000000) / 1000000.0, 2) * 50000)::INTEGER AS product_id,
    (['electronics','books','home','garden','toys','sports','beauty','fashion',
      'grocery','automotive','health','music','movies','office','pets','tools',
      'jewelry','baby','outdoors','games'])[1 + (hash(i, {SEED}, 3) % 20)::INTEGER] AS category,
    ((hash(i, {SEED}, 4) % 5000000) / 100.0)::DECIMAL(12, 2) AS amount,
    (hash(i, {SEED}, 5) % 10000000) / 97.0 AS amount_usd,
    TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds((i * 3000 + hash(i, {SEED}, 6) % 3000)::BIGINT) AS transaction_ts,
    (['completed','completed','completed','completed','shipped','shipped','pending',
      'cancelled','refunded','failed'])[1 + (hash(i, {SEED}, 7) % 10)::INTEGER] AS status,
    CASE WHEN hash(i, {SEED}, 8) % 4 = 0 THEN NULL
         ELSE ((hash(i, {SEED}, 9) % 5000) / 100.0)::DOUBLE END AS discount
  FROM range({ROWS}) t(i)
) TO '{OUT}' (FORMAT parquet, COMPRESSION {CODEC}, ROW_GROUP_SIZE 122880)

-- TPC-DS-style analytical queries over ecommerce-ds (DuckDB SQL; one view per TPC-DS table name).
-- Each query starts with a "-- name:" line; the tests run them all on a small generated dataset.

-- name: return_rate_by_channel
SELECT channel, lines, returned, round(returned / lines, 4) AS return_rate FROM (
  SELECT 'store' AS channel, (SELECT count(*) FROM store_sales) AS lines, (SELECT count(*) FROM store_returns) AS returned
  UNION ALL SELECT 'catalog', (SELECT count(*) FROM catalog_sales), (SELECT count(*) FROM catalog_returns)
  UNION ALL SELECT 'web', (SELECT count(*) FROM web_sales), (SELECT count(*) FROM web_returns)
) ORDER BY channel;

-- name: sales_by_month
SELECT d_year, d_moy, count(*) AS lines, count(DISTINCT d_date) AS days, round(count(*) / count(DISTINCT d_date), 1) AS lines_per_day,
       sum(ss_ext_sales_price) AS revenue
FROM store_sales JOIN date_dim ON ss_sold_date_sk = d_date_sk
GROUP BY d_year, d_moy ORDER BY d_year, d_moy;

-- name: top_brands
SELECT i_brand_id, i_brand, i_category, sum(ss_ext_sales_price) AS revenue, count(*) AS lines
FROM store_sales JOIN item ON ss_item_sk = i_item_sk JOIN date_dim ON ss_sold_date_sk = d_date_sk
WHERE d_moy IN (11, 12)
GROUP BY i_brand_id, i_brand, i_category ORDER BY revenue DESC LIMIT 10;

-- name: promo_demographics_q7
SELECT i_item_id, avg(ss_quantity) AS agg1, avg(ss_list_price) AS agg2, avg(ss_coupon_amt) AS agg3, avg(ss_sales_price) AS agg4
FROM store_sales JOIN customer_demographics ON ss_cdemo_sk = cd_demo_sk JOIN item ON ss_item_sk = i_item_sk
JOIN promotion ON ss_promo_sk = p_promo_sk
WHERE cd_gender IN ('M', 'F') AND (p_channel_email = 'N' OR p_channel_event = 'N')
GROUP BY i_item_id ORDER BY agg4 DESC LIMIT 20;

-- name: promotional_share_q61
SELECT sum(ss_ext_sales_price) FILTER (WHERE ss_promo_sk IS NOT NULL) AS promotional,
       sum(ss_ext_sales_price) AS total,
       round(100 * sum(ss_ext_sales_price) FILTER (WHERE ss_promo_sk IS NOT NULL) / sum(ss_ext_sales_price), 2) AS pct
FROM store_sales JOIN customer ON ss_customer_sk = c_customer_sk JOIN customer_address ON c_current_addr_sk = ca_address_sk;

-- name: store_profit_by_state
SELECT s_state, s_store_name, count(DISTINCT ss_ticket_number) AS tickets, sum(ss_net_profit) AS profit
FROM store_sales JOIN store ON ss_store_sk = s_store_sk
GROUP BY s_state, s_store_name ORDER BY profit DESC;

-- name: household_buy_potential_q34
SELECT hd_buy_potential, hd_dep_count, count(DISTINCT ss_ticket_number) AS tickets, avg(ss_net_paid) AS avg_paid
FROM store_sales JOIN household_demographics ON ss_hdemo_sk = hd_demo_sk JOIN income_band ON hd_income_band_sk = ib_income_band_sk
GROUP BY hd_buy_potential, hd_dep_count ORDER BY tickets DESC LIMIT 20;

-- name: catalog_by_call_center
SELECT cc_name, d_moy, count(DISTINCT cs_order_number) AS orders, sum(cs_net_paid_inc_ship_tax) AS billed
FROM catalog_sales JOIN call_center ON cs_call_center_sk = cc_call_center_sk JOIN date_dim ON cs_sold_date_sk = d_date_sk
JOIN catalog_page ON cs_catalog_page_sk = cp_catalog_page_sk
GROUP BY cc_name, d_moy ORDER BY cc_name, d_moy;

-- name: web_ship_delay_q62
SELECT web_name, sm_type,
       count(*) FILTER (WHERE ws_ship_date_sk - ws_sold_date_sk <= 3) AS "<=3 days",
       count(*) FILTER (WHERE ws_ship_date_sk - ws_sold_date_sk BETWEEN 4 AND 7) AS "4-7 days",
       count(*) FILTER (WHERE ws_ship_date_sk - ws_sold_date_sk > 7) AS ">7 days"
FROM web_sales JOIN web_site ON ws_web_site_sk = web_site_sk JOIN ship_mode ON ws_ship_mode_sk = sm_ship_mode_sk
JOIN warehouse ON ws_warehouse_sk = w_warehouse_sk JOIN date_dim ON ws_ship_date_sk = d_date_sk
GROUP BY web_name, sm_type ORDER BY web_name, sm_type;

-- name: inventory_by_warehouse_category_q22
SELECT w_warehouse_name, i_category, avg(inv_quantity_on_hand) AS qoh, count(*) AS snapshots
FROM inventory JOIN date_dim ON inv_date_sk = d_date_sk JOIN item ON inv_item_sk = i_item_sk
JOIN warehouse ON inv_warehouse_sk = w_warehouse_sk
GROUP BY w_warehouse_name, i_category ORDER BY w_warehouse_name, i_category;

-- name: store_returns_by_reason_q93
SELECT r_reason_desc, count(*) AS returns, sum(sr_return_quantity) AS units, sum(sr_return_amt) AS refunded
FROM store_returns JOIN reason ON sr_reason_sk = r_reason_sk
JOIN store_sales ON sr_ticket_number = ss_ticket_number AND sr_item_sk = ss_item_sk
GROUP BY r_reason_desc ORDER BY returns DESC;

-- name: catalog_returns_by_call_center_q40
SELECT cc_name, count(*) AS returns, sum(cr_net_loss) AS net_loss, avg(cr_returned_date_sk - cs_sold_date_sk) AS avg_days_to_return
FROM catalog_returns JOIN call_center ON cr_call_center_sk = cc_call_center_sk
JOIN catalog_sales ON cr_order_number = cs_order_number AND cr_item_sk = cs_item_sk
GROUP BY cc_name ORDER BY returns DESC;

-- name: web_returns_by_page_type
SELECT wp_type, count(*) AS returns, sum(wr_return_amt) AS amount, sum(wr_account_credit) AS credit
FROM web_returns JOIN web_page ON wr_web_page_sk = wp_web_page_sk JOIN customer ON wr_returning_customer_sk = c_customer_sk
GROUP BY wp_type ORDER BY returns DESC;

-- name: customers_in_all_channels_q38
SELECT count(*) AS customers FROM (
  SELECT ss_customer_sk AS c FROM store_sales INTERSECT
  SELECT cs_bill_customer_sk FROM catalog_sales INTERSECT
  SELECT ws_bill_customer_sk FROM web_sales);

-- name: top_customers_all_channels
SELECT c_customer_id, c_first_name, c_last_name, sum(paid) AS paid FROM (
  SELECT ss_customer_sk AS c, ss_net_paid AS paid FROM store_sales
  UNION ALL SELECT cs_bill_customer_sk, cs_net_paid FROM catalog_sales
  UNION ALL SELECT ws_bill_customer_sk, ws_net_paid FROM web_sales
) JOIN customer ON c = c_customer_sk
GROUP BY c_customer_id, c_first_name, c_last_name ORDER BY paid DESC LIMIT 10;

-- name: weekday_and_hour_profile
SELECT d_day_name, t_shift, count(*) AS lines
FROM store_sales JOIN date_dim ON ss_sold_date_sk = d_date_sk JOIN time_dim ON ss_sold_time_sk = t_time_sk
GROUP BY d_day_name, t_shift ORDER BY lines DESC;

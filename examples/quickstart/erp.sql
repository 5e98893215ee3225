-- The sample ERP. It already knows two customers; it holds the credit decisions.
CREATE TABLE customers (
  cust_code    TEXT PRIMARY KEY,
  cust_name    TEXT NOT NULL,
  mobile       TEXT,
  email        TEXT,
  grade        TEXT NOT NULL DEFAULT 'C',
  credit_limit NUMERIC NOT NULL DEFAULT 0
);
CREATE TABLE sales_orders (
  so_no     TEXT PRIMARY KEY,
  cust_code TEXT NOT NULL REFERENCES customers(cust_code),
  total     NUMERIC,
  status    TEXT,
  so_date   TEXT
);
INSERT INTO customers VALUES
  ('C001', '上海华联贸易', '13812345678', NULL, 'A', 500000),
  ('C002', 'Nordlicht Handels GmbH', '+49 30 1234567', NULL, 'B', 80000);

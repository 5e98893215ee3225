-- The ERP, on PostgreSQL: its own schema and naming, credit limits and stock kept here.
CREATE SCHEMA erp;
CREATE TABLE erp.customers (
  cust_code    varchar(20) PRIMARY KEY,
  cust_name    varchar(100) NOT NULL,
  mobile       varchar(20),
  email        varchar(100),
  grade        char(1),
  credit_limit numeric(12,2)
);
CREATE TABLE erp.materials (
  mat_code varchar(20) PRIMARY KEY,
  mat_name varchar(100) NOT NULL,
  price    numeric(12,2)
);
CREATE TABLE erp.inventory (
  mat_code varchar(20) PRIMARY KEY,
  on_hand  integer NOT NULL
);
CREATE TABLE erp.sales_orders (
  so_no     varchar(20) PRIMARY KEY,
  cust_code varchar(20) NOT NULL,
  so_date   date,
  amount    numeric(12,2),
  state     varchar(12)
);

INSERT INTO erp.customers VALUES
  ('C001', '上海华东机电有限公司', '+8613812345678', 'purchase@hdjd.example.cn', 'A', 50000.00),
  ('C002', 'Shenzhen Bright Optics', '+8613987654321', 'ops@bright.example.com', 'C', 8000.00);
INSERT INTO erp.materials VALUES
  ('M-100', '伺服电机 400W', 1280.00),
  ('M-200', 'Optical sensor OS-2', 56.05),
  ('M-300', '工业网关 GW-8', 999.90);
INSERT INTO erp.inventory VALUES ('M-100', 42), ('M-200', 1300), ('M-300', 7);

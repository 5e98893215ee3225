-- The CRM, on MariaDB: English naming, phones as the sales reps type them.
CREATE TABLE crm_accounts (
  account_no   VARCHAR(20) PRIMARY KEY,
  account_name VARCHAR(100) NOT NULL,
  tel          VARCHAR(30),
  email        VARCHAR(100),
  level        VARCHAR(10),
  credit       DECIMAL(12,2)
) DEFAULT CHARSET = utf8mb4;
CREATE TABLE crm_products (
  sku        VARCHAR(20) PRIMARY KEY,
  title      VARCHAR(100) NOT NULL,
  list_price DECIMAL(12,2)
) DEFAULT CHARSET = utf8mb4;
CREATE TABLE crm_stock (
  sku VARCHAR(20) PRIMARY KEY,
  qty INT NOT NULL
) DEFAULT CHARSET = utf8mb4;
CREATE TABLE crm_orders (
  order_no   VARCHAR(20) PRIMARY KEY,
  account_no VARCHAR(20) NOT NULL,
  order_date DATE,
  total      DECIMAL(12,2),
  status     VARCHAR(12)
) DEFAULT CHARSET = utf8mb4;

INSERT INTO crm_accounts VALUES
  ('C001', '上海华东机电有限公司', '138-1234-5678', 'purchase@hdjd.example.cn', 'VIP', NULL),
  ('C002', 'Shenzhen Bright Optics', '+86 139 8765 4321', 'ops@bright.example.com', '普通', NULL),
  ('C003', '北京远航贸易', '13700001111', 'li@yuanhang.example.cn', '重要', NULL);
INSERT INTO crm_orders VALUES
  ('SO-1001', 'C001', '2026-11-02', 12800.00, 'approved'),
  ('SO-1002', 'C002', '2026-11-05', 560.50, 'draft'),
  ('SO-1003', 'C003', '2026-11-09', 99.90, 'approved');

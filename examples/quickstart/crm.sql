-- The sample CRM. Phone numbers and levels as sales reps type them.
CREATE TABLE accounts (
  account_no   TEXT PRIMARY KEY,
  account_name TEXT NOT NULL,
  tel          TEXT,
  email        TEXT,
  level        TEXT
);
CREATE TABLE orders (
  order_no   TEXT PRIMARY KEY,
  account_no TEXT NOT NULL,
  amount     TEXT,
  status     TEXT NOT NULL DEFAULT 'draft',
  order_date TEXT
);
INSERT INTO accounts VALUES
  ('C001', '上海华联贸易有限公司', '13812345678', 'purchase@hualian.example', 'VIP'),
  ('C002', 'Nordlicht Handels GmbH', '+49 30 1234567', 'einkauf@nordlicht.example', '重要'),
  ('C003', '深圳前海科技有限公司', '+86-755-8888-1234', 'it@qianhai.example', '普通'),
  ('C004', 'Pacific Rim Foods Ltd', '+1 415 555 0100', 'orders@pacificrim.example', '普通'),
  ('C005', '杭州西湖茶业', '0571-8765-4321', 'tea@xihu.example', 'VIP'),
  ('C006', 'Andes Copper S.A.', '+56 2 2345 6789', 'NOT-AN-EMAIL', '普通'),
  ('C007', '北京燕山机械厂', '010-6543-2100', 'sales@yanshan.example', '重要'),
  ('C008', 'Maple Leaf Outfitters', '+1 604 555 0199', 'buy@maple.example', '普通');
INSERT INTO orders VALUES
  ('SO-1001', 'C001', '12800.00', 'approved', '2026-11-02'),
  ('SO-1002', 'C002', '4500.5',   'approved', '2026/11/05'),
  ('SO-1003', 'C003', '990',      'draft',    '2026-11-06'),
  ('SO-1004', 'C005', '1,250.00', 'approved', '20261107'),
  ('SO-1005', 'C004', '310.25',   'cancelled','2026-11-08');

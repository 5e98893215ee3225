// The concord.yaml that `concord demo` writes next to its databases. It is meant to be read: each
// section and each flow says what it does and why, so the file doubles as a tutorial. demo tests
// load it through the real config loader (it must validate) and the demo runs it.
#include "demo/generator.h"

namespace concord::demo {

std::string DemoConfigYaml() {
  return R"yaml(# concord demo — a CRM and an ERP from different vendors, kept as one.
#
# Read this file top to bottom: it is the whole integration. `concord validate` checks it,
# `concord plan` shows what it would do, `concord run` does it (docs/configuration.md lists
# every key).
#
#   CRM  crm.db  the sales team's system: accounts, contacts, opportunities, orders,
#                service_tickets (+ products and stock, which concord fills from the ERP)
#   ERP  erp.db  finance and warehouse: bd_customer, bd_material, ic_onhand, so_order,
#                ar_invoice, ar_payment — Chinese column names (cust_name, 联系电话, 信用额度)
#
# Who decides what: the CRM says who a customer is (name, phone, e-mail); the ERP says what
# they may spend (credit grade and limit), what the products cost and what is in stock.
# Approved CRM orders become ERP sales orders; when the ERP ships, the CRM sees it.
version: 1

# concord's own memory: checkpoints, the key cross-reference, the DLQ, the audit log.
state: sqlite:concord-state.db

systems:
  crm: {connector: sqlite, path: crm.db}
  erp: {connector: sqlite, path: erp.db}

# The data dictionary: one canonical shape per business object. Each system's values are
# normalized into it on the way in (phones to E.164, dates to ISO 8601, exact decimals) and
# checked against it; a record that breaks a rule waits in the DLQ with the reason, and
# everything else keeps flowing.
entities:
  customer:
    key: code
    fields:
      code:         {type: string, required: true, max_length: 20}
      # trim + nfkc: "华联贸易有限公司 " and full-width "（华联）" compare equal to the clean form.
      name:         {type: string, required: true, max_length: 100, trim: true, nfkc: true}
      # Reps type "+86 138 1234 5678", "13812345678" or "138-1234-5678": one E.164 number.
      # region CN: a number without +country code is Chinese. personal: masked in the DLQ.
      phone:        {type: phone, region: CN, personal: true}
      email:        {type: email, personal: true}
      # "2024-03-05", "2024/3/5", "20240305" and "2024年3月5日" are the same date.
      created:      {type: date}
      credit_grade: {type: enum, values: [A, B, C, D]}
      credit_limit: {type: decimal, scale: 2, min: 0}   # a negative limit is an error
  product:
    key: code
    fields:
      code:  {type: string, required: true}
      name:  {type: string, required: true}
      unit:  {type: string}
      price: {type: decimal, scale: 2, min: 0}          # "面议" (negotiable) is not a price
  inventory:
    key: item
    fields:
      # A reference: stock of a product waits until the product itself has arrived.
      item:      {type: reference, entity: product, required: true}
      warehouse: {type: string}
      on_hand:   {type: int}
  order:
    key: number
    fields:
      number:   {type: string, required: true}
      customer: {type: reference, entity: customer, required: true}
      product:  {type: reference, entity: product}
      quantity: {type: int, min: 1}
      amount:   {type: decimal, scale: 2, min: 0}
      status:   {type: enum, values: [draft, approved, shipped, cancelled]}
      date:     {type: date}

# Bindings: how each entity lives in each system — table, key, and which column holds which
# canonical field. Column names are written as the system spells them.
bindings:
  crm.customer:
    table: accounts
    key: account_no
    fields:
      code: account_no
      name: account_name
      phone: phone
      email: email
      created: created_on
      credit_grade: credit_rating
      credit_limit: credit_limit
  erp.customer:
    table: bd_customer
    key: cust_code
    fields:
      code: cust_code
      name: cust_name
      # The ERP keeps phones as "+86 138 1234 5678"; concord writes them that way too.
      phone: {column: 联系电话, format: international}
      email: 电子邮箱
      created: 建档日期
      credit_grade: 信用等级
      credit_limit: 信用额度

  crm.product:
    table: products
    key: sku
    capture: none          # the CRM's copy is only ever written by concord
    fields: {code: sku, name: product_name, unit: unit, price: list_price}
  erp.product:
    table: bd_material
    key: inv_code
    fields: {code: inv_code, name: inv_name, unit: 计量单位, price: 参考售价}

  crm.inventory:
    table: stock
    key: sku
    capture: none
    fields: {item: sku, warehouse: warehouse, on_hand: on_hand}
  erp.inventory:
    table: ic_onhand
    key: inv_code
    fields: {item: inv_code, warehouse: 仓库, on_hand: 现存量}

  crm.order:
    table: orders
    key: order_no
    fields:
      number: order_no
      customer: account_no
      product: product_sku
      quantity: quantity
      amount: amount
      status: status
      date: order_date
  erp.order:
    table: so_order
    key: so_code
    fields:
      number: so_code
      customer: cust_code
      product: inv_code
      quantity: 数量
      amount: 订单金额
      # A value map: the ERP's status words ↔ the canonical ones, both ways.
      status: {column: 状态, map: {草稿: draft, 已审核: approved, 已发货: shipped, 已作废: cancelled}}
      date: 订单日期

# Flows: which entity moves from which system to which, when, and which fields it owns.
# Unless a mode is given, a flow is realtime: concord's triggers log each change and the flow
# applies it within moments.
flows:
  # Who the customer is: typed once, in the CRM. New accounts appear in the ERP; renames and
  # new phone numbers follow. The ERP's own fields (address, credit) are left alone.
  - {entity: customer, from: crm, to: erp, owns: [name, phone, email, created]}

  # What the customer may spend: decided by the ERP's credit control, shown to sales reps.
  - {entity: customer, from: erp, to: crm, owns: [credit_grade, credit_limit]}

  # The catalogue: the ERP is the master of products and prices.
  - {entity: product, from: erp, to: crm}

  # Stock levels change with every shipment; reps need them fresh enough, not instantly:
  # a scheduled flow that copies what changed every 5 seconds.
  - {entity: inventory, from: erp, to: crm, mode: "every 5s"}

  # Orders reach the ERP once a manager approves them (drafts stay in the CRM; a later
  # cancellation follows), and an order never arrives before its customer: it waits for it.
  - entity: order
    from: crm
    to: erp
    when: "status != 'draft'"
    owns: [customer, product, quantity, amount, status, date]
    conflict: {prefer: erp}

  # Fulfilment reports back: when the ERP ships, the CRM's order says so. Both flows carry
  # `status`; when both sides changed it since the last sync, the ERP wins (it shipped).
  - {entity: order, from: erp, to: crm, owns: [status], conflict: {prefer: erp}}
)yaml";
}

}  // namespace concord::demo

-- Billing information beside the payment method: who receives invoices and
-- where. The payment type and card stay in payment_method.
create table billing_info (
    customer_id text primary key,
    name text not null,
    phone text not null,
    email text not null,
    line1 text not null,
    line2 text not null,
    line3 text not null,
    city text not null,
    state text not null,
    zip text not null,
    country text not null,
    updated_at text not null
);

-- Chargeable activity. `path` is the customer's place in the tree when the
-- record arrived (customers never move), so a partner's roll-up is one
-- prefix scan. A retried record (same customer and idempotency id) is
-- refused by the unique key and counts once.
create table usage_record (
    record_id text primary key,
    customer_id text not null,
    path text not null,
    meter text not null,
    quantity bigint not null,
    occurred_at text not null,
    idempotency_id text not null,
    created_at text not null,
    unique (customer_id, idempotency_id)
);
create index usage_record_path on usage_record (path, occurred_at);
create index usage_record_customer on usage_record (customer_id, occurred_at);

-- One invoice per customer and period; the unique key makes closing a
-- period twice a no-op.
create table invoice (
    invoice_id text primary key,
    customer_id text not null,
    period text not null,
    plan_name text not null,
    currency text not null,
    subtotal bigint not null,
    credits_applied bigint not null,
    total bigint not null,
    issued_at text not null,
    unique (customer_id, period)
);

create table invoice_line (
    invoice_id text not null,
    position bigint not null,
    kind text not null,
    description text not null,
    meter text not null,
    quantity bigint not null,
    unit_amount bigint not null,
    per bigint not null,
    amount bigint not null,
    primary key (invoice_id, position)
);

-- Prepaid credit. The ledger is append-only; credit_balance is its running
-- sum per customer, updated in the same transaction as each entry, so a
-- conditional update (balance >= amount) is what keeps a balance from going
-- below zero under concurrent allocations.
create table credit_balance (
    customer_id text primary key,
    currency text not null,
    balance bigint not null,
    updated_at text not null
);

create table credit_entry (
    entry_id text primary key,
    customer_id text not null,
    amount bigint not null,
    currency text not null,
    kind text not null,
    counterparty_id text not null,
    invoice_id text not null,
    note text not null,
    balance_after bigint not null,
    created_at text not null
);
create index credit_entry_customer on credit_entry (customer_id, entry_id);

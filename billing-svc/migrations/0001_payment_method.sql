-- One payment method per customer. Card numbers and security codes are never
-- stored (PCI DSS 3.3.1, 3.4.1): only the processor's token, the brand, the
-- last four digits and the expiry. Card columns stay null for paperCheck.
create table payment_method (
    customer_id text primary key,
    payment_type text not null,
    processor_token text null,
    brand text null,
    last4 text null,
    expiration_date text null,
    holder_name text null,
    created_at text not null,
    updated_at text not null
);

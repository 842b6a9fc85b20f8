-- API clients. The secret is never stored: only HMAC-SHA-256(server key,
-- secret) in hex, so a leaked table does not yield working credentials.
create table client (
    client_id text primary key,
    contact_id text not null,
    customer_id text not null,
    name text not null,
    secret_hmac text not null,
    created_at text not null,
    updated_at text not null,
    last_used_at text null
);

create index client_customer on client (customer_id);
create index client_contact on client (contact_id);

-- Issued access tokens, by the SHA-256 (hex) of the opaque token; the token
-- itself is never stored. Roles and scopes are space-separated, as OAuth2
-- spells scopes. Times are Unix seconds: expiry is compared, not displayed.
create table token (
    token_hash text primary key,
    client_id text not null,
    contact_id text not null,
    customer_id text not null,
    roles text not null,
    scopes text not null,
    issued_at bigint not null,
    expires_at bigint not null,
    revoked_at bigint null,
    created_at text not null,
    updated_at text not null
);

create index token_client on token (client_id);
-- Removing a customer revokes its tokens by customer.
create index token_customer on token (customer_id);

-- The HMAC key for client secrets when AUTH_SECRET_KEY is not set: one row
-- (id 1), written by whichever replica starts first.
create table server_key (
    server_key_id bigint primary key,
    key_hex text not null,
    created_at text not null,
    updated_at text not null
);

-- Creates the card processor refused for a blacklisted card or failed fraud
-- screening, kept so that a partner can restore them with another payment.
-- No card number, security code or password is ever stored here: only the
-- brand and last four digits of the refused card (PCI DSS 3.3.1, 3.4.1).
create table failed_setup (
    failed_setup_id text primary key,
    -- '' when the refused create had no parent (the root)
    parent_id text not null,
    -- the parent's path ('/<root id>/…/<parent id>/'): scope is by prefix
    parent_path text not null,
    account_name text not null,
    plan_name text not null,
    -- base64 of the protobuf CreateCustomerRequest with the card's number,
    -- security code and other details and the owner's password blanked
    request text not null,
    -- 'blacklisted' or 'fraud_suspected'
    reason text not null,
    -- the processor's code and message
    code text not null,
    message text not null,
    brand text not null,
    last4 text not null,
    -- 'open', 'restoring' while a restore is under way, 'restored'
    status text not null,
    -- the customer a restore creates; set when the restore claims the setup
    customer_id text not null default '',
    created_at text not null,
    updated_at text not null,
    -- RFC 3339 UTC; '' until restored
    restored_at text not null default ''
);

create index failed_setup_parent_path on failed_setup (parent_path);

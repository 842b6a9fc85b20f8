-- Partners and accounts are customers in one tree.
create table customer (
    customer_id text primary key,
    -- 'account' or 'partner'
    kind text not null,
    -- '' for accounts; 'distributor', 'partner' or 'advisor' for partners
    partner_program text not null,
    user_name text not null,
    -- lowercased user name: unique platform-wide regardless of case
    user_name_key text not null,
    parent_id text null,
    -- '/<root id>/…/<own id>/': the subtree of X is every path starting with X's
    path text not null,
    plan_name text not null,
    -- space-separated program names
    programs text not null,
    -- 'provisioning' while a create is under way, 'active', 'deleting' while
    -- a delete is under way; only 'active' rows are visible
    status text not null,
    -- 'enabled' or 'disabled'
    state text not null,
    company_name text not null,
    company_phone text not null,
    address_line1 text not null,
    address_line2 text not null,
    address_line3 text not null,
    city text not null,
    address_state text not null,
    zip text not null,
    country text not null,
    -- JSON object of the reference's options
    options text not null,
    owner_contact_id text not null,
    created_at text not null,
    updated_at text not null,
    constraint customer_user_name_key unique (user_name_key)
);

create index customer_parent on customer (parent_id);
create index customer_path on customer (path);

-- What stays of a deleted customer: who, when and why.
create table customer_tombstone (
    customer_id text primary key,
    kind text not null,
    user_name text not null,
    parent_id text null,
    deleted_by_client_id text not null,
    deleted_by_contact_id text not null,
    reason text not null,
    comments text not null,
    deleted_at text not null,
    created_at text not null,
    updated_at text not null
);

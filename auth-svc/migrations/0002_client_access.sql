-- Clients remember where their customer sits in the hierarchy (account-svc's
-- `/root/…/self/` path, copied at creation), so "every client of my subtree"
-- is one prefix query here rather than a call per client to account-svc.
-- Clients created before this migration keep '' and are then visible only to
-- their own contact.
alter table client add column customer_path text not null default '';

-- After a rotation the previous secret keeps working until its expiry (Unix
-- seconds), so a running integration can switch without a gap.
alter table client add column previous_secret_hmac text null;
alter table client add column previous_secret_expires_at bigint null;

-- A partner asks for API access; an owner of an ancestor decides. Status is
-- pending, approved or rejected; contact ids are space-separated, as roles
-- and scopes are in `token`.
create table access_request (
    request_id text primary key,
    customer_id text not null,
    contact_ids text not null,
    status text not null,
    requested_by text not null,
    decided_by text not null,
    created_at text not null,
    updated_at text not null,
    decided_at text null
);

create index access_request_customer on access_request (customer_id);

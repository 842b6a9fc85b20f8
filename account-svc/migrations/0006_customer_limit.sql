-- A customer's own value of a limit its plan defines (issue 7). Without a
-- row the plan's default is in force; a row for a name the customer's plan
-- no longer has (after a plan change) is ignored.
create table customer_limit (
    customer_id text not null,
    -- a limit name of the customer's plan, e.g. 'Iam_usersMax'
    name text not null,
    -- 0..=10^15; the domain rules keep it within the parent partner's
    value bigint not null,
    created_at text not null,
    updated_at text not null,
    constraint customer_limit_pkey primary key (customer_id, name)
);

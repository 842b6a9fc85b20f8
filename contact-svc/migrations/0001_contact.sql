create table contact (
    contact_id text primary key,
    login text not null,
    -- lowercased login: logins are unique platform-wide, case-insensitively
    login_key text not null,
    password_hash text not null,
    name text not null,
    email text not null,
    cellular_phone text not null,
    created_at text not null,
    updated_at text not null,
    constraint contact_login_key unique (login_key)
);

create table contact_role (
    contact_id text not null references contact (contact_id) on delete cascade,
    customer_id text not null,
    role text not null,
    created_at text not null,
    updated_at text not null,
    primary key (contact_id, customer_id, role)
);

create index contact_role_customer on contact_role (customer_id);

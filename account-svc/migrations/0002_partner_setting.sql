-- A partner's settings. A partner without a row has the defaults (no support
-- e-mail, no default culture, API calls allowed from anywhere).
create table partner_setting (
    customer_id text primary key,
    -- '' when unset
    support_email text not null,
    -- canonical upper case (EN-US …); '' when unset
    default_culture text not null,
    -- space-separated canonical CIDR blocks; '' allows every network
    api_allowed_networks text not null,
    created_at text not null,
    updated_at text not null
);

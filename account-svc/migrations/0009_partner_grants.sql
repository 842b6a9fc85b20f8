-- What a partner's parent grants it (issue 13, reference 000 and 002): an
-- advisor may create partners only where its parent allows it, and any
-- partner below the root takes credit cards only where its parent enabled
-- payment processing for it. Both off by default; the root distributor has
-- both by its programme, without a row. Flags are 0/1, one column per
-- statement (SQLite adds one at a time).

-- 1: an advisor may create partners below it
alter table partner_setting add column create_partners bigint not null default 0;
-- 1: the partner's customers may pay by credit card
alter table partner_setting add column payment_processing bigint not null default 0;

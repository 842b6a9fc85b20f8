-- A partner's password policy for the contacts of its subtree (issue 5).
-- The defaults are the platform's own rule, so a partner without a change
-- (and every existing row) asks for nothing more. Flags are 0/1, as the
-- platform stores booleans on both backends. One column per statement:
-- SQLite adds only one at a time.

-- at least 6 characters; UpdateSettings keeps it within 6..=128
alter table partner_setting add column password_min_length bigint not null default 6;
-- 1: a password needs a character that is neither a letter nor a digit
alter table partner_setting add column password_require_symbols bigint not null default 0;
-- 1: a password needs both an upper- and a lower-case letter
alter table partner_setting add column password_require_mixed_case bigint not null default 0;

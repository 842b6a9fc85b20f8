-- v2 company fields and MSA acceptance. Defaults keep existing rows valid:
-- '' is "unset" for culture and VAT number, and "not accepted" for the MSA.
-- One column per statement: SQLite adds only one at a time.

-- canonical upper case (EN-US …); '' when unset
alter table customer add column company_culture text not null default '';
-- compact upper case (DE123456789); '' when unset
alter table customer add column vat_number text not null default '';
-- RFC 3339 UTC of the acceptance; '' until accepted
alter table customer add column msa_accepted_at text not null default '';

-- Access checks look for a disabled customer on a path (GetAccess); disabled
-- customers are few, so a partial index over them keeps that cheap.
create index customer_disabled on customer (path) where state = 'disabled';

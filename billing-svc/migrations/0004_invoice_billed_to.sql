-- Who pays each invoice: the parent partner when the account paid by
-- paperCheck at closing time ("bill to the parent account"), else the
-- account itself. Invoices issued before this column read '' and are read
-- as billed to their own customer.
alter table invoice add column billed_to text not null default '';

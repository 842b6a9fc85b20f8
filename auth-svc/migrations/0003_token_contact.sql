-- Deleting a contact revokes its tokens by contact (DeleteContactClients),
-- as removing a customer does by customer (token_customer).
create index token_contact on token (contact_id);

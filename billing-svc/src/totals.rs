//! The totals of billing's lists, cached per customer ([`platform::paging`]):
//! each customer's invoices and its credit ledger are a scope. Billing only
//! ever adds to them (invoices and the ledger are financial records that
//! stay), so whatever commits an invoice or a ledger entry calls one of the
//! functions below right after the commit, and the next page counts afresh.

use platform::cache::Cache;

/// The scope of a customer's invoice list.
pub fn invoices(customer_id: &str) -> String {
    format!("invoices:{customer_id}")
}

/// The scope of a customer's credit ledger.
pub fn credits(customer_id: &str) -> String {
    format!("credits:{customer_id}")
}

/// An invoice was issued; `credit_used` when it also took credit (an
/// `invoice` entry in the ledger).
pub async fn invoice_issued(cache: &Cache, customer_id: &str, credit_used: bool) {
    platform::paging::changed(cache, &invoices(customer_id)).await;
    if credit_used {
        platform::paging::changed(cache, &credits(customer_id)).await;
    }
}

/// Each of these customers' ledgers got an entry.
pub async fn ledger_grew(cache: &Cache, customer_ids: &[&str]) {
    for id in customer_ids {
        platform::paging::changed(cache, &credits(id)).await;
    }
}

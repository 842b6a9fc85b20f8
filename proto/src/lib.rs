//! The platform's gRPC contracts, one versioned package per service.
//!
//! Internal services call each other through exactly these APIs; the gateway
//! translates REST into them.

#![allow(clippy::all, clippy::pedantic)]

pub mod common {
    pub mod v1 {
        tonic::include_proto!("partner.common.v1");
    }
}
pub mod account {
    pub mod v1 {
        tonic::include_proto!("partner.account.v1");
    }
}
pub mod contact {
    pub mod v1 {
        tonic::include_proto!("partner.contact.v1");
    }
}
pub mod billing {
    pub mod v1 {
        tonic::include_proto!("partner.billing.v1");
    }
}
pub mod auth {
    pub mod v1 {
        tonic::include_proto!("partner.auth.v1");
    }
}

/// Encoded descriptors of every service, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptor.bin"));

pub mod reason;

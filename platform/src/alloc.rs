//! The process's memory allocator: mimalloc, for every binary (and test)
//! that links this crate.
//!
//! glibc's malloc keeps what a thread frees in that thread's arena: a burst
//! of 19 MiB Argon2 hashes, SQLite page caches on their connection threads
//! and request buffers on tokio's workers stayed resident after the work was
//! done, so a process grew with the most it had ever done at once (issue 14:
//! 3 GB after 300 account creations). mimalloc returns freed memory to the
//! system after a short delay, so RSS follows the work in progress.
//!
//! Two of mimalloc's defaults are compiled in (`.cargo/config.toml`, since
//! setting its options at run time would take `unsafe` or the environment):
//! arenas are committed as used, which roughly halves idle RSS, and an
//! allocation over 8 MiB (Argon2id's 19 MiB) is mapped from the OS and
//! unmapped when freed; in an arena it stayed resident until some later
//! allocation happened to purge it (2 × 20 MiB after a round of creates).
//! bench/memory.py measures both.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
